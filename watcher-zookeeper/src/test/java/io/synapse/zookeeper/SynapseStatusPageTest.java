package io.synapse.zookeeper;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.cli.SynapseMain;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.testing.Binaries;
import io.synapse.testing.Chromium;
import io.synapse.testing.FreePorts;
import io.synapse.testing.StatusEndpoint;
import io.synapse.testing.TestConfigs;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.synapse.testing.TestConfigs.json;
import static io.synapse.zookeeper.Zk.nerve;
import static io.synapse.zookeeper.Zk.register;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The synapse daemon as a process with its status endpoint on, against real ZooKeeper servers and a
 * real HAProxy: the scraped numbers follow registrations, reloads and runtime-API updates, a stopped
 * ZooKeeper shows as a failing watcher and a lost connection, and the page, loaded in headless
 * Chromium, shows every service with its backend count and the failing one as failing. The
 * screenshot is left in target/status-synapse.png (docs/status-synapse.png is a copy).
 */
class SynapseStatusPageTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private Process daemon;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.destroy();
            if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
            }
        }
        Path log = dir.resolve("synapse.log");
        if (Files.exists(log)) {
            System.out.println("--- synapse.log ---\n" + Files.readString(log)); // in target/surefire-reports/*-output.txt
        }
        Path pid = dir.resolve("haproxy.pid");
        if (Files.exists(pid)) {
            for (String p : Files.readAllLines(pid)) {
                ProcessHandle.of(Long.parseLong(p.trim())).ifPresent(ProcessHandle::destroy);
            }
        }
    }

    private static ObjectNode service(String hosts, String path, int port) {
        ObjectNode s = json("{'discovery': {'method': 'zookeeper', 'path': '" + path + "'},"
                + " 'haproxy': {'bind_address': '127.0.0.1', 'listen': ['mode http']}}");
        s.with("discovery").putArray("hosts").add(hosts);
        s.with("haproxy").put("port", port);
        return s;
    }

    @Test
    void theNumbersAndThePageFollowZooKeeperAndHaproxy() throws Exception {
        Path haproxy = Binaries.haproxy();
        try (TestingServer zk = Zk.server(); TestingServer payments = Zk.server();
                CuratorFramework admin = Zk.admin(zk.getConnectString());
                CuratorFramework paymentsAdmin = Zk.admin(payments.getConnectString())) {
            register(admin, "/services/api", "i-a", nerve("10.10.0.1", 8080, "i-a"));
            register(admin, "/services/api", "i-b", nerve("10.10.0.2", 8080, "i-b"));
            register(admin, "/services/web", "i-w", nerve("10.10.1.1", 80, "i-w"));
            register(paymentsAdmin, "/services/payments", "i-p", nerve("10.10.2.1", 8443, "i-p"));

            Path cfg = dir.resolve("haproxy.cfg");
            Path pid = dir.resolve("haproxy.pid");
            Path sock = dir.resolve("haproxy.sock");
            ObjectNode config = json("{'services': {}}");
            config.with("services").set("api", service(zk.getConnectString(), "/services/api", FreePorts.next()));
            config.with("services").set("web", service(zk.getConnectString(), "/services/web", FreePorts.next()));
            config.with("services").set("payments", service(payments.getConnectString(), "/services/payments", FreePorts.next()));
            ObjectNode global = TestConfigs.haproxyGlobal(dir);
            global.put("do_reloads", true);
            global.put("reload_command", haproxy + " -D -f " + cfg + " -p " + pid + " $( [ -s " + pid + " ] && echo -sf $(cat " + pid + ") )");
            global.put("restart_interval", 0.2);
            global.put("do_checks", true);
            global.put("check_command", haproxy + " -c -q -f " + dir.resolve("haproxy.cfg.candidate"));
            global.put("do_socket", true);
            global.put("socket_file_path", sock.toString());
            global.set("global", json("{'l': ['stats socket " + sock + " mode 600 level admin']}").get("l"));
            config.set("haproxy", global);
            int statusPort = FreePorts.next();
            config.set("status", json("{'port': " + statusPort + "}"));
            Path file = TestConfigs.write(dir, config);

            daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    SynapseMain.class.getName(), "--config", file.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("synapse.log").toFile()).start();
            StatusEndpoint status = new StatusEndpoint("127.0.0.1:" + statusPort);
            await().atMost(WAIT).until(() -> daemon.isAlive() && status.answers() || !daemon.isAlive());
            assertThat(daemon.isAlive()).as("synapse exited:\n%s", Files.readString(dir.resolve("synapse.log"))).isTrue();

            // running: healthy, the backends as registered, one reload to start HAProxy, connected
            await().atMost(WAIT).until(() -> status.get("/healthz").statusCode() == 200);
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("synapse_haproxy_reloads_total", "result", "ok")).isEqualTo(1.0));
            assertThat(status.metric("synapse_service_backends", "service", "api")).isEqualTo(2.0);
            assertThat(status.metric("synapse_service_backends", "service", "web")).isEqualTo(1.0);
            assertThat(status.metric("synapse_service_backends", "service", "payments")).isEqualTo(1.0);
            String mainConnection = ZooKeeperEnsemble.of(zk.getConnectString()).connectString();
            String paymentsConnection = ZooKeeperEnsemble.of(payments.getConnectString()).connectString();
            assertThat(status.metric("synapse_registry_connected", "registry", "zookeeper", "connection", mainConnection)).isEqualTo(1.0);
            assertThat(status.metric("synapse_registry_connected", "registry", "zookeeper", "connection", paymentsConnection)).isEqualTo(1.0);

            // a registration added in ZooKeeper: the gauge moves, and the runtime API adds the server, no reload
            String c = register(admin, "/services/api", "i-c", nerve("10.10.0.3", 8080, "i-c"));
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("synapse_service_backends", "service", "api")).isEqualTo(3.0));
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("synapse_haproxy_runtime_updates_total", "result", "ok")).isEqualTo(1.0));
            // the file follows the runtime API (synapse sends the commands first, then writes)
            await().atMost(WAIT).untilAsserted(() -> assertThat(Files.readString(cfg)).contains("10.10.0.3:8080"));

            // it leaves: the runtime API takes it out, no reload either
            admin.delete().forPath(c);
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("synapse_service_backends", "service", "api")).isEqualTo(2.0));
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("synapse_haproxy_runtime_updates_total", "result", "ok")).isEqualTo(2.0));
            assertThat(status.metric("synapse_haproxy_reloads_total", "result", "ok")).isEqualTo(1.0);
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("synapse_generator_writes_total", "generator", "haproxy"))
                    .isGreaterThanOrEqualTo(3.0));

            // an invalid registration is skipped and counted
            register(admin, "/services/api", "i-bad", Zk.json("{\"host\": \"10.10.0.9; bind :1\", \"port\": 8080, \"name\": \"i-bad\"}"));
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("synapse_registrations_rejected_total", "service", "api")).isEqualTo(1.0));
            assertThat(status.metric("synapse_service_backends", "service", "api")).isEqualTo(2.0);
            assertThat(Files.readString(cfg)).doesNotContain("10.10.0.9");

            // payments' ZooKeeper goes away: its watcher fails, its connection is down, synapse is unhealthy
            payments.stop();
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("synapse_watcher_up", "service", "payments")).isEqualTo(0.0));
            assertThat(status.metric("synapse_watcher_up", "service", "api")).isEqualTo(1.0);
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                    status.metric("synapse_registry_connected", "registry", "zookeeper", "connection", paymentsConnection)).isEqualTo(0.0));
            assertThat(status.metric("synapse_watcher_failures_total", "service", "payments")).isEqualTo(1.0);
            assertThat(status.metric("synapse_service_backends", "service", "payments")).isEqualTo(1.0); // kept
            HttpResponse<String> health = status.get("/healthz");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).startsWith("service payments: watcher failing: ").doesNotContain("service api");

            // what a person sees
            String dom = Chromium.renderAndScreenshot(status.url("/"), Path.of("target", "status-synapse.png"));
            assertThat(dom).contains("<span class=\"health failing\" id=\"health\">unhealthy</span>")
                    .contains("<tr data-key=\"api\"><td>api</td><td>zookeeper</td><td><span class=\"state ok\">up</span></td><td class=\"num\">2</td>")
                    .contains("<tr data-key=\"web\"><td>web</td><td>zookeeper</td><td><span class=\"state ok\">up</span></td><td class=\"num\">1</td>")
                    .contains("<tr data-key=\"payments\" class=\"failing\"><td>payments</td><td>zookeeper</td><td><span class=\"state failing\">failing</span>")
                    .contains("<tr data-key=\"zookeeper " + paymentsConnection + "\" class=\"failing\">");
            assertThat(Path.of("target", "status-synapse.png")).isNotEmptyFile();
        }
    }
}
