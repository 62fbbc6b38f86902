package io.synapse.zookeeper;

import io.synapse.common.concurrent.Backoff;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.common.zookeeper.ZooKeeperAuth;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.WatcherFactory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZookeeperConfigTest {
    /** How the core binds a discovery section. */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static ZookeeperConfig bind(String json) throws Exception {
        return MAPPER.readValue(json, ZookeeperConfig.class);
    }

    private static List<String> problems(ZookeeperConfig config, boolean poll) {
        ConfigProblems problems = new ConfigProblems();
        Settings.validate(config, problems, poll);
        return problems.messages();
    }

    @Test
    void bindsEveryOption() throws Exception {
        ZookeeperConfig config = bind("""
                {"hosts": ["zk2:2181", "ZK1:2181", "zk2:2181"], "path": "/services/api",
                 "decode": {"method": "serverset", "endpoint_name": "http"},
                 "generator_config_path": "/config/api",
                 "retry_policy": {"max_retries": 5, "base_sleep_time_ms": 100, "max_sleep_ms": 2000},
                 "discovery_jitter": 2.5,
                 "auth": {"scheme": "digest", "credentials": "synapse:secret"},
                 "polling_interval_sec": 15,
                 "resync_jitter": 0.5}
                """);
        assertThat(problems(config, true)).isEmpty();
        Settings settings = Settings.resolve(config, true);
        assertThat(settings.ensemble()).isEqualTo(ZooKeeperEnsemble.of(List.of("zk1:2181", "zk2:2181"), new ZooKeeperAuth("digest", "synapse:secret")));
        assertThat(settings.ensemble().toString()).isEqualTo("zk1:2181,zk2:2181 (digest as synapse)").doesNotContain("secret");
        assertThat(settings.path()).isEqualTo("/services/api");
        assertThat(settings.decoder().method()).isEqualTo("serverset (endpoint http)");
        assertThat(settings.configPath()).isEqualTo("/config/api");
        assertThat(settings.backoff()).isEqualTo(Backoff.ofMillis(100, 2000));
        assertThat(settings.discoveryJitter()).isEqualTo(Duration.ofMillis(2500));
        assertThat(settings.pollInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(settings.resyncJitter()).isEqualTo(Duration.ofMillis(500));
        assertThat(settings.watches()).isFalse();
    }

    @Test
    void appliesDefaults() throws Exception {
        ZookeeperConfig config = bind("{\"hosts\": [\"127.0.0.1:2181\"], \"path\": \"/services/api\"}");
        Settings watch = Settings.resolve(config, false);
        assertThat(watch.decoder().method()).isEqualTo("nerve");
        assertThat(watch.configPath()).isEqualTo("/services/api");
        assertThat(watch.backoff()).isEqualTo(Backoff.ofMillis(500, 60_000));
        assertThat(watch.discoveryJitter()).isZero();
        assertThat(watch.resyncJitter()).isEqualTo(Duration.ofSeconds(5));
        assertThat(watch.watches()).isTrue();
        assertThat(Settings.resolve(config, true).pollInterval()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void acceptsACommaSeparatedHostString() throws Exception {
        ZookeeperConfig config = bind("{\"hosts\": \"zk3:2181, zk1:2181\", \"path\": \"/a\"}");
        assertThat(problems(config, false)).isEmpty();
        assertThat(Settings.resolve(config, false).ensemble().connectString()).isEqualTo("zk1:2181,zk3:2181");
    }

    @Test
    void acceptsTheRubyRetryPolicyKeys() throws Exception {
        ZookeeperConfig config = bind("""
                {"hosts": ["zk:2181"], "path": "/a",
                 "retry_policy": {"max_attempts": 10, "max_delay": 600, "base_interval": 0.5, "max_interval": 60}}
                """);
        assertThat(problems(config, false)).isEmpty();
        assertThat(Settings.resolve(config, false).backoff()).isEqualTo(Backoff.ofMillis(500, 60_000));
    }

    @Test
    void disabledGeneratorConfigPathReadsNoNode() throws Exception {
        ZookeeperConfig config = bind("{\"hosts\": [\"zk:2181\"], \"path\": \"/a\", \"generator_config_path\": \"disabled\"}");
        assertThat(Settings.resolve(config, false).configPath()).isNull();
    }

    @Test
    void pollingIntervalIsIgnoredWhenWatching() throws Exception {
        ZookeeperConfig config = bind("{\"hosts\": [\"zk:2181\"], \"path\": \"/a\", \"polling_interval_sec\": 0}");
        assertThat(problems(config, false)).isEmpty();
        assertThat(problems(config, true)).containsExactly("polling_interval_sec: expected seconds greater than 0 (at most 86400), got 0");
    }

    @Test
    void rejectsUnknownKeys() {
        assertThatThrownBy(() -> bind("{\"hosts\": [\"zk:2181\"], \"path\": \"/a\", \"zk_hosts\": []}"))
                .isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("\"zk_hosts\"");
        assertThatThrownBy(() -> bind("{\"hosts\": [\"zk:2181\"], \"path\": \"/a\", \"retry_policy\": {\"retries\": 3}}"))
                .isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("\"retries\"")
                .hasMessageContaining("max_retries");
    }

    @Test
    void reportsEveryProblemWithItsPath() throws Exception {
        ZookeeperConfig config = bind("""
                {"hosts": ["zk1:2181", "zk2", "zk3:99999", "bad host:1"], "path": "services/api",
                 "decode": {"method": "thrift", "endpoint_name": ""},
                 "generator_config_path": "/x/",
                 "retry_policy": {"max_retries": -1, "base_sleep_time_ms": 500, "max_sleep_ms": 100},
                 "discovery_jitter": 300,
                 "auth": {"scheme": "sasl", "credentials": "nopassword"},
                 "resync_jitter": -1}
                """);
        assertThat(problems(config, false)).containsExactly(
                "hosts[1]: expected \"host:port\", got \"zk2\"",
                "hosts[2]: expected \"host:port\", got \"zk3:99999\" (the port must be 1-65535)",
                "hosts[3]: expected \"host:port\", got \"bad host:1\" (host \"bad host\": expected an IP address or a DNS name)",
                "path: expected an absolute znode path like \"/services/api\", got \"services/api\" (Path must start with / character)",
                "decode.method: expected \"nerve\" or \"serverset\", got \"thrift\"",
                "decode.endpoint_name: must not be empty",
                "generator_config_path: expected \"disabled\" or a znode path; expected an absolute znode path like \"/services/api\", got \"/x/\" (Path must not end with / character)",
                "retry_policy.max_retries: expected an integer 0-30, got -1",
                "retry_policy.max_sleep_ms: must not be less than base_sleep_time_ms (500)",
                "discovery_jitter: expected seconds 0-120, got 300",
                "resync_jitter: expected seconds 0-300, got -1",
                "auth.scheme: expected \"digest\", got \"sasl\"",
                "auth.credentials: expected \"user:password\"");
    }

    @Test
    void reportsMissingRequiredKeys() throws Exception {
        assertThat(problems(bind("{}"), false)).containsExactly(
                "hosts: is required: a list of \"host:port\"",
                "path: is required");
        assertThat(problems(bind("{\"hosts\": [], \"path\": \"/a\", \"decode\": {\"endpoint_name\": \"http\"}}"), false)).containsExactly(
                "hosts: must not be empty",
                "decode.method: is required when decode is given: \"nerve\" or \"serverset\"");
        assertThat(problems(bind("{\"hosts\": [\"zk:1\"], \"path\": \"/a\", \"decode\": {\"method\": \"nerve\", \"endpoint_name\": \"http\"}}"), false))
                .containsExactly("decode.endpoint_name: only valid with decode.method \"serverset\"");
    }

    @Test
    void rejectsMixedRetryPolicySpellings() throws Exception {
        ZookeeperConfig config = bind("{\"hosts\": [\"zk:1\"], \"path\": \"/a\", \"retry_policy\": {\"max_retries\": 3, \"max_attempts\": 3}}");
        assertThat(problems(config, false)).containsExactly("retry_policy: use either max_retries, base_sleep_time_ms, max_sleep_ms "
                + "or the Ruby Synapse keys max_attempts, base_interval, max_interval, max_delay, not both");
    }

    @Test
    void acceptsBracketedIpv6Hosts() throws Exception {
        assertThat(problems(bind("{\"hosts\": [\"[::1]:2181\"], \"path\": \"/\"}"), false)).isEmpty();
        assertThat(problems(bind("{\"hosts\": [\"::1:2181\"], \"path\": \"/\"}"), false))
                .containsExactly("hosts[0]: expected \"host:port\", got \"::1:2181\" (write an IPv6 address as [addr]:port)");
    }

    @Test
    void backoffDoublesUpToTheCapWithJitter() {
        Backoff backoff = Settings.backoff(new ZookeeperConfig.RetryPolicy(3, 100L, 1_000L, null, null, null, null));
        assertThat(backoff.rawDelay(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.rawDelay(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.rawDelay(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(backoff.rawDelay(5)).isEqualTo(Duration.ofMillis(800)); // at most 3 doublings
        assertThat(Settings.backoff(new ZookeeperConfig.RetryPolicy(null, null, null, 30, 0.1, 1.0, 5.0)).rawDelay(30))
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.delay(2, () -> 0.0)).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.delay(2, () -> 0.999)).isBetween(Duration.ofMillis(199), Duration.ofMillis(200));
    }

    @Test
    void factoriesAreFoundByServiceLoader() {
        List<String> names = ServiceLoader.load(WatcherFactory.class).stream()
                .map(p -> p.get().name())
                .toList();
        assertThat(names).contains("zookeeper", "zookeeper_poll");
        assertThat(new ZookeeperWatcherFactory().configClass()).isEqualTo(ZookeeperConfig.class);
    }
}
