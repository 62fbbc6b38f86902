package io.synapse.ec2tag;

import io.synapse.common.aws.AwsAccess;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Ec2TagConfigTest {
    private static final WatcherContext CONTEXT = new WatcherContext("api", "services.api.discovery");

    private final Ec2TagWatcherFactory factory = new Ec2TagWatcherFactory(
            Ec2TagWatcherFactory.pollers(), name -> null);

    private static List<String> problems(Ec2TagWatcherFactory factory, String json) {
        ConfigProblems problems = new ConfigProblems().at("services.api.discovery");
        factory.validate(TestSupport.bind(json), problems);
        return problems.messages();
    }

    private List<String> problems(String json) {
        return problems(factory, json);
    }

    @Test
    void theServiceLoaderFindsTheFactory() {
        assertThat(ServiceLoader.load(WatcherFactory.class).stream().map(ServiceLoader.Provider::get))
                .filteredOn(f -> f.name().equals("ec2tag"))
                .singleElement()
                .satisfies(f -> assertThat(f.configClass()).isEqualTo(Ec2TagConfig.class));
    }

    @Test
    void bindsEveryOption() {
        Ec2TagConfig config = TestSupport.bind("""
                {"tag_name": "servicename", "tag_value": "true", "aws_region": "eu-west-1",
                 "aws_access_key_id": "AKID", "aws_secret_access_key": "s3cr3t", "check_interval": 120.0,
                 "endpoint": "https://ec2.eu-west-1.amazonaws.com", "address": "public_dns",
                 "filters": {"instance-type": ["m5.large", "m5.xlarge"], "tag:env": ["prod"]},
                 "port_tag": "port", "server_name": "name_tag"}""");

        assertThat(config).isEqualTo(new Ec2TagConfig("servicename", "true", "eu-west-1", "AKID", "s3cr3t", 120.0,
                "https://ec2.eu-west-1.amazonaws.com", "public_dns",
                Map.of("instance-type", List.of("m5.large", "m5.xlarge"), "tag:env", List.of("prod")), "port", null, "name_tag"));
        assertThat(problems("""
                {"tag_name": "servicename", "tag_value": "true", "aws_region": "eu-west-1",
                 "aws_access_key_id": "AKID", "aws_secret_access_key": "s3cr3t", "check_interval": 120.0,
                 "endpoint": "https://ec2.eu-west-1.amazonaws.com", "address": "public_dns",
                 "filters": {"instance-type": ["m5.large", "m5.xlarge"], "tag:env": ["prod"]},
                 "port_tag": "port", "server_name": "name_tag"}""")).isEmpty();
    }

    @Test
    void theSecretNeverShowsInToString() {
        Ec2TagConfig config = TestSupport.bind("""
                {"tag_name": "a", "tag_value": "b", "aws_region": "us-east-1",
                 "aws_access_key_id": "AKID", "aws_secret_access_key": "s3cr3t"}""");
        assertThat(config.toString()).doesNotContain("s3cr3t").contains("awsSecretAccessKey=<redacted>", "awsAccessKeyId=AKID");
        Settings settings = factory.settings(CONTEXT, config);
        assertThat(settings.toString()).doesNotContain("s3cr3t");
        assertThat(settings.key().describe()).isEqualTo("us-east-1 [tag:a=b]");
    }

    @Test
    void unknownKeysAreErrors() {
        assertThatThrownBy(() -> TestSupport.bind("{\"tag_name\": \"a\", \"tag_value\": \"b\", \"region\": \"us-east-1\"}"))
                .isInstanceOf(UncheckedIOException.class)
                .cause().isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("\"region\"");
    }

    @Test
    void theClayIoDiscoveryIsValidWithDefaults() {
        Ec2TagConfig config = TestSupport.bind("""
                {"tag_name": "servicename", "tag_value": "true", "check_interval": 120.0}""");
        Ec2TagWatcherFactory withEnv = new Ec2TagWatcherFactory(
                Ec2TagWatcherFactory.pollers(), Map.of("AWS_DEFAULT_REGION", "us-west-2")::get);

        assertThat(problems(withEnv, "{\"tag_name\": \"servicename\", \"tag_value\": \"true\", \"check_interval\": 120.0}")).isEmpty();
        Settings settings = withEnv.settings(CONTEXT, config);
        assertThat(settings.interval()).isEqualTo(Duration.ofSeconds(120));
        assertThat(settings.address()).isEqualTo(Settings.Address.PRIVATE_IP);
        assertThat(settings.serverName()).isEqualTo(Settings.ServerName.INSTANCE_ID);
        assertThat(settings.port()).isNull();
        assertThat(settings.portTag()).isNull();
        assertThat(settings.key()).isEqualTo(new PollerKey(new AwsAccess("us-west-2", null, null),
                List.of(Ec2Filter.of("tag:servicename", "true"))));
    }

    @Test
    void defaultsAndRegionFromTheEnvironment() {
        Ec2TagWatcherFactory withEnv = new Ec2TagWatcherFactory(
                Ec2TagWatcherFactory.pollers(),
                Map.of("AWS_REGION", "ap-southeast-2", "AWS_DEFAULT_REGION", "us-west-2")::get);
        Settings settings = withEnv.settings(CONTEXT, TestSupport.bind("{\"tag_name\": \"a\", \"tag_value\": \"b\", \"port\": 80}"));
        assertThat(settings.key().client().region()).isEqualTo("ap-southeast-2");
        assertThat(settings.interval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(settings.port()).isEqualTo(80);

        Settings explicit = withEnv.settings(CONTEXT, TestSupport.bind(
                "{\"tag_name\": \"a\", \"tag_value\": \"b\", \"aws_region\": \"eu-central-1\", \"check_interval\": 0.25,"
                        + " \"endpoint\": \"http://127.0.0.1:4566\", \"aws_access_key_id\": \"AKID\", \"aws_secret_access_key\": \"x\"}"));
        assertThat(explicit.key().client()).isEqualTo(new AwsAccess("eu-central-1", URI.create("http://127.0.0.1:4566"),
                new AwsAccess.StaticKeys("AKID", "x")));
        assertThat(explicit.interval()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThat(problems("""
                {"aws_access_key_id": "AKID", "check_interval": 0, "endpoint": "ftp://x", "address": "ipv6",
                 "port": 70000, "port_tag": "", "server_name": "dns",
                 "filters": {"instance-state-name": ["stopped"], "tag:env": [], "": ["x"]}}""")).containsExactly(
                "services.api.discovery.tag_name: required",
                "services.api.discovery.tag_value: required",
                "services.api.discovery.aws_region: required (or set the AWS_REGION or AWS_DEFAULT_REGION environment variable)",
                "services.api.discovery.aws_secret_access_key: required when aws_access_key_id is set",
                "services.api.discovery.endpoint: expected an http or https URL, got \"ftp://x\"",
                "services.api.discovery.check_interval: expected a number of seconds >= 0.1, got 0.0",
                "services.api.discovery.address: expected one of private_ip, public_ip, private_dns, public_dns, got \"ipv6\"",
                "services.api.discovery.server_name: expected one of instance_id, name_tag, got \"dns\"",
                "services.api.discovery.port_tag: must not be empty",
                "services.api.discovery.port: set either port or port_tag, not both",
                "services.api.discovery.port: expected an integer 1-65535, got 70000",
                "services.api.discovery.filters.instance-state-name: set by the watcher, which reads running instances only",
                "services.api.discovery.filters.tag:env: expected a non-empty list of values",
                "services.api.discovery.filters: filter name \"\": expected a non-empty name without control characters");
    }

    @Test
    void moreProblems() {
        assertThat(problems("""
                {"tag_name": "servicename", "tag_value": "", "aws_region": "US East", "aws_secret_access_key": "x",
                 "filters": {"tag:servicename": ["false"], "tag:env": [null]}}""")).containsExactly(
                "services.api.discovery.tag_value: must not be empty",
                "services.api.discovery.aws_region: expected a region name like us-east-1, got \"US East\"",
                "services.api.discovery.aws_access_key_id: required when aws_secret_access_key is set",
                "services.api.discovery.filters.tag:servicename: set by tag_name and tag_value",
                "services.api.discovery.filters.tag:env: values must be strings without control characters");
    }

    @Test
    void createRefusesAnInvalidConfigNamingEveryProblem() {
        assertThatThrownBy(() -> factory.create(CONTEXT, TestSupport.bind("{\"tag_name\": \"a\", \"aws_region\": \"us-east-1\"}"),
                new RecordingListener()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("services.api.discovery.tag_value: required");
    }

    @Test
    void aServiceWithoutAnyPortSourceIsAConfigError() throws Exception {
        io.synapse.config.ConfigLoader loader = new io.synapse.config.ConfigLoader(io.synapse.config.Plugins.fromClasspath());
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        String service = "{\"discovery\": {\"method\": \"ec2tag\", \"tag_name\": \"svc\", \"tag_value\": \"true\", \"aws_region\": \"us-east-1\"}%s}";
        String config = "{\"services\": {\"api\": " + service + "}, \"file_output\": {\"output_directory\": \"/tmp/x\"}}";
        assertThatThrownBy(() -> loader.load(m.readTree(String.format(config, "")), null, new ConfigProblems()))
                .isInstanceOf(io.synapse.common.config.ConfigException.class)
                .hasMessage("services.api.backend_port_override: is required: discovery method \"ec2tag\" as configured finds no ports"
                        + " (or set haproxy.server_port_override)");
        assertThat(loader.load(m.readTree(String.format(config, ", \"backend_port_override\": 8080")), null, new ConfigProblems())
                .services()).containsKey("api");
        assertThat(loader.load(m.readTree(String.format(config, ", \"haproxy\": {\"server_port_override\": \"50001\"}")), null,
                new ConfigProblems()).services()).containsKey("api");
    }
}
