package io.synapse.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synapse.testing.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The images of docker/Dockerfile built from the packaged distribution, and docker/docker-compose.yml
 * run as its header says: ZooKeeper, two applications with nerve, synapse with HAProxy in one
 * container, and synapse alone with HAProxy in a sibling container. Traffic goes only to the ports
 * the example publishes on 127.0.0.1 (chosen free here).
 *
 * <p>Everything the run makes (containers, the network, the volumes) is removed at the end; the
 * images stay, tagged {@code synapse-jvm/*:test}, so that the next run's build comes from Docker's
 * layer cache (the package installs are what takes time). Each phase's time is printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeExampleTest {
    /**
     * The targets of docker/Dockerfile, built in this order. {@code dist} (the unpacked distribution
     * the others copy) is tagged too: untagged, each new distribution would leave its stage behind.
     */
    static final List<String> TARGETS = List.of("dist", "zookeeper", "nerve", "example-app", "synapse-haproxy", "synapse", "haproxy");
    static final String TAG = "test";
    /** How long the example may take to start: minutes only when the machine is very busy (about 40 s otherwise). */
    static final Duration START = Duration.ofMinutes(5);
    static final ObjectMapper JSON = new ObjectMapper();

    final Path root = Path.of(System.getProperty("user.dir")).getParent();
    final Path compose = root.resolve("docker/docker-compose.yml");
    final String project = "synapsetest" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    final int httpPort = FreePorts.next();
    final int statusPort = FreePorts.next();
    final int siblingPort = FreePorts.next();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final Map<String, Long> timings = new LinkedHashMap<>();
    Docker docker;
    boolean composeStarted;

    @BeforeAll
    void buildImagesAndStartTheExample() throws Exception {
        Path log = Path.of("target/containers-test.log");
        Files.createDirectories(log.getParent());
        Files.deleteIfExists(log);
        docker = new Docker(log);
        long t0 = System.nanoTime();
        docker.requireEngine();
        docker.requireBaseImage();
        time("engine and base image", t0);

        Path dist = root.resolve("dist/target");
        assertThat(Files.list(dist).anyMatch(p -> p.getFileName().toString().matches("synapse-.*\\.tar\\.gz")))
                .as("the distribution tar.gz in " + dist + " (mvn package builds it; this module runs after dist)").isTrue();
        for (String target : TARGETS) {
            long t = System.nanoTime();
            docker.docker(Duration.ofMinutes(20), "build", "--network", "host", "-f", root.resolve("docker/Dockerfile").toString(), "--target", target,
                    "--label", "io.synapse.containers-test=1", "-t", image(target), root.toString());
            time("docker build --target " + target, t);
        }
        // earlier runs' images of the same tags, now untagged (they carry the label)
        docker.docker(Duration.ofMinutes(2), "image", "prune", "-f", "--filter", "label=io.synapse.containers-test=1");

        long t = System.nanoTime();
        composeStarted = true;
        Docker.check(compose("up", "-d", "--no-build"), "docker-compose up");
        time("docker-compose up", t);
    }

    @Test
    @Order(1)
    void bothApplicationsAnswerThroughHaproxyInOneContainerAndInASibling() throws Exception {
        long t = System.nanoTime();
        awaitBothApps(httpPort);
        time("both apps through synapse-haproxy", t);
        awaitBothApps(siblingPort);
        time("both apps through the sibling haproxy", t);

        // every container with a HEALTHCHECK reports healthy: /healthz of synapse and nerve, ruok of ZooKeeper
        for (String service : List.of("zookeeper", "app1", "app2", "synapse", "synapse-alone")) {
            await(service + " healthy").atMost(START).pollInterval(Duration.ofSeconds(1))
                    .until(() -> inspect(service, "{{.State.Health.Status}}").equals("healthy"));
        }
        time("all healthy", t);
        JsonNode web = webService();
        assertThat(web.path("backends").asInt()).isEqualTo(2);
        assertThat(hosts(web)).containsExactlyInAnyOrder(ip("app1"), ip("app2"));
        // the one-container form reloads HAProxy through the master socket: at least once, for the
        // first haproxy.cfg synapse wrote, and never failed
        JsonNode status = JSON.readTree(get(statusPort, "/status"));
        assertThat(status.path("haproxy_reloads").path("ok").asLong()).isPositive();
        assertThat(status.path("haproxy_reloads").path("failed").asLong()).isZero();
    }

    @Test
    @Order(2)
    void stoppingAnApplicationDeregistersItAndTrafficKeepsFlowing() throws Exception {
        String app1 = ip("app1");
        String app2 = ip("app2");
        List<String> failures = new CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread client = new Thread(() -> {
            while (sending.get()) {
                try {
                    answers.computeIfAbsent(get(httpPort, "/").strip(), k -> new AtomicInteger()).incrementAndGet();
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        }, "client");
        client.start();
        long t = System.nanoTime();
        try {
            // docker stop: SIGTERM to nerve (PID 1), which deregisters before it exits
            Docker.check(compose("stop", "-t", "20", "app1"), "docker-compose stop app1");
            time("docker-compose stop app1", t);
            await("app1 leaving synapse's web service").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(hosts(webService())).containsExactly(app2));
            time("app1 gone from synapse", t);
            // what is sent now reaches app2 only, through both HAProxies
            await("only app2 answering").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> tenInARow(httpPort, "hello from app2") && tenInARow(siblingPort, "hello from app2"));
        } finally {
            sending.set(false);
            client.join();
        }
        // 143 (the JVM's answer to SIGTERM) or 0 (nerve's main returned while the hook ran); 137: it had to be killed
        assertThat(inspect("app1", "{{.State.ExitCode}}")).as("nerve's exit code after SIGTERM").isIn("143", "0");
        // the registration is deleted before the JVM exits (nerve's summary line may still say it was not: its
        // 700 ms deadline also covers closing the ZooKeeper client, which a busy host can exceed)
        assertThat(logs("app1")).contains("shutting down: removing registrations")
                .containsPattern("service web: deregistered /nerve/services/web/\\S+ from zookeeper zookeeper:2181");
        assertThat(app1).isNotEqualTo(app2);
        assertThat(failures).as("requests that failed while app1 stopped").isEmpty();
        assertThat(answers).containsKey("hello from app2");
        assertThat(answers.keySet()).isSubsetOf(Set.of("hello from app1", "hello from app2"));
        System.out.println("answers while app1 stopped: " + answers);
    }

    @Test
    @Order(3)
    void synapseStopsOnSigterm() throws Exception {
        long t = System.nanoTime();
        Docker.check(compose("stop", "-t", "20", "synapse", "synapse-alone"), "docker-compose stop synapse");
        time("docker-compose stop synapse synapse-alone", t);
        for (String service : List.of("synapse", "synapse-alone")) {
            // 143 (the JVM's answer to SIGTERM) or 0 (synapse's main returned while the hook ran); 137: it had to be killed
            assertThat(inspect(service, "{{.State.ExitCode}}")).as(service + "'s exit code after SIGTERM").isIn("143", "0");
            assertThat(logs(service)).contains("stopping");
        }
    }

    @AfterAll
    void removeEverythingTheRunMade() throws Exception {
        if (docker == null || !composeStarted) {
            printTimings();
            return;
        }
        long t = System.nanoTime();
        Docker.Result down = compose("down", "--volumes", "--remove-orphans", "--timeout", "20");
        time("docker-compose down", t);
        printTimings();
        Docker.check(down, "docker-compose down");
        String label = "label=com.docker.compose.project=" + project;
        assertThat(docker.docker(Duration.ofSeconds(30), "ps", "-a", "-q", "--filter", label).strip()).as("containers left").isEmpty();
        assertThat(docker.docker(Duration.ofSeconds(30), "network", "ls", "-q", "--filter", label).strip()).as("networks left").isEmpty();
        assertThat(docker.docker(Duration.ofSeconds(30), "volume", "ls", "-q", "--filter", label).strip()).as("volumes left").isEmpty();
    }

    private static String image(String target) {
        return "synapse-jvm/" + target + ":" + TAG;
    }

    private Docker.Result compose(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker-compose", "-p", project, "-f", compose.toString()));
        command.addAll(List.of(args));
        return docker.run(command, Map.of(
                "EXAMPLE_TAG", TAG,
                "EXAMPLE_HTTP_PORT", Integer.toString(httpPort),
                "EXAMPLE_STATUS_PORT", Integer.toString(statusPort),
                "EXAMPLE_SIBLING_PORT", Integer.toString(siblingPort)), Duration.ofMinutes(3));
    }

    private String container(String service) throws Exception {
        String id = Docker.check(compose("ps", "-q", service), "docker-compose ps " + service).strip();
        assertThat(id).as("container of " + service).isNotEmpty();
        return id;
    }

    private String inspect(String service, String format) throws Exception {
        return docker.docker(Duration.ofSeconds(30), "inspect", "-f", format, container(service)).strip();
    }

    private String ip(String service) throws Exception {
        return inspect(service, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");
    }

    private String logs(String service) throws Exception {
        return docker.docker(Duration.ofSeconds(30), "logs", container(service));
    }

    /** Requests through HAProxy on 127.0.0.1:{@code port} until both applications answered. */
    private void awaitBothApps(int port) {
        Set<String> seen = new TreeSet<>();
        await("app1 and app2 answering on 127.0.0.1:" + port).atMost(START).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> {
                    seen.add(get(port, "/").strip());
                    return seen.containsAll(Set.of("hello from app1", "hello from app2"));
                });
        assertThat(seen).containsExactlyInAnyOrder("hello from app1", "hello from app2");
    }

    private boolean tenInARow(int port, String expected) throws Exception {
        for (int i = 0; i < 10; i++) {
            if (!get(port, "/").strip().equals(expected)) {
                return false;
            }
        }
        return true;
    }

    /** The service {@code web} of synapse's /status (the one-container form's status page). */
    private JsonNode webService() throws Exception {
        for (JsonNode s : JSON.readTree(get(statusPort, "/status")).path("services")) {
            if (s.path("name").asText().equals("web")) {
                return s;
            }
        }
        throw new AssertionError("no service web in /status");
    }

    private static List<String> hosts(JsonNode service) {
        List<String> hosts = new ArrayList<>();
        service.path("servers").forEach(s -> hosts.add(s.path("host").asText()));
        return hosts;
    }

    /** GET http://127.0.0.1:port/path: the body of a 200, or an exception. */
    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET 127.0.0.1:" + port + path + ": " + r.statusCode() + " " + r.body().strip());
        }
        return r.body();
    }

    private void time(String phase, long startNanos) {
        timings.put(phase, (System.nanoTime() - startNanos) / 1_000_000);
    }

    private void printTimings() {
        StringBuilder b = new StringBuilder("containers test timings (ms):\n");
        timings.forEach((phase, ms) -> b.append(String.format("  %-45s %7d%n", phase, ms)));
        System.out.print(b);
    }
}
