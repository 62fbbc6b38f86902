package io.synapse.marathon;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.Catalog;
import io.synapse.spi.CatalogContext;
import io.synapse.spi.ServiceDefinition;
import io.synapse.testing.LogCapture;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The marathon catalog against the emulator: Marathon-LB's groups, names, modes, virtual hosts, and apps coming and going. */
class MarathonCatalogTest {
    /** The seed's nginx2.json: group external, Docker bridge networking, service port 10000, an HTTP health check. */
    static final String NGINX2 = """
            {"id": "nginx2", "labels": {"HAPROXY_GROUP": "external"}, "cpus": 0.2, "mem": 20.0, "instances": 1,
             "healthChecks": [{"path": "/"}],
             "container": {"type": "DOCKER", "docker": {"image": "nginx:1.10", "network": "BRIDGE",
               "portMappings": [{"containerPort": 80, "hostPort": 0, "servicePort": 10000, "protocol": "tcp"}]}}}""";

    MarathonEmulator marathon;

    @BeforeEach
    void start() {
        marathon = MarathonEmulator.start();
    }

    @AfterEach
    void stop() {
        marathon.close();
    }

    static MarathonCatalogConfig config(String json) throws Exception {
        ObjectNode node = TestConfigs.json(json);
        return TestConfigs.MAPPER.copy()
                .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
                .treeToValue(node, MarathonCatalogConfig.class);
    }

