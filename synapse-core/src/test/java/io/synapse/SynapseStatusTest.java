package io.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.config.Plugins;
import io.synapse.spi.ServiceDefinition;
import io.synapse.testing.FakeCatalogFactory;
import io.synapse.testing.FakeWatcherFactory;
import io.synapse.testing.FreePorts;
import io.synapse.testing.StatusEndpoint;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * synapse's status endpoint in process, its watchers and catalog driven by hand: the numbers follow
 * what the engine sees. (With a real ZooKeeper and the daemon as a process: SynapseStatusPageTest
 * in watcher-zookeeper.)
 */
class SynapseStatusTest {
    @TempDir
    Path dir;

    private ObjectNode config(String id, int statusPort) {
        ObjectNode c = json("{'services': {"
                + "'api': {'discovery': {'method': 'fake', 'id': '" + id + "-api'}, 'haproxy': {'port': 3700}},"
                + "'db': {'discovery': {'method': 'fake', 'id': '" + id + "-db'},"
                + "        'default_servers': [{'name': 'fallback', 'host': '10.9.0.9', 'port': 5432}], 'haproxy': {'port': 3701}}},"
                + " 'catalogs': {'lb': {'method': 'fake', 'id': '" + id + "-lb'}},"
                + " 'file_output': {'output_directory': '" + dir.resolve("services") + "'},"
                + " 'status': {'port': " + statusPort + "}}");
        c.set("haproxy", TestConfigs.haproxyGlobal(dir));
        return c;
    }

