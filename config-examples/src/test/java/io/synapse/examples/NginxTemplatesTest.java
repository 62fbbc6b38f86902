package io.synapse.examples;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.synapse.Synapse;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.testing.EtcdCluster;
import io.synapse.testing.FreePorts;
import io.synapse.testing.HttpBackends;
import io.synapse.testing.Nginx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The nginx examples with the real parts: etcd, nginx (checked with {@code nginx -t}, reloaded,
 * serving real requests) and local HTTP backends.
 *
 * <p>The seed (seeds/000): backends keep an {@code ip:port} key with a TTL alive in etcd (a put
 * with a fresh lease every second, like the seed's curl loop), synapse renders nginx's upstream
 * from them (examples/nginx-etcd-ttl-keys.json), and nginx sends traffic to exactly the live ones.
 */
class NginxTemplatesTest {
    static final Path EXAMPLES = Path.of("src/main/resources/examples");
    static final ObjectMapper MAPPER = new ObjectMapper();

    static EtcdCluster etcd;
    static Client client;

    @TempDir
    Path dir;

    private final ScheduledExecutorService registrars = Executors.newScheduledThreadPool(2);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeAll
    static void startEtcd() {
        Nginx.binary(); // fail early, saying how to install it
        etcd = EtcdCluster.start(1);
        client = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
    }

    @AfterAll
    static void stopEtcd() {
        client.close();
        etcd.close();
    }

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
    }

    @AfterEach
    void stop() {
        registrars.shutdownNow();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
    }

    /** The seed's registration loop for one backend: {@code PUT /service_dis/ip:port ttl=2} every second. */
    private ScheduledFuture<?> register(String key) {
        return registrars.scheduleWithFixedDelay(() -> {
            try {
                long lease = client.getLeaseClient().grant(2).get(10, TimeUnit.SECONDS).getID();
                client.getKVClient().put(bytes(key), bytes("ok"), PutOption.builder().withLeaseId(lease).build())
                        .get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the next round retries, as the seed's loop does
            }
        }, 0, 1, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private Synapse synapse(Path config, Map<String, String> env) throws Exception {
        Synapse s = Synapse.fromConfig(new ConfigLoader(Plugins.fromClasspath(), env::get).load(config));
        s.start();
        return s;
    }

    /** Which backends answer {@code n} requests through nginx (all must succeed). */
    private static Set<String> responders(int port, int n) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            Nginx.Response r = Nginx.get(port);
            if (r.status() != 200) {
                return Set.of("HTTP " + r.status() + ": " + r.body());
            }
            seen.add(r.body());
        }
        return seen;
    }

    private List<String> rejections() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("check_command rejected the candidate")).toList();
    }

    @Test
    void theSeedEtcdTtlKeysToAnNginxUpstreamThatFollowsTheLiveBackends() throws Exception {
        Path prefix = Files.createDirectories(dir.resolve("nginx"));
        Files.copy(EXAMPLES.resolve("nginx/synapse-check.conf"), prefix.resolve("synapse-check.conf"));
        Path upstream = prefix.resolve("upstreamconf/default.conf");
        int port = FreePorts.next();
        // the seed's default.conf vhost; before synapse ran, the upstream has the placeholder only
        Files.createDirectories(upstream.getParent());
        Files.writeString(upstream, "upstream default {\n    server 127.0.0.1:9 down;\n}\n");
        String vhost = "include upstreamconf/default.conf;\n"
                + "server {\n    listen 127.0.0.1:" + port + ";\n"
                + "    location / {\n        proxy_pass http://default;\n        proxy_next_upstream off;\n    }\n}\n";

        try (HttpBackends b1 = HttpBackends.start("b1"); HttpBackends b2 = HttpBackends.start("b2"); HttpBackends b3 = HttpBackends.start("b3");
             Nginx nginx = Nginx.start(prefix, vhost)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> Nginx.get(port).status() == 502);
            Map<String, String> env = new HashMap<>();
            env.put("ETCD_ENDPOINT", etcd.endpoint(0));
            env.put("NGINX_DIR", prefix.toString());
            env.put("NGINX", Nginx.binary().toString());
            env.put("NGINX_FLAGS", Nginx.flags(prefix));
            register("/service_dis/127.0.0.1:" + b1.port());
            register("/service_dis/127.0.0.1:" + b2.port());
            ScheduledFuture<?> third = register("/service_dis/127.0.0.1:" + b3.port());

            try (Synapse synapse = synapse(EXAMPLES.resolve("nginx-etcd-ttl-keys.json"), env)) {
                // one line per backend, in registration order (the three loops race: any order)
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Files.readString(upstream))
                        .startsWith("# Generated by synapse from the discovered backends: edits are overwritten.\nupstream default {\n")
                        .contains("\n    server 127.0.0.1:" + b1.port() + ";\n", "\n    server 127.0.0.1:" + b2.port() + ";\n",
                                "\n    server 127.0.0.1:" + b3.port() + ";\n")
                        .endsWith(";\n}\n"));
                assertThat(Nginx.test(prefix, nginx.config()).ok()).isTrue();
                // nginx was reloaded: requests reach all three
                await().atMost(Duration.ofSeconds(30)).until(() -> responders(port, 9), s -> s.equals(Set.of("b1", "b2", "b3")));

                // the third backend's container dies: its key expires, it leaves the upstream and the traffic
                // (its HTTP server keeps answering, so a request still sent to it would show)
                third.cancel(false);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Files.readString(upstream))
                        .doesNotContain(":" + b3.port() + ";").contains(":" + b1.port() + ";", ":" + b2.port() + ";"));
                await().atMost(Duration.ofSeconds(30)).until(() -> responders(port, 6), s -> s.equals(Set.of("b1", "b2")));
                for (int round = 0; round < 5; round++) {
                    assertThat(responders(port, 6)).isEqualTo(Set.of("b1", "b2"));
                }
                assertThat(rejections()).isEmpty();
                assertThat(upstream.resolveSibling("default.conf.candidate")).doesNotExist();
            }

            // A template that renders an invalid nginx config (weight=zero): the candidate fails
            // nginx -t, is never installed, and is tried again on the next change; nginx keeps serving.
            String installed = Files.readString(upstream);
            Files.createDirectories(dir.resolve("bad/templates"));
            Files.writeString(dir.resolve("bad/templates/nginx-upstream.mustache"),
                    "{{#services}}\nupstream {{name}} {\n{{#backends}}\n    server {{address}} weight=zero;\n{{/backends}}\n}\n{{/services}}\n");
            Path badConfig = Files.copy(EXAMPLES.resolve("nginx-etcd-ttl-keys.json"), dir.resolve("bad/synapse.json"));
            try (Synapse bad = synapse(badConfig, env)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> rejections().size() >= 1);
                register("/service_dis/127.0.0.1:" + b3.port()); // a change: rendered, checked and rejected again
                await().atMost(Duration.ofSeconds(30)).until(() -> rejections().size() >= 2);
                assertThat(rejections().get(0)).contains("templates[0]: check_command rejected the candidate (exit 1): nginx: [emerg]"
                        + " invalid parameter \"weight=zero\" in " + upstream + ".candidate:2",
                        upstream + " was left as it was");
                assertThat(Files.readString(upstream)).isEqualTo(installed);
                assertThat(responders(port, 6)).isEqualTo(Set.of("b1", "b2"));
            }
            // the [emerg] lines in the error log are the checks' (nginx -t), not the running nginx's
            assertThat(nginx.isAlive()).isTrue();
            assertThat(nginx.errorLog()).contains("[emerg]").doesNotContain("[alert]", "[crit]");
        }
    }

    @Test
    void aServerPerServiceAndThePrometheusTargetList() throws Exception {
        Path prefix = Files.createDirectories(dir.resolve("nginx"));
        Files.copy(EXAMPLES.resolve("nginx/synapse-servers-check.conf"), prefix.resolve("synapse-servers-check.conf"));
        Files.createDirectories(prefix.resolve("conf.d"));
        Path servers = prefix.resolve("conf.d/synapse.conf");
        Files.writeString(servers, "# nothing yet\n");
        Path targets = dir.resolve("prometheus/synapse.json");
        int apiPort = FreePorts.next();
        int webPort = FreePorts.next();

        try (HttpBackends a1 = HttpBackends.start("a1"); HttpBackends a2 = HttpBackends.start("a2"); HttpBackends w1 = HttpBackends.start("w1");
             HttpBackends w2 = HttpBackends.start("w2"); Nginx nginx = Nginx.start(prefix, "include conf.d/synapse.conf;\n")) {
            put("/nerve/services/api/a1", new NerveRegistration("127.0.0.1", a1.port(), "a1", null, null, Map.of("az", "a"), null));
            put("/nerve/services/api/a2", new NerveRegistration("127.0.0.1", a2.port(), "a2", 0, null, Map.of(), null));
            put("/nerve/services/web/w1", new NerveRegistration("127.0.0.1", w1.port(), "w1", 10, null, Map.of(), null));
            Map<String, String> env = new HashMap<>();
            env.put("ETCD_ENDPOINT", etcd.endpoint(0));
            env.put("NGINX_DIR", prefix.toString());
            env.put("NGINX", Nginx.binary().toString());
            env.put("NGINX_FLAGS", Nginx.flags(prefix));
            env.put("API_PORT", Integer.toString(apiPort));
            env.put("WEB_PORT", Integer.toString(webPort));
            env.put("PROMETHEUS_TARGETS", targets.getParent().toString());

            try (Synapse synapse = synapse(EXAMPLES.resolve("nginx-servers.json"), env)) {
                assertThat(synapse.awaitInitialized(Duration.ofSeconds(30))).isTrue();
                assertThat(Files.readString(servers)).isEqualTo("# Generated by synapse from the discovered backends: edits are overwritten.\n"
                        + "upstream api {\n"
                        + "    server 127.0.0.1:" + a1.port() + ";\n"
                        + "    server 127.0.0.1:" + a2.port() + " down;\n"
                        + "}\n"
                        + "server {\n"
                        + "    listen 127.0.0.1:" + apiPort + ";\n"
                        + "    location / {\n"
                        + "        proxy_pass http://api;\n"
                        + "        proxy_set_header Host $host;\n"
                        + "        proxy_next_upstream error timeout http_502 http_503;\n"
                        + "    }\n"
                        + "}\n"
                        + "\n"
                        + "upstream web {\n"
                        + "    server 127.0.0.1:" + w1.port() + " weight=10;\n"
                        + "}\n"
                        + "server {\n"
                        + "    listen 127.0.0.1:" + webPort + ";\n"
                        + "    location / {\n"
                        + "        proxy_pass http://web;\n"
                        + "        proxy_set_header Host $host;\n"
                        + "        proxy_next_upstream error timeout http_502 http_503;\n"
                        + "    }\n"
                        + "}\n"
                        + "\n"
                        + "upstream jobs {\n"
                        + "    server 127.0.0.1:9 down;  # no backends discovered\n"
                        + "}\n"
                        + "\n");
                assertThat(Nginx.test(prefix, nginx.config()).ok()).isTrue();
                // reloaded: each service's port reaches its backends (a2 is drained: weight 0 -> down)
                await().atMost(Duration.ofSeconds(30)).until(() -> responders(apiPort, 4), s -> s.equals(Set.of("a1")));
                assertThat(responders(webPort, 2)).isEqualTo(Set.of("w1"));

                assertFileSd(targets, Map.of("api", List.of("127.0.0.1:" + a1.port(), "127.0.0.1:" + a2.port()),
                        "web", List.of("127.0.0.1:" + w1.port()), "jobs", List.of()));

                // a2 back at full weight: it gets traffic, and stays a target
                put("/nerve/services/api/a2", new NerveRegistration("127.0.0.1", a2.port(), "a2", null, null, Map.of(), null));
                await().atMost(Duration.ofSeconds(30)).until(() -> responders(apiPort, 8), s -> s.equals(Set.of("a1", "a2")));
                // web moves from w1 to w2
                put("/nerve/services/web/w2", new NerveRegistration("127.0.0.1", w2.port(), "w2", null, null, Map.of(), null));
                client.getKVClient().delete(bytes("/nerve/services/web/w1")).get(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertFileSd(targets, Map.of(
                        "api", List.of("127.0.0.1:" + a1.port(), "127.0.0.1:" + a2.port()), "web", List.of("127.0.0.1:" + w2.port()),
                        "jobs", List.of())));
                await().atMost(Duration.ofSeconds(30)).until(() -> responders(webPort, 4), s -> s.equals(Set.of("w2")));
                // a service without backends keeps a valid upstream: the placeholder
                assertThat(Files.readString(servers)).contains("upstream jobs {\n    server 127.0.0.1:9 down;  # no backends discovered\n}\n");
                assertThat(rejections()).isEmpty();
            }
        }
    }

    private void put(String key, NerveRegistration registration) throws Exception {
        client.getKVClient().put(bytes(key), ByteSequence.from(registration.toJson())).get(10, TimeUnit.SECONDS);
    }

    /** The file is what Prometheus reads from file_sd: [{"targets": ["host:port", ...], "labels": {name: value}}]. */
    private static void assertFileSd(Path file, Map<String, List<String>> expected) throws Exception {
        JsonNode root = MAPPER.readTree(Files.readString(file));
        assertThat(root.isArray()).isTrue();
        Map<String, List<String>> found = new HashMap<>();
        for (JsonNode group : root) {
            assertThat(group.isObject()).isTrue();
            assertThat(iterable(group.fieldNames())).containsExactly("targets", "labels");
            assertThat(group.get("targets").isArray()).isTrue();
            List<String> targets = new java.util.ArrayList<>();
            group.get("targets").forEach(t -> {
                assertThat(t.isTextual()).isTrue();
                assertThat(t.asText()).matches("[^:\\s]+:[0-9]{1,5}|\\[[0-9a-fA-F:.]+\\]:[0-9]{1,5}");
                targets.add(t.asText());
            });
            ObjectNode labels = (ObjectNode) group.get("labels");
            labels.fields().forEachRemaining(l -> {
                assertThat(l.getKey()).matches("[a-zA-Z_][a-zA-Z0-9_]*");
                assertThat(l.getValue().isTextual()).isTrue();
            });
            found.put(labels.get("service").asText(), targets);
        }
        assertThat(found).isEqualTo(expected);
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
