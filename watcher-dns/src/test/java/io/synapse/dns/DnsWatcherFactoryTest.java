package io.synapse.dns;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigException;
import io.synapse.common.config.ConfigProblems;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.config.SynapseConfig;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Binding through the engine's config loader, validation messages with their paths, defaults. */
class DnsWatcherFactoryTest {
    private static SynapseConfig load(String discovery) throws ConfigException {
        return load(discovery, "");
    }

    private static SynapseConfig load(String discovery, String serviceExtra) throws ConfigException {
        ObjectNode root = TestConfigs.json("{'services': {'api': {'discovery': " + discovery + serviceExtra
                + ", 'haproxy': {'port': 3210}}}}");
        root.set("haproxy", TestConfigs.haproxyGlobal(Path.of("/tmp/dns-config-test")));
        return new ConfigLoader(Plugins.fromClasspath(), k -> null).load(root, Path.of("."), new ConfigProblems());
    }

    private static List<String> problems(String discovery) {
        try {
            load(discovery);
            return List.of();
        } catch (ConfigException e) {
            return e.problems();
        }
    }

    private static Settings settings(String discovery) throws ConfigException {
        DnsConfig config = (DnsConfig) load(discovery).services().get("api").watcherConfig();
        return DnsWatcherFactory.settings(new WatcherContext("api", "services.api.discovery"), config);
    }