    @Test
    void theNumbersFollowTheWatchers() throws Exception {
        try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config("s1", FreePorts.next())), Plugins.fromClasspath())) {
            InetSocketAddress address = synapse.startStatusEndpoint();
            assertThat(address.getAddress().isLoopbackAddress()).isTrue();
            StatusEndpoint status = new StatusEndpoint(address);
            synapse.start();

            // before the first snapshots: not healthy, and it says why
            HttpResponse<String> health = status.get("/healthz");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).contains("service api: no first snapshot yet\n", "catalog lb: no first set of services yet\n");

            await().until(() -> FakeWatcherFactory.started("s1-api") && FakeWatcherFactory.started("s1-db")
                    && FakeCatalogFactory.started("s1-lb"));
            FakeWatcherFactory.listener("s1-api").onBackends(List.of(FakeWatcherFactory.parse("a@10.0.0.1:8080")));
            FakeWatcherFactory.listener("s1-db").onBackends(List.of());
            FakeCatalogFactory.listener("s1-lb").onServices(List.of());
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            await().until(() -> status.get("/healthz").statusCode() == 200);
            assertThat(status.get("/healthz").body()).isEqualTo("ok\n");
            assertThat(status.metric("synapse_service_backends", "service", "api")).isEqualTo(1.0);
            assertThat(status.metric("synapse_service_backends", "service", "db")).isEqualTo(1.0); // the default server
            assertThat(status.metric("synapse_watcher_up", "service", "api")).isEqualTo(1.0);
            double firstChange = status.metric("synapse_service_last_change_timestamp_seconds", "service", "api");
            assertThat(firstChange).isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));

            // a new backend moves the gauge, the change time and the renders
            double rendersBefore = status.metric("synapse_renders_total", "result", "ok");
            FakeWatcherFactory.listener("s1-api").onBackends(List.of(FakeWatcherFactory.parse("a@10.0.0.1:8080"),
                    FakeWatcherFactory.parse("b@10.0.0.2:8080")));
            await().untilAsserted(() -> assertThat(status.metric("synapse_service_backends", "service", "api")).isEqualTo(2.0));
            await().untilAsserted(() -> assertThat(status.metric("synapse_renders_total", "result", "ok")).isGreaterThan(rendersBefore));
            assertThat(status.metric("synapse_service_last_change_timestamp_seconds", "service", "api")).isGreaterThanOrEqualTo(firstChange);
            assertThat(status.metric("synapse_render_duration_seconds_count")).isGreaterThanOrEqualTo(2.0);
            assertThat(status.metric("synapse_generator_writes_total", "generator", "file_output")).isGreaterThanOrEqualTo(2.0);
            assertThat(status.metric("synapse_generator_writes_total", "generator", "haproxy")).isGreaterThanOrEqualTo(2.0);

            // a skipped registration is counted
            FakeWatcherFactory.listener("s1-api").onRejected("/services/api/bad", "host \"not a host!\" is not an IP address or a DNS name");
            await().untilAsserted(() -> assertThat(status.metric("synapse_registrations_rejected_total", "service", "api")).isEqualTo(1.0));

            // a failing watcher: down in the gauge, counted, named by /healthz, the backends kept
            FakeWatcherFactory.listener("s1-db").onFailure("connection refused", null);
            assertThat(status.metric("synapse_watcher_up", "service", "db")).isEqualTo(0.0);
            assertThat(status.metric("synapse_watcher_failures_total", "service", "db")).isEqualTo(1.0);
            health = status.get("/healthz");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).isEqualTo("service db: watcher failing: connection refused\n");
            JsonNode json = status.status();
            assertThat(json.get("healthy").asBoolean()).isFalse();
            JsonNode db = json.get("services").get(1);
            assertThat(db.get("name").asText()).isEqualTo("db");
            assertThat(db.get("backends").asInt()).isEqualTo(1);
            assertThat(db.get("watcher").get("state").asText()).isEqualTo("failing");
            assertThat(db.get("watcher").get("last_error").asText()).isEqualTo("connection refused");
            JsonNode api = json.get("services").get(0);
            assertThat(api.get("rejected_registrations").asInt()).isEqualTo(1);
            assertThat(api.get("last_rejected").asText()).isEqualTo("/services/api/bad: host \"not a host!\" is not an IP address or a DNS name");
            assertThat(api.get("servers").toString()).isEqualTo(
                    "[{\"name\":\"a\",\"host\":\"10.0.0.1\",\"port\":8080},{\"name\":\"b\",\"host\":\"10.0.0.2\",\"port\":8080}]");

            // recovered: up again
            FakeWatcherFactory.listener("s1-db").onBackends(List.of(FakeWatcherFactory.parse("10.0.0.7:5432")));
            await().until(() -> status.get("/healthz").statusCode() == 200);
            assertThat(status.metric("synapse_watcher_up", "service", "db")).isEqualTo(1.0);

            // the page names every service with its backend count
            String page = status.get("/").body();
            assertThat(page).contains("<tr data-key=\"api\"><td>api</td><td>fake</td><td><span class=\"state ok\">up</span></td><td class=\"num\">2</td>")
                    .contains("<tr data-key=\"db\"><td>db</td>");
        }
    }

    @Test
    void aServiceACatalogRemovesTakesItsSeriesWithIt() throws Exception {
        try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config("s2", FreePorts.next())), Plugins.fromClasspath())) {
            StatusEndpoint status = new StatusEndpoint(synapse.startStatusEndpoint());
            synapse.start();
            await().until(() -> FakeCatalogFactory.started("s2-lb"));
            FakeCatalogFactory.listener("s2-lb").onServices(List.of(new ServiceDefinition("web", Map.of(
                    "discovery", Map.of("method", "fake", "id", "s2-web"), "haproxy", Map.of("port", 3702)))));
            await().until(() -> FakeWatcherFactory.started("s2-web"));
            FakeWatcherFactory.listener("s2-web").onBackends(List.of(FakeWatcherFactory.parse("10.0.1.1:80"),
                    FakeWatcherFactory.parse("10.0.1.2:80"), FakeWatcherFactory.parse("10.0.1.3:80")));
            await().untilAsserted(() -> assertThat(status.metric("synapse_service_backends", "service", "web")).isEqualTo(3.0));
            assertThat(status.status().get("services").findValuesAsText("catalog")).containsExactly("lb");

            FakeCatalogFactory.listener("s2-lb").onServices(List.of());
            await().untilAsserted(() -> assertThat(status.metric("synapse_service_backends", "service", "web")).isNull());
            assertThat(status.metrics().keySet()).noneMatch(k -> k.contains("service=\"web\""));
        }
    }

    @Test
    void closingStopsTheEndpointAndForgetsTheMeters() throws Exception {
        Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config("s3", FreePorts.next())), Plugins.fromClasspath());
        StatusEndpoint status = new StatusEndpoint(synapse.startStatusEndpoint());
        synapse.start();
        await().until(() -> status.metric("synapse_service_backends", "service", "db") != null);
        synapse.close();
        assertThat(status.answers()).isFalse();
        assertThat(io.micrometer.core.instrument.Metrics.globalRegistry.find("synapse.service.backends").meters()).isEmpty();
    }
}
