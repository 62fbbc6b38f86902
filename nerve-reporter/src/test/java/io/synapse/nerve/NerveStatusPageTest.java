package io.synapse.nerve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.Client;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.testing.Chromium;
import io.synapse.testing.EtcdCluster;
import io.synapse.testing.FreePorts;
import io.synapse.testing.HttpBackends;
import io.synapse.testing.StatusEndpoint;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.synapse.nerve.ZooKeeperNerveTest.children;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The nerve daemon as a process with its status endpoint on and JSON logs, against a real ZooKeeper,
 * a real etcd and real local services: the scraped numbers follow a check that starts failing, a
 * maintenance file and a stopped registry; the page, loaded in headless Chromium, shows every
 * service and the failing check as failing. The screenshot is left in target/status-nerve.png
 * (docs/status-nerve.png is a copy).
 */
class NerveStatusPageTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private Process nerve;

    @AfterEach
    void stop() throws Exception {
        if (nerve != null) {
            nerve.destroy();
            if (!nerve.waitFor(10, TimeUnit.SECONDS)) {
                nerve.destroyForcibly();
            }
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("nerve.log"));
        } catch (java.io.IOException e) {
            return "<no log>";
        }
    }

    @Test
    void theNumbersAndThePageFollowTheChecks() throws Exception {
        TestingServer zk = new TestingServer(true);
        try (EtcdCluster etcd = EtcdCluster.start(1);
                ScriptedHttpServer web = new ScriptedHttpServer();
                HttpBackends cache = HttpBackends.start("cache");
                CuratorFramework reader = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
            reader.start();
            Path maintenance = dir.resolve("batch.down");
            int statusPort = FreePorts.next();
            Path config = dir.resolve("nerve.json");
            Files.writeString(config, """
                    {"instance_id": "i-1", "verify_interval": 0.5, "status": {"port": %d}, "services": {
                      "web": {"host": "127.0.0.1", "port": %d, "zk_hosts": ["%s"], "zk_path": "/nerve/web", "check_interval": 0.1,
                              "checks": [{"type": "http", "name": "health", "uri": "/health", "timeout": 1}]},
                      "cache": {"host": "127.0.0.1", "port": %d, "reporter_type": "etcd", "etcd_endpoints": ["%s"],
                                "etcd_path": "/nerve/cache", "check_interval": 0.1, "checks": [{"type": "tcp", "name": "port", "timeout": 1}]},
                      "batch": {"host": "127.0.0.1", "port": 9000, "zk_hosts": ["%s"], "zk_path": "/nerve/batch", "check_interval": 0.1,
                                "maintenance_file": "%s", "checks": [{"type": "noop"}]}}}
                    """.formatted(statusPort, web.port(), zk.getConnectString(), cache.port(), etcd.endpoint(0), zk.getConnectString(),
                    maintenance));
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    NerveMain.class.getName(), "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("nerve.log").toFile());
            pb.environment().put("NERVE_LOG_FORMAT", "json");
            nerve = pb.start();
            StatusEndpoint status = new StatusEndpoint("127.0.0.1:" + statusPort);
            await().atMost(WAIT).until(() -> !nerve.isAlive() || status.answers());
            assertThat(nerve.isAlive()).as(log()).isTrue();

            // everything up and registered
            await().atMost(WAIT).until(() -> status.get("/healthz").statusCode() == 200
                    && Double.valueOf(1.0).equals(status.metric("nerve_service_up", "service", "web"))
                    && Double.valueOf(1.0).equals(status.metric("nerve_service_up", "service", "cache"))
                    && Double.valueOf(1.0).equals(status.metric("nerve_service_up", "service", "batch")));
            await().atMost(WAIT).until(() -> children(reader, "/nerve/web").size() == 1);
            assertThat(status.metric("nerve_check_up", "service", "web", "check", "health")).isEqualTo(1.0);
            assertThat(status.metric("nerve_check_duration_seconds", "service", "web", "check", "health")).isPositive();
            assertThat(status.metric("nerve_maintenance", "service", "batch")).isEqualTo(0.0);
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("nerve_reports_total", "service", "web", "result", "ok"))
                    .isGreaterThanOrEqualTo(1.0));
            String zkConnection = ZooKeeperEnsemble.of(zk.getConnectString()).connectString();
            assertThat(status.metric("nerve_registry_connected", "registry", "zookeeper", "connection", zkConnection)).isEqualTo(1.0);
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                    status.metric("nerve_registry_connected", "registry", "etcd", "connection", "http://" + etcd.endpoint(0).replace("http://", "")))
                    .isEqualTo(1.0));

            // web's check starts failing: the check and the service go down, the registration goes
            web.status(503);
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("nerve_service_up", "service", "web")).isEqualTo(0.0));
            assertThat(status.metric("nerve_check_up", "service", "web", "check", "health")).isEqualTo(0.0);
            await().atMost(WAIT).until(() -> children(reader, "/nerve/web").isEmpty());
            assertThat(status.metric("nerve_service_up", "service", "cache")).isEqualTo(1.0);

            // batch in maintenance
            Files.writeString(maintenance, "");
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("nerve_maintenance", "service", "batch")).isEqualTo(1.0));
            assertThat(status.metric("nerve_service_up", "service", "batch")).isEqualTo(0.0);

            // a failing check is the service's state, not a fault of nerve: still healthy
            assertThat(status.get("/healthz").statusCode()).isEqualTo(200);
            JsonNode json = status.status();
            JsonNode webJson = json.get("services").get(0);
            assertThat(webJson.get("name").asText()).isEqualTo("web");
            assertThat(webJson.get("state").asText()).isEqualTo("down");
            assertThat(webJson.get("reporter").get("registration").asText()).isEqualTo("not registered");
            assertThat(webJson.get("checks").get(0).get("last_result").asText()).isEqualTo("failed");
            assertThat(webJson.get("checks").get(0).get("reason").asText()).contains("503");
            assertThat(json.get("services").get(2).get("state").asText()).isEqualTo("maintenance");

            // what a person sees: every service, the failing check as failing
            String dom = Chromium.renderAndScreenshot(status.url("/"), Path.of("target", "status-nerve.png"));
            assertThat(dom).contains("<tr data-key=\"web\" class=\"failing\"><td>web</td>")
                    .contains("<tr data-key=\"cache\"><td>cache</td>")
                    .contains("<tr data-key=\"batch\"><td>batch</td><td>127.0.0.1:9000</td><td><span class=\"state neutral\">maintenance</span>")
                    .contains("<tr data-key=\"web/health\" class=\"failing\"><td>web</td><td>health (http)</td><td><span class=\"state failing\">down</span></td>")
                    .contains("<tr data-key=\"cache/port\"><td>cache</td><td>port (tcp)</td><td><span class=\"state ok\">up</span></td>");
            assertThat(Path.of("target", "status-nerve.png")).isNotEmptyFile();

            // batch back from maintenance and registered; then ZooKeeper goes away: its reports fail, the
            // connection is down, nerve is unhealthy (web, down, has nothing to report: its node went with it)
            Files.delete(maintenance);
            await().atMost(WAIT).until(() -> children(reader, "/nerve/batch").size() == 1);
            zk.stop();
            await().atMost(WAIT).untilAsserted(() -> assertThat(
                    status.metric("nerve_registry_connected", "registry", "zookeeper", "connection", zkConnection)).isEqualTo(0.0));
            await().atMost(WAIT).untilAsserted(() -> assertThat(status.metric("nerve_reports_total", "service", "batch", "result", "failed"))
                    .isGreaterThanOrEqualTo(1.0));
            await().atMost(WAIT).until(() -> status.get("/healthz").statusCode() == 503);
            HttpResponse<String> health = status.get("/healthz");
            assertThat(health.body()).startsWith("service batch: reporting to zookeeper ").doesNotContain("service cache");

            // the log: one JSON object per line
            List<String> lines = Files.readAllLines(dir.resolve("nerve.log")).stream().filter(l -> !l.isBlank()).toList();
            ObjectMapper mapper = new ObjectMapper();
            assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(mapper.readTree(l).has("message")).as(l).isTrue());
            assertThat(lines).anySatisfy(l -> {
                JsonNode line = mapper.readTree(l);
                assertThat(line.get("logger").asText()).isEqualTo("io.synapse.nerve.ServiceRunner");
                assertThat(line.get("message").asText()).startsWith("service web: down (check health: ");
                assertThat(line.get("level").asText()).isEqualTo("INFO");
            });
        } finally {
            zk.close();
        }
    }
}