    private Catalog catalog(String group, Recording listener) throws Exception {
        return new MarathonCatalogFactory().create(new CatalogContext("lb", "catalogs.lb"),
                config("{'marathon_api_url': '" + marathon.url() + "', 'group': " + group + "}"), listener);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(ServiceDefinition service, String key) {
        return (Map<String, Object>) service.config().get(key);
    }

    @Test
    void theSeedsNginx2BecomesAServiceOnItsServicePort() throws Exception {
        marathon.createApp(NGINX2);
        Recording listener = new Recording();
        try (Catalog catalog = catalog("'external'", listener)) {
            catalog.start();
            await().until(() -> !listener.sets.isEmpty());
            assertThat(listener.names()).containsExactly("nginx2_10000");
            ServiceDefinition nginx2 = listener.service("nginx2_10000");
            assertThat(section(nginx2, "discovery")).isEqualTo(Map.of("method", "marathon", "marathon_api_url", List.of(marathon.url()),
                    "application_name", "/nginx2", "port_index", 0));
            // an HTTP health check makes it an HTTP service, as in Marathon-LB
            assertThat(section(nginx2, "haproxy")).isEqualTo(Map.of("port", 10000, "listen", List.of("mode http")));
        }
    }

    @Test
    void groupsSelectAppsAndPortsAndNamesFollowMarathonLb() throws Exception {
        marathon.createApp("""
                {"id": "/prod/web", "labels": {"HAPROXY_GROUP": "external,edge", "HAPROXY_1_GROUP": "internal"},
                 "portDefinitions": [{"port": 10001}, {"port": 10002}]}""");
        marathon.createApp("{\"id\": \"/db\", \"labels\": {\"HAPROXY_GROUP\": \"internal\"}, \"portDefinitions\": [{\"port\": 10003}]}");
        marathon.createApp("{\"id\": \"/batch\", \"portDefinitions\": [{\"port\": 10004}]}");
        Recording external = new Recording();
        Recording both = new Recording();
        Recording all = new Recording();
        try (Catalog a = catalog("'external'", external); Catalog b = catalog("['internal', 'external']", both); Catalog c = catalog("'*'", all)) {
            a.start();
            b.start();
            c.start();
            await().until(() -> !external.sets.isEmpty() && !both.sets.isEmpty() && !all.sets.isEmpty());
            assertThat(external.names()).containsExactly("prod_web_10001");
            assertThat(both.names()).containsExactly("db_10003", "prod_web_10001", "prod_web_10002");
            assertThat(all.names()).containsExactly("batch_10004", "db_10003", "prod_web_10001", "prod_web_10002");
            assertThat(section(both.service("prod_web_10002"), "discovery")).containsEntry("port_index", 1)
                    .containsEntry("application_name", "/prod/web");
            // no health check, no virtual host: TCP
            assertThat(section(both.service("db_10003"), "haproxy")).containsEntry("listen", List.of("mode tcp"));
        }
    }

    @Test
    void modeVirtualHostsAndBindAddressFromLabels() throws Exception {
        marathon.createApp("""
                {"id": "site", "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "www.example.com, example.com",
                  "HAPROXY_1_MODE": "TCP", "HAPROXY_1_BIND_ADDR": "127.0.0.1"},
                 "portDefinitions": [{"port": 10010}, {"port": 10011}]}""");
        Recording listener = new Recording();
        try (Catalog catalog = catalog("'external'", listener)) {
            catalog.start();
            await().until(() -> !listener.sets.isEmpty());
            assertThat(section(listener.service("site_10010"), "haproxy")).isEqualTo(Map.of("port", 10010, "listen", List.of("mode http"),
                    "shared_frontend", List.of("acl host_site_10010 req.hdr(host),field(1,:) -m str -i www.example.com example.com",
                            "use_backend site_10010 if host_site_10010")));
            assertThat(section(listener.service("site_10011"), "haproxy")).isEqualTo(Map.of("port", 10011, "listen", List.of("mode tcp"),
                    "bind_address", "127.0.0.1"));
        }
    }

    @Test
    void invalidLabelsLeaveTheServiceOutWithOneWarning() throws Exception {
        marathon.createApp("""
                {"id": "bad", "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_MODE": "udp",
                  "HAPROXY_1_VHOST": "evil.example.com\\n  bind *:1", "HAPROXY_2_BIND_ADDR": "0.0.0.0 ssl",
                  "HAPROXY_3_MODE": "tcp", "HAPROXY_3_VHOST": "tcp.example.com"},
                 "portDefinitions": [{"port": 10020}, {"port": 10021}, {"port": 10022}, {"port": 10023}, {"port": 10024}]}""");
        Recording listener = new Recording();
        try (LogCapture log = new LogCapture(MarathonCatalog.class); Catalog catalog = catalog("'external'", listener)) {
            catalog.start();
            await().until(() -> !listener.sets.isEmpty());
            assertThat(listener.names()).containsExactly("bad_10023", "bad_10024");
            assertThat(section(listener.service("bad_10023"), "haproxy")).doesNotContainKey("shared_frontend");
            assertThat(log.messages(Level.WARN)).containsExactly(
                    "catalog lb: app /bad port index 0 (service bad_10020): HAPROXY_0_MODE \"udp\": expected http or tcp; leaving the service out",
                    "catalog lb: app /bad port index 1 (service bad_10021): HAPROXY_1_VHOST \"evil.example.com\\u000a  bind *:1\":"
                            + " expected host names separated by commas; leaving the service out",
                    "catalog lb: app /bad port index 2 (service bad_10022): HAPROXY_2_BIND_ADDR \"0.0.0.0 ssl\":"
                            + " expected an IP address, a host name or *; leaving the service out",
                    "catalog lb: app /bad port index 3 (service bad_10023): HAPROXY_3_VHOST ignored: Host-header routing needs mode http,"
                            + " and HAPROXY_3_MODE is tcp");
            // another app changes: the set is published again, the warnings are not repeated
            marathon.createApp("{\"id\": \"more\", \"labels\": {\"HAPROXY_GROUP\": \"external\"}, \"portDefinitions\": [{\"port\": 10030}]}");
            await().until(() -> listener.names().contains("more_10030"));
            assertThat(log.messages(Level.WARN)).hasSize(4);
        }
    }

    @Test
    void anAppGroupAppearsScalesAndIsDestroyed() throws Exception {
        Recording listener = new Recording();
        try (Catalog catalog = catalog("'external'", listener)) {
            catalog.start();
            await().until(() -> !listener.sets.isEmpty());
            assertThat(listener.names()).isEmpty();
            marathon.createApp(NGINX2);
            await().until(() -> listener.names().equals(List.of("nginx2_10000")));
            int sets = listener.sets.size();
            // scaling changes tasks, not the definition: no new set
            marathon.scale("nginx2", 3);
            marathon.createApp("{\"id\": \"other\", \"labels\": {\"HAPROXY_GROUP\": \"internal\"}, \"portDefinitions\": [{\"port\": 10040}]}");
            await().until(() -> marathon.appReads() >= 3);
            assertThat(listener.sets).hasSize(sets);
            // a relabelled app joins the group
            marathon.updateApp("{\"id\": \"other\", \"labels\": {\"HAPROXY_GROUP\": \"external\"}, \"portDefinitions\": [{\"port\": 10040}]}");
            await().until(() -> listener.names().equals(List.of("nginx2_10000", "other_10040")));
            marathon.destroyApp("nginx2");
            await().until(() -> listener.names().equals(List.of("other_10040")));
        }
    }

    @Test
    void marathonDownIsAFailureAndTheSetComesBackAfter() throws Exception {
        marathon.createApp(NGINX2);
        Recording listener = new Recording();
        try (Catalog catalog = new MarathonCatalogFactory().create(new CatalogContext("lb", "catalogs.lb"),
                config("{'marathon_api_url': '" + marathon.url() + "', 'group': 'external', 'check_interval': 0.2}"), listener)) {
            catalog.start();
            await().until(() -> !listener.sets.isEmpty());
            int sets = listener.sets.size();
            marathon.setUnavailable(true);
            await().until(() -> !listener.failures.isEmpty());
            assertThat(listener.sets).hasSize(sets);
            marathon.setUnavailable(false);
            await().until(() -> listener.sets.size() > sets);
            assertThat(listener.names()).containsExactly("nginx2_10000");
        }
    }

    @Test
    void configProblemsHavePaths() throws Exception {
        ConfigProblems problems = new ConfigProblems().at("catalogs.lb");
        new MarathonCatalogFactory().validate(config("{'marathon_api_url': ['ftp://m:21', 5], 'credentials': 'nocolon',"
                + " 'group': ['ok', ''], 'check_interval': 0}"), problems);
        assertThat(problems.messages()).containsExactly(
                "catalogs.lb.marathon_api_url[0]: expected an http:// or https:// URL, got \"ftp://m:21\"",
                "catalogs.lb.marathon_api_url[1]: expected a URL, got 5",
                "catalogs.lb.credentials: expected user:password",
                "catalogs.lb.group[1]: expected a group name, got \"\"",
                "catalogs.lb.check_interval: expected seconds between 0.01 and 86400, got 0.0");
        ConfigProblems missing = new ConfigProblems().at("catalogs.lb");
        new MarathonCatalogFactory().validate(config("{}"), missing);
        assertThat(missing.messages()).containsExactly("catalogs.lb.marathon_api_url: is required",
                "catalogs.lb.group: is required (the HAPROXY_GROUP of the apps to serve, or \"*\" for every app)");
    }
}
