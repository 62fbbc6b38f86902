package io.synapse.multi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigException;
import io.synapse.common.config.ConfigProblems;
import io.synapse.config.ConfigLoader;
import io.synapse.config.SynapseConfig;
import io.synapse.spi.ConfigGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every config problem of multi and zookeeper_dns, with the full path, children's included. */
class MultiConfigTest {
    @TempDir
    Path dir;

    private ObjectNode config(String discovery, String extra) {
        return (ObjectNode) MultiTesting.json("""
                {"services": {"api": {"discovery": %s, "haproxy": {"port": 3000}%s}},
                 "haproxy": {"config_file_path": "%s", "do_reloads": false, "do_socket": false, "global": [], "defaults": []}}
                """.formatted(discovery, extra, dir.resolve("haproxy.cfg")));
    }

    private List<String> problems(String discovery) {
        return problems(discovery, "");
    }

    private List<String> problems(String discovery, String extra) {
        try {
            SynapseConfig loaded = new ConfigLoader(MultiTesting.PLUGINS, Map.<String, String>of()::get).load(config(discovery, extra), dir, new ConfigProblems());
            loaded.generators().values().forEach(ConfigGenerator::close);
            return List.of();
        } catch (ConfigException e) {
            return e.problems();
        }
    }

    @Test
    void childProblemsCarryTheirFullPath() {
        assertThat(problems("""
                {"method": "multi",
                 "watchers": {"primary": {"method": "zookeeper", "hosts": [], "path": "/svc"},
                              "secondary": {"method": "etcd", "endpoints": ["http://127.0.0.1:2379"], "path": "/svc", "prefix": "x"},
                              "third": {"method": "dsn", "servers": []},
                              "fourth": {"method": "zookeeper_dns", "path": "/svc"}},
                 "resolver": {"method": "union"}}
                """)).containsExactly(
                "services.api.discovery.watchers.primary.hosts: must not be empty",
                "services.api.discovery.watchers.secondary.prefix: unknown key for method \"etcd\"; known keys: endpoints, path, decode, ca_file, cert_file, key_file, user, password",
                "services.api.discovery.watchers.third.method: unknown method \"dsn\" (did you mean \"dns\"?) (installed: base, dns, etcd, fake, multi, zookeeper, zookeeper_dns, zookeeper_poll)",
                "services.api.discovery.watchers.fourth.hosts: is required: a list of \"host:port\"");
    }

