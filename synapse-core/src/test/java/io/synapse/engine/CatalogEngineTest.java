package io.synapse.engine;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.common.config.ConfigException;
import io.synapse.config.Plugins;
import io.synapse.spi.ServiceDefinition;
import io.synapse.testing.FakeCatalogFactory;
import io.synapse.testing.FakeWatcherFactory;
import io.synapse.testing.Haproxy;
import io.synapse.testing.LogCapture;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.FakeWatcherFactory.backends;
import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CatalogEngineTest {
    @TempDir
    Path dir;

    private ObjectNode config(String catalogId) {
        ObjectNode c = json("{'services': {'static': {'discovery': {'method': 'fake', 'id': 'static-" + catalogId + "',"
                + " 'initial': ['10.9.0.1:80']}, 'haproxy': {'port': 3500}}},"
                + " 'catalogs': {'lb': {'method': 'fake', 'id': '" + catalogId + "',"
                + " 'haproxy': {'server_options': 'check inter 2s', 'backend': ['balance roundrobin']}}}}");
        c.set("haproxy", TestConfigs.haproxyGlobal(dir));
        return c;
    }

    private String cfg() throws Exception {
        Path p = dir.resolve("haproxy.cfg");
        return Files.exists(p) ? Files.readString(p) : "";
    }

    private static ServiceDefinition service(String name, String watcherId, int port) {
        return new ServiceDefinition(name, Map.of(
                "discovery", Map.of("method", "fake", "id", watcherId),
                "haproxy", Map.of("port", port)));
    }

    @Test
    void servicesAppearChangeAndLeaveWithTheCatalog() throws Exception {
        try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config("c1")), Plugins.fromClasspath())) {
            synapse.start();
            await().until(() -> FakeCatalogFactory.started("c1"));
            assertThat(synapse.uninitializedServices()).contains("catalog lb");
            FakeCatalogFactory.listener("c1").onServices(List.of(service("web", "c1-web", 3501)));
            await().until(() -> FakeWatcherFactory.started("c1-web"));
            FakeWatcherFactory.listener("c1-web").onBackends(backends("a@10.0.0.1:8080"));
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            // the catalog's haproxy defaults are applied under the service's own keys
            await().untilAsserted(() -> assertThat(cfg())
                    .contains("frontend web", "bind localhost:3501", "balance roundrobin",
                            "server a_10.0.0.1:8080 10.0.0.1:8080 id 1 cookie a_10.0.0.1:8080 check inter 2s"));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));

            // a changed definition replaces the service; its backends stay until the new watcher reports
            FakeCatalogFactory.listener("c1").onServices(List.of(service("web", "c1-web2", 3502)));
            await().untilAsserted(() -> assertThat(cfg()).contains("bind localhost:3502", "10.0.0.1:8080").doesNotContain("3501"));
            assertThat(FakeWatcherFactory.closed("c1-web")).isTrue();
            FakeWatcherFactory.listener("c1-web2").onBackends(backends("b@10.0.0.2:8080"));
            await().untilAsserted(() -> assertThat(cfg()).contains("10.0.0.2:8080").doesNotContain("10.0.0.1:8080"));

            // absent from the next set: removed from the outputs, watcher closed
            FakeCatalogFactory.listener("c1").onServices(List.of());
            await().untilAsserted(() -> assertThat(cfg()).doesNotContain("web").contains("frontend static"));
            assertThat(FakeWatcherFactory.closed("c1-web2")).isTrue();
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
            assertThat(synapse.serviceNames()).containsExactly("static");
        }
        assertThat(FakeCatalogFactory.closed("c1")).isTrue();
    }

    @Test
    void aStaticServiceWinsAndAnInvalidDefinitionIsSkipped() throws Exception {
        try (LogCapture log = new LogCapture("io.synapse.catalog");
                Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config("c2")), Plugins.fromClasspath())) {
            synapse.start();
            await().until(() -> FakeCatalogFactory.started("c2"));
            FakeCatalogFactory.listener("c2").onServices(List.of(
                    service("static", "c2-shadow", 3510),
                    new ServiceDefinition("bad", Map.of("discovery", Map.of("method", "fake", "id", "c2-bad"),
                            "haproxy", Map.of("port", "80a"))),
                    service("good", "c2-good", 3511)));
            await().until(() -> FakeWatcherFactory.started("c2-good"));
            FakeWatcherFactory.listener("c2-good").onBackends(backends("10.0.0.3:80"));
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            assertThat(cfg()).contains("bind localhost:3500", "bind localhost:3511").doesNotContain("3510", "frontend bad");
            assertThat(FakeWatcherFactory.started("c2-shadow")).isFalse();
            assertThat(FakeWatcherFactory.started("c2-bad")).isFalse();
            assertThat(log.messages(Level.WARN)).contains(
                    "catalog lb: service static is already defined (in services or by another catalog); that one wins",
                    "catalog lb: skipping service bad: services.bad.haproxy.port: expected an integer 1-65535, got \"80a\"");

            // the same set again: no new warnings, nothing restarted
            int warnings = log.messages(Level.WARN).size();
            FakeCatalogFactory.listener("c2").onServices(List.of(
                    service("static", "c2-shadow", 3510),
                    new ServiceDefinition("bad", Map.of("discovery", Map.of("method", "fake", "id", "c2-bad"),
                            "haproxy", Map.of("port", "80a"))),
                    service("good", "c2-good", 3511)));
            FakeCatalogFactory.listener("c2").onServices(List.of(service("good", "c2-good", 3511), service("more", "c2-more", 3512)));
            await().until(() -> FakeWatcherFactory.started("c2-more"));
            assertThat(log.messages(Level.WARN)).hasSize(warnings);
            assertThat(FakeWatcherFactory.closed("c2-good")).isFalse();
        }
    }

    @Test
    void aCatalogOnlyConfigWorksAndLineListsAddToTheDefaults() throws Exception {
        ObjectNode c = config("c4");
        c.remove("services");
        try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, c), Plugins.fromClasspath())) {
            synapse.start();
            await().until(() -> FakeCatalogFactory.started("c4"));
            FakeCatalogFactory.listener("c4").onServices(List.of(new ServiceDefinition("api", Map.of(
                    "discovery", Map.of("method", "fake", "id", "c4-api", "initial", List.of("10.0.0.7:80")),
                    "haproxy", Map.of("port", 3520, "backend", List.of("option redispatch"), "server_options", "check")))));
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            String api = cfg().substring(cfg().indexOf("backend api"));
            assertThat(api).contains("\tbalance roundrobin\n\toption redispatch\n", "cookie 10.0.0.7:80 check\n");
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
        }
    }

    @Test
    void catalogConfigErrorsHavePaths() {
        ObjectNode c = config("c3");
        c.with("catalogs").set("lb2", json("{'method': 'fakee', 'haproxy': {'port': 'x'}}"));
        c.with("catalogs").set("lb3", json("{'method': 'fake', 'idd': 'x', 'haproxy': 'no'}"));
        assertThatThrownBy(() -> Synapse.fromFile(TestConfigs.write(dir, c), Plugins.fromClasspath()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "catalogs.lb2.haproxy.port: expected an integer 1-65535, got \"x\"",
                        "catalogs.lb2.method: unknown catalog method \"fakee\" (did you mean \"fake\"?) (installed: fake)",
                        "catalogs.lb3.haproxy: expected an object of defaults for every service of this catalog, got \"no\"",
                        "catalogs.lb3.idd: unknown key for catalog method \"fake\" (did you mean \"id\"?); known keys: id",
                        "catalogs.lb3.id: is required"));
    }
}