    @Test
    void isFoundByServiceLoaderAsDns() {
        assertThat(ServiceLoader.load(WatcherFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(f -> {
                    assertThat(f.name()).isEqualTo("dns");
                    assertThat(f.configClass()).isEqualTo(DnsConfig.class);
                });
    }

    @Test
    void theRubyConfigWorksUnchanged() throws Exception {
        Settings s = settings("{'method': 'dns', 'nameserver': '10.0.0.53', 'check_interval': 10,"
                + " 'servers': [{'name': 'db1', 'host': 'db1.example.com', 'port': 5432, 'labels': {'az': 'a'}},"
                + " {'name': 'db2', 'host': '10.0.0.7', 'port': '5432'}]}");
        assertThat(s.resolver().nameservers()).containsExactly(new InetSocketAddress("10.0.0.53", 53));
        assertThat(s.resolver().timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.maxInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.minInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.srv()).isEmpty();
        assertThat(s.servers()).containsExactly(
                new Settings.Host("db1", "db1.example.com", false, 5432, Map.of("az", "a")),
                new Settings.Host("db2", "10.0.0.7", true, 5432, Map.of()));
        assertThat(s.servers().get(0).questions()).containsExactly(
                Question.of("db1.example.com", Type.A), Question.of("db1.example.com", Type.AAAA));
        assertThat(s.servers().get(1).questions()).isEmpty();
    }

    @Test
    void srvAndNameserverTakeOneValueOrAList() throws Exception {
        Settings one = settings("{'method': 'dns', 'srv': '_grounduser._tcp.dev.kw', 'nameserver': '[fd00::53]:5353'}");
        assertThat(one.srv()).containsExactly(Question.of("_grounduser._tcp.dev.kw.", Type.SRV));
        assertThat(one.resolver().describe()).isEqualTo("[fd00::53]:5353");
        assertThat(one.maxInterval()).isEqualTo(Duration.ofSeconds(30));
        Settings list = settings("{'method': 'dns', 'srv': ['_a._tcp.dev.kw', '_b._tcp.dev.kw.', '_a._tcp.dev.kw.'],"
                + " 'nameserver': ['172.17.42.1', '127.0.0.1:5353', 'fd00::53'], 'min_interval': 0.5, 'max_interval': 5, 'timeout': 1.5}");
        assertThat(list.srv()).containsExactly(Question.of("_a._tcp.dev.kw", Type.SRV), Question.of("_b._tcp.dev.kw", Type.SRV));
        assertThat(list.resolver().describe()).isEqualTo("172.17.42.1:53,127.0.0.1:5353,[fd00::53]:53");
        assertThat(list.resolver().timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(list.minInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(list.maxInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void withoutNameserverTheSystemResolversAreAsked() throws Exception {
        assertThat(settings("{'method': 'dns', 'srv': '_a._tcp.dev.kw'}").resolver().nameservers()).isNotEmpty();
    }

    @Test
    void reportsEveryProblemWithItsPath() {
        assertThat(problems("{'method': 'dns'}")).containsExactly(
                "services.api.discovery: set servers (a list of {name, host, port}) or srv (SRV names)");
        assertThat(problems("{'method': 'dns', 'servers': [], 'srv': []}")).containsExactly(
                "services.api.discovery.srv: set either servers or srv, not both",
                "services.api.discovery.servers: must not be empty",
                "services.api.discovery.srv: must not be empty");
        assertThat(problems("{'method': 'dns', 'servers': [{'name': 'a b', 'port': 0}, {'host': 'x\\ny', 'port': 1, 'labels': {'': 'v'}}],"
                + " 'nameserver': ['dns.example.com', '10.0.0.1:99999', ''], 'check_interval': 0, 'min_interval': -1, 'timeout': 61}"))
                .containsExactly(
                        "services.api.discovery.servers[0].name: name \"a b\": only letters, digits and . _ - : are allowed",
                        "services.api.discovery.servers[0].host: is required",
                        "services.api.discovery.servers[0].port: expected an integer 1-65535, got 0",
                        "services.api.discovery.servers[1].host: host \"x\\u000ay\": expected an IP address or a DNS name",
                        "services.api.discovery.servers[1].labels: label \"\": expected 1-256 characters without control characters",
                        "services.api.discovery.nameserver[0]: expected an IP address, IP:port or [IPv6]:port, got \"dns.example.com\"",
                        "services.api.discovery.nameserver[1]: expected an IP address, IP:port or [IPv6]:port, got \"10.0.0.1:99999\"",
                        "services.api.discovery.nameserver[2]: must not be empty",
                        "services.api.discovery.check_interval: expected a number of seconds >= 0.1, got 0.0",
                        "services.api.discovery.min_interval: expected a number of seconds >= 0.1, got -1.0",
                        "services.api.discovery.timeout: expected a number of seconds 0.1-60, got 61.0");
        assertThat(problems("{'method': 'dns', 'srv': ['10.0.0.1', '', 'bad name'], 'check_interval': 10, 'max_interval': 10}"))
                .containsExactly(
                        "services.api.discovery.srv[0]: expected a DNS name like _api._tcp.example.com, got \"10.0.0.1\"",
                        "services.api.discovery.srv[1]: must not be empty",
                        "services.api.discovery.srv[2]: expected a DNS name like _api._tcp.example.com, got \"bad name\"",
                        "services.api.discovery.max_interval: set either check_interval (the Ruby key) or max_interval, not both: they are the same setting");
        assertThat(problems("{'method': 'dns', 'srv': '_a._tcp.x', 'min_interval': 40}")).containsExactly(
                "services.api.discovery.min_interval: 40.0 is above max_interval 30.0");
        assertThat(problems("{'method': 'dns', 'srv': '_a._tcp.x', 'min_interval': 5, 'check_interval': 2}")).containsExactly(
                "services.api.discovery.min_interval: 5.0 is above check_interval 2.0");
        assertThat(problems("{'method': 'dns', 'srv': '_a._tcp.x', 'hosts': ['a']}")).hasSize(1)
                .allSatisfy(p -> assertThat(p).startsWith("services.api.discovery.hosts: unknown key for method \"dns\""));
        // a lone value counts as a list of one
        assertThat(problems("{'method': 'dns', 'srv': {'name': 'x'}}")).containsExactly("services.api.discovery.srv[0]: expected a string");
    }

    @Test
    void hostsWithoutPortNeedThePortOverride() throws Exception {
        String discovery = "{'method': 'dns', 'servers': [{'name': 'a', 'host': 'a.example.com'}]}";
        assertThat(problems(discovery)).containsExactly("services.api.backend_port_override: is required: discovery method \"dns\""
                + " as configured finds no ports (or set haproxy.server_port_override)");
        SynapseConfig config = load(discovery, ", 'backend_port_override': 8080");
        assertThat(config.services().get("api").backendPortOverride()).isEqualTo(8080);
        Settings s = DnsWatcherFactory.settings(new WatcherContext("api", "x"), (DnsConfig) config.services().get("api").watcherConfig());
        assertThat(s.servers().get(0).port()).isEqualTo(Settings.PLACEHOLDER_PORT);
    }

    @Test
    void createRejectsAnInvalidConfigListingEveryProblem() {
        assertThatThrownBy(() -> new DnsWatcherFactory().create(new WatcherContext("api", "services.api.discovery"),
                new DnsConfig(null, List.of(""), List.of("x"), null, null, null, null), new RecordingListener()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("services.api.discovery.srv[0]: must not be empty\n"
                        + "services.api.discovery.nameserver[0]: expected an IP address, IP:port or [IPv6]:port, got \"x\"");
    }
}