    @Test
    void resolverProblems() {
        String watchers = "{\"zk\": {\"method\": \"fake\", \"id\": \"c1\"}, \"etcd\": {\"method\": \"fake\", \"id\": \"c2\"}}";
        assertThat(problems("{\"method\": \"multi\", \"watchers\": " + watchers + "}"))
                .containsExactly("services.api.discovery.resolver: is required: {\"method\": \"union\"} (or sequential, s3_toggle, file_toggle)");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": " + watchers + ", \"resolver\": {\"method\": \"fallback\"}}"))
                .containsExactly("services.api.discovery.resolver.method: unknown resolver \"fallback\" (known: union, sequential, s3_toggle, file_toggle)");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": " + watchers
                + ", \"resolver\": {\"method\": \"union\", \"sequential_order\": [\"zk\"]}}"))
                .containsExactly("services.api.discovery.resolver.sequential_order: unknown key for resolver \"union\"; known keys: method");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": " + watchers
                + ", \"resolver\": {\"method\": \"sequential\", \"sequential_order\": [\"zk\", \"etdc\", \"zk\"]}}"))
                .containsExactly(
                        "services.api.discovery.resolver.sequential_order[1]: unknown watcher \"etdc\" (did you mean \"etcd\"?) (watchers: zk, etcd)",
                        "services.api.discovery.resolver.sequential_order[2]: \"zk\" is listed twice",
                        "services.api.discovery.resolver.sequential_order: does not list watcher \"etcd\"");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": " + watchers + ", \"resolver\": {\"method\": \"sequential\"}}"))
                .containsExactly("services.api.discovery.resolver.sequential_order: is required: the watchers' names, first choice first");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": " + watchers
                + ", \"resolver\": {\"method\": \"s3_toggle\", \"s3_url\": \"https://bucket/key\", \"s3_polling_interval_seconds\": 0,"
                + " \"aws_access_key_id\": \"AKID\", \"endpoint\": \"ftp://x\"}}"))
                .containsExactly(
                        "services.api.discovery.resolver.s3_url: expected s3://bucket/key, got \"https://bucket/key\"",
                        "services.api.discovery.resolver.s3_polling_interval_seconds: expected a number of seconds >= 0.1, got 0",
                        "services.api.discovery.resolver.aws_region: required (or set the AWS_REGION or AWS_DEFAULT_REGION environment variable)",
                        "services.api.discovery.resolver.aws_secret_access_key: required when aws_access_key_id is set",
                        "services.api.discovery.resolver.endpoint: expected an http or https URL, got \"ftp://x\"");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": " + watchers
                + ", \"resolver\": {\"method\": \"s3_toggle\", \"s3_url\": \"s3://bucket/\", \"aws_region\": \"eu_west\"}}"))
                .containsExactly(
                        "services.api.discovery.resolver.s3_url: expected s3://bucket/key, got \"s3://bucket/\"",
                        "services.api.discovery.resolver.s3_polling_interval_seconds: is required: seconds between two reads of the object",
                        "services.api.discovery.resolver.aws_region: expected a region name like us-east-1, got \"eu_west\"");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": " + watchers
                + ", \"resolver\": {\"method\": \"file_toggle\", \"polling_interval_secs\": 1}}"))
                .containsExactly(
                        "services.api.discovery.resolver.polling_interval_secs: unknown key for resolver \"file_toggle\" (did you mean \"polling_interval_seconds\"?); known keys: method, path, polling_interval_seconds",
                        "services.api.discovery.resolver.path: is required");
    }

    @Test
    void theRegionMayComeFromTheEnvironmentAsForEc2tag() {
        MultiWatcherFactory factory = new MultiWatcherFactory(Map.of("AWS_DEFAULT_REGION", "eu-central-1")::get, () -> "host-1");
        factory.setWatcherFactories(MultiTesting.PLUGINS.watcherFactories());
        MultiConfig config = new MultiConfig(MultiTesting.json("{\"a\": {\"method\": \"fake\", \"id\": \"r1\"}}"),
                MultiTesting.json("{\"method\": \"s3_toggle\", \"s3_url\": \"s3://b/k\", \"s3_polling_interval_seconds\": 5}"));
        ConfigProblems problems = new ConfigProblems();
        MultiWatcherFactory.Plan plan = factory.plan(config, problems);
        assertThat(problems.messages()).isEmpty();
        ToggleSpec.S3 spec = (ToggleSpec.S3) ((Resolver.Toggle) plan.resolver()).source();
        assertThat(spec).isEqualTo(new ToggleSpec.S3("b", "k", java.time.Duration.ofSeconds(5), new io.synapse.common.aws.AwsAccess("eu-central-1", null, null)));
    }

    @Test
    void watchersProblems() {
        assertThat(problems("{\"method\": \"multi\", \"resolver\": {\"method\": \"union\"}}"))
                .containsExactly("services.api.discovery.watchers: is required: an object of name to child watcher, e.g. {\"primary\": {\"method\": \"zookeeper\", ...}}");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": {}, \"resolver\": {\"method\": \"union\"}}"))
                .containsExactly("services.api.discovery.watchers: must name at least one watcher");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": [], \"resolver\": {\"method\": \"union\"}}"))
                .containsExactly("services.api.discovery.watchers: expected an object of name to child watcher, got a list");
        assertThat(problems("{\"method\": \"multi\", \"watchers\": {\"a b\": {\"method\": \"fake\", \"id\": \"x\"}}, \"resolver\": {\"method\": \"union\"}}"))
                .containsExactly("services.api.discovery.watchers.a b: invalid watcher name: only letters, digits and . _ - : are allowed");
    }

    @Test
    void aChildWithoutPortsNeedsTheServicesPortOverride() {
        String discovery = """
                {"method": "multi", "watchers": {"names": {"method": "dns", "servers": [{"name": "a", "host": "a.example.com"}]},
                                                 "zk": {"method": "fake", "id": "p1"}},
                 "resolver": {"method": "union"}}
                """;
        assertThat(problems(discovery)).containsExactly(
                "services.api.backend_port_override: is required: discovery method \"multi\" as configured finds no ports (or set haproxy.server_port_override)");
        assertThat(problems(discovery, ", \"backend_port_override\": 8080")).isEmpty();
    }

    @Test
    void zookeeperDnsProblemsReadAsTheChildrensOwn() {
        assertThat(problems("{\"method\": \"zookeeper_dns\", \"hosts\": \"127.0.0.1:2181\", \"path\": \"/svc\", \"nameserver\": \"10.0.0.300\","
                + " \"check_interval\": -1, \"check_intervall\": 1}"))
                .containsExactly(
                        "services.api.discovery.check_intervall: unknown key for method \"zookeeper_dns\" (did you mean \"check_interval\"?); known keys: hosts, path, nameserver, check_interval, generator_config_path, decode, discovery_jitter, retry_policy, auth, resync_jitter",
                        "services.api.discovery.nameserver[0]: expected an IP address, IP:port or [IPv6]:port, got \"10.0.0.300\"",
                        "services.api.discovery.check_interval: expected a number of seconds >= 0.1, got -1.0");
        assertThat(problems("{\"method\": \"zookeeper_dns\", \"hosts\": [\"127.0.0.1:2181\"], \"path\": \"/svc\", \"nameserver\": \"127.0.0.1:53\", \"check_interval\": 5}"))
                .isEmpty();
    }
}
