package io.synapse.docker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.testing.Binaries;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Through the engine: container changes reach {@code haproxy.cfg} (each version passing {@code
 * haproxy -c}), and real HTTP flows through a real HAProxy that synapse reloads, to the containers'
 * ports on 127.0.0.1; the label catalog adds and removes whole services.
 */
class DockerEndToEndTest {
    private static DockerFixture docker;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void startDocker() {
        docker = DockerFixture.start();
    }

    @AfterAll
    static void removeContainers() {
        docker.close();
    }

    /**
     * Stops the HAProxy processes this test started (their command lines name the test's directory),
     * including one a reload still in flight at close may have started, before the directory goes.
     */
    @AfterEach
    void stopHaproxy() throws Exception {
        String mine = dir.toString();
        for (int round = 0; round < 3; round++) {
            List<ProcessHandle> running = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().map(c -> c.contains("haproxy") && c.contains(mine)).orElse(false))
                    .toList();
            if (running.isEmpty()) {
                return;
            }
            for (ProcessHandle p : running) {
                p.destroy();
            }
            for (ProcessHandle p : running) {
                p.onExit().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The global haproxy section: writes dir/haproxy.cfg, checks every candidate, (re)starts a real HAProxy. */
    private ObjectNode haproxy() {
        Path haproxy = Binaries.haproxy();
        Path cfg = dir.resolve("haproxy.cfg");
        Path pid = dir.resolve("haproxy.pid");
        ObjectNode global = TestConfigs.haproxyGlobal(dir);
        global.put("do_reloads", true);
        global.put("reload_command", haproxy + " -D -f " + cfg + " -p " + pid + " $( [ -s " + pid + " ] && echo -sf $(cat " + pid + ") )");
        global.put("restart_interval", 0.2);
        global.put("do_checks", true);
        global.put("check_command", haproxy + " -c -q -f " + dir.resolve("haproxy.cfg.candidate"));
        global.set("defaults", json("{'l': ['mode http', 'timeout connect 2s', 'timeout client 10s', 'timeout server 10s']}").get("l"));
        return global;
    }

    private Synapse start(ObjectNode config) throws Exception {
        Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath());
        try {
            synapse.start();
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(60))).as("initialized").isTrue();
            return synapse;
        } catch (Exception | AssertionError e) {
            synapse.close();
            throw e;
        }
    }

    private void awaitConfig(Consumer<String> check) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> check.accept(Files.readString(dir.resolve("haproxy.cfg"))));
        Haproxy.assertValid(dir.resolve("haproxy.cfg"));
    }

    private String get(int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().strip();
    }

    /** The hostnames (short container ids) answering through the frontend over a few requests. */
    private Set<String> answering(int port) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            String r = get(port);
            if (r.startsWith("200 ")) {
                seen.add(r.substring(4));
            }
        }
        return seen;
    }

    /** The start of a container's server line: {@code server <name>_127.0.0.1:<port> 127.0.0.1:<port> }. */
    private static String server(String id) {
        int port = docker.publishedPort(id);
        return docker.name(id) + "_127.0.0.1:" + port + " 127.0.0.1:" + port + " ";
    }

    @Test
    void containerChangesReachHaproxyAndItsTraffic() throws Exception {
        String service = "io.synapse.test.service=e2e";
        int port = FreePorts.next();
        // use_previous_backends (default true, as in Ruby) would keep the last container after it is killed
        ObjectNode config = json("{'services': {'web': {'use_previous_backends': false, 'haproxy': {'bind_address': '127.0.0.1',"
                + " 'server_options': 'check inter 1s', 'listen': ['mode http', 'balance roundrobin']}}}}");
        ObjectNode web = config.with("services").with("web");
        web.set("discovery", json("{'method': 'docker', 'socket': '" + DockerFixture.SOCKET + "', 'container_port': 80, 'labels': ['"
                + docker.label() + "', '" + service + "']}"));
        web.with("haproxy").put("port", port);
        config.set("haproxy", haproxy());

        String a = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
        String serverA = server(a);
        try (Synapse synapse = start(config)) {
            awaitConfig(cfg -> assertThat(cfg).containsPattern("server " + serverA + ".* check inter 1s\n"));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> answering(port).equals(Set.of(a.substring(0, 12))));

            String b = docker.runHttpd("-p", "127.0.0.1::80", "-l", service, "--health-cmd", "test -e /tmp/healthy",
                    "--health-interval", "200ms", "--health-retries", "1");
            String serverB = server(b);
            docker.docker("exec", b, "touch", "/tmp/healthy");
            awaitConfig(cfg -> assertThat(cfg).contains("server " + serverA, "server " + serverB));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> answering(port).equals(Set.of(a.substring(0, 12), b.substring(0, 12))));

            docker.docker("pause", a);
            awaitConfig(cfg -> assertThat(cfg).doesNotContain(serverA).contains(serverB));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> answering(port).equals(Set.of(b.substring(0, 12))));

            docker.docker("exec", b, "rm", "/tmp/healthy"); // b turns unhealthy
            docker.docker("unpause", a);
            awaitConfig(cfg -> assertThat(cfg).contains(serverA).doesNotContain(serverB));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> answering(port).equals(Set.of(a.substring(0, 12))));

            docker.docker("kill", a);
            awaitConfig(cfg -> assertThat(cfg).doesNotContain(serverA).doesNotContain(serverB).contains("backend web"));
        }
    }

    @Test
    void theLabelCatalogAddsAndRemovesWholeServices() throws Exception {
        String prefix = "synapsetest-" + docker.label().substring(docker.label().indexOf('=') + 1);
        int webPort = FreePorts.next();
        ObjectNode config = json("{'services': {'static': {'discovery': {'method': 'base'}, 'default_servers': "
                + "[{'name': 'fixed', 'host': '127.0.0.1', 'port': 9}], 'haproxy': {'bind_address': '127.0.0.1'}}}}");
        config.with("services").with("static").with("haproxy").put("port", FreePorts.next());
        config.set("catalogs", json("{'local': {'method': 'docker', 'socket': '" + DockerFixture.SOCKET + "', 'label_prefix': '" + prefix
                + "', 'haproxy': {'bind_address': '127.0.0.1', 'server_options': 'check inter 1s'}}}"));
        config.set("haproxy", haproxy());
        try (Synapse synapse = start(config)) {
            awaitConfig(cfg -> assertThat(cfg).contains("backend static").doesNotContain("backend web"));

            String web1 = docker.runHttpd("-p", "127.0.0.1::80", "-l", prefix + ".service=web", "-l", prefix + ".port=80",
                    "-l", prefix + ".frontend_port=" + webPort);
            String serverWeb1 = server(web1);
            awaitConfig(cfg -> assertThat(cfg).contains("frontend web", "bind 127.0.0.1:" + webPort, "backend web")
                    .containsPattern("server " + serverWeb1 + ".* check inter 1s\n"));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> answering(webPort).equals(Set.of(web1.substring(0, 12))));

            // a second container of the same service is a second backend, not a second service
            String web2 = docker.runHttpd("-p", "127.0.0.1::80", "-l", prefix + ".service=web", "-l", prefix + ".port=80",
                    "-l", prefix + ".frontend_port=" + webPort);
            String serverWeb2 = server(web2);
            awaitConfig(cfg -> assertThat(cfg).contains(serverWeb1, serverWeb2));

            // a tcp service without a frontend
            String cache = docker.runHttpd("-p", "127.0.0.1::80", "-l", prefix + ".service=cache", "-l", prefix + ".port=80",
                    "-l", prefix + ".mode=tcp");
            String serverCache = server(cache);
            awaitConfig(cfg -> assertThat(cfg).contains("backend cache", "mode tcp", serverCache).doesNotContain("frontend cache"));

            docker.remove(web1);
            docker.remove(web2);
            awaitConfig(cfg -> assertThat(cfg).doesNotContain("frontend web").doesNotContain("backend web").contains("backend cache",
                    "backend static"));
            docker.docker("stop", "-t", "0", cache);
            awaitConfig(cfg -> assertThat(cfg).doesNotContain("backend cache").contains("backend static"));
            // one engine connection for the catalog and every service it defined
            assertThat(DockerHost.HOSTS.size()).isEqualTo(1);
        }
    }
}
