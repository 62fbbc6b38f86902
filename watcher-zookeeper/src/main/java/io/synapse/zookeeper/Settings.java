package io.synapse.zookeeper;

import io.synapse.common.concurrent.Backoff;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import io.synapse.common.zookeeper.ZooKeeperAuth;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import org.apache.zookeeper.common.PathUtils;

import java.math.BigDecimal;
import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * A validated {@link ZookeeperConfig} with its defaults applied: what a watcher runs with.
 *
 * @param ensemble the normalised ensemble (sorted hosts plus authentication): the sharing key
 * @param path the watched znode
 * @param decoder how children are decoded
 * @param configPath the znode with generator overrides, or {@code null} when disabled
 * @param backoff retry delays after failures
 * @param discoveryJitter minimum time between watch-triggered re-discoveries ({@code 0}: none)
 * @param pollInterval {@code null} to watch; else the polling period
 * @param resyncJitter the longest random delay before re-reading after a reconnection ({@code 0}: none)
 */
record Settings(
        ZooKeeperEnsemble ensemble,
        String path,
        ChildDecoder decoder,
        String configPath,
        Backoff backoff,
        Duration discoveryJitter,
        Duration pollInterval,
        Duration resyncJitter) {

    static final String DISABLED = "disabled";
    /** 500 ms doubling to 60 s (at most 10 doublings). */
    static final Backoff DEFAULT_BACKOFF = Backoff.ofMillis(500, 60_000);
    static final int DEFAULT_DOUBLINGS = 10;
    static final double MAX_JITTER_SECONDS = 120;
    static final double DEFAULT_POLL_SECONDS = 60;
    static final double MAX_RESYNC_JITTER_SECONDS = 300;
    static final double DEFAULT_RESYNC_JITTER_SECONDS = 5;

    Settings {
        requireNonNull(ensemble, "ensemble is null");
        requireNonNull(path, "path is null");
        requireNonNull(decoder, "decoder is null");
        requireNonNull(backoff, "backoff is null");
        requireNonNull(discoveryJitter, "discoveryJitter is null");
        requireNonNull(resyncJitter, "resyncJitter is null");
    }

    boolean watches() {
        return pollInterval == null;
    }

    /** Reports every problem of {@code config} with its path relative to the discovery section. */
    static void validate(ZookeeperConfig config, ConfigProblems problems, boolean poll) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        ZooKeeperEnsemble.checkHosts("hosts", config.hosts(), problems);
        if (config.path() == null) {
            problems.add("path", "is required");
        } else {
            String problem = pathProblem(config.path());
            if (problem != null) {
                problems.add("path", problem);
            }
        }
        ZookeeperConfig.Decode decode = config.decode();
        if (decode != null) {
            if (decode.method() == null) {
                problems.add("decode.method", "is required when decode is given: \"nerve\" or \"serverset\"");
            } else if (!decode.method().equals("nerve") && !decode.method().equals("serverset")) {
                problems.add("decode.method", "expected \"nerve\" or \"serverset\", got " + RegistryValues.quote(decode.method()));
            }
            if (decode.endpointName() != null) {
                if (decode.endpointName().isEmpty()) {
                    problems.add("decode.endpoint_name", "must not be empty");
                } else if ("nerve".equals(decode.method())) {
                    problems.add("decode.endpoint_name", "only valid with decode.method \"serverset\"");
                }
            }
        }
        String gcp = config.generatorConfigPath();
        if (gcp != null && !gcp.equals(DISABLED)) {
            String problem = pathProblem(gcp);
            if (problem != null) {
                problems.add("generator_config_path", "expected \"disabled\" or a znode path; " + problem);
            }
        }
        validateRetryPolicy(config.retryPolicy(), problems.at("retry_policy"));
        Double jitter = config.discoveryJitter();
        if (jitter != null && (jitter.isNaN() || jitter < 0 || jitter > MAX_JITTER_SECONDS)) {
            problems.add("discovery_jitter", "expected seconds 0-120, got " + number(jitter));
        }
        Double resync = config.resyncJitter();
        if (resync != null && (resync.isNaN() || resync < 0 || resync > MAX_RESYNC_JITTER_SECONDS)) {
            problems.add("resync_jitter", "expected seconds 0-300, got " + number(resync));
        }
        ZookeeperConfig.Auth auth = config.auth();
        if (auth != null) {
            ZooKeeperAuth.fromConfig(auth.scheme(), auth.credentials(), problems.at("auth"));
        }
        Double interval = config.pollingIntervalSec();
        if (poll && interval != null && (interval.isNaN() || interval <= 0 || interval > 86_400)) {
            problems.add("polling_interval_sec", "expected seconds greater than 0 (at most 86400), got " + number(interval));
        }
    }

    /** The settings of a config that {@link #validate} accepted. */
    static Settings resolve(ZookeeperConfig config, boolean poll) {
        ConfigProblems problems = new ConfigProblems();
        validate(config, problems, poll);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid zookeeper discovery config: " + String.join("; ", problems.messages()));
        }
        ZookeeperConfig.Auth auth = config.auth();
        ZooKeeperEnsemble key = ZooKeeperEnsemble.of(config.hosts(),
                auth == null ? null : new ZooKeeperAuth(auth.scheme(), auth.credentials()));
        ZookeeperConfig.Decode decode = config.decode();
        ChildDecoder decoder = decode != null && "serverset".equals(decode.method())
                ? ChildDecoder.serverset(decode.endpointName())
                : ChildDecoder.nerve();
        String gcp = config.generatorConfigPath();
        String configPath = gcp == null ? config.path() : gcp.equals(DISABLED) ? null : gcp;
        Duration jitter = config.discoveryJitter() == null ? Duration.ZERO : seconds(config.discoveryJitter());
        Duration pollInterval = poll
                ? seconds(config.pollingIntervalSec() == null ? DEFAULT_POLL_SECONDS : config.pollingIntervalSec())
                : null;
        Duration resync = seconds(config.resyncJitter() == null ? DEFAULT_RESYNC_JITTER_SECONDS : config.resyncJitter());
        return new Settings(key, config.path(), decoder, configPath, backoff(config.retryPolicy()), jitter, pollInterval, resync);
    }

    /** The backoff of a {@code retry_policy} (Curator-style or Ruby Synapse keys), defaults filled in. */
    static Backoff backoff(ZookeeperConfig.RetryPolicy policy) {
        if (policy == null) {
            return DEFAULT_BACKOFF;
        }
        long base = DEFAULT_BACKOFF.base().toMillis();
        long max = DEFAULT_BACKOFF.max().toMillis();
        int doublings = DEFAULT_DOUBLINGS;
        if (policy.baseSleepTimeMs() != null) {
            base = policy.baseSleepTimeMs();
        } else if (policy.baseInterval() != null) {
            base = Math.max(1, Math.round(policy.baseInterval() * 1000));
        }
        if (policy.maxSleepMs() != null) {
            max = policy.maxSleepMs();
        } else if (policy.maxInterval() != null) {
            max = Math.max(1, Math.round(policy.maxInterval() * 1000));
        }
        if (policy.maxRetries() != null) {
            doublings = policy.maxRetries();
        } else if (policy.maxAttempts() != null) {
            doublings = policy.maxAttempts();
        }
        return Backoff.withDoublings(Duration.ofMillis(base), Duration.ofMillis(Math.max(base, max)), doublings);
    }

    private static void validateRetryPolicy(ZookeeperConfig.RetryPolicy policy, ConfigProblems problems) {
        if (policy == null) {
            return;
        }
        boolean curatorKeys = policy.maxRetries() != null || policy.baseSleepTimeMs() != null || policy.maxSleepMs() != null;
        boolean rubyKeys = policy.maxAttempts() != null || policy.baseInterval() != null
                || policy.maxInterval() != null || policy.maxDelay() != null;
        if (curatorKeys && rubyKeys) {
            problems.add("", "use either max_retries, base_sleep_time_ms, max_sleep_ms or the Ruby Synapse keys "
                    + "max_attempts, base_interval, max_interval, max_delay, not both");
            return;
        }
        if (policy.maxRetries() != null && (policy.maxRetries() < 0 || policy.maxRetries() > 30)) {
            problems.add("max_retries", "expected an integer 0-30, got " + policy.maxRetries());
        }
        if (policy.maxAttempts() != null && (policy.maxAttempts() < 0 || policy.maxAttempts() > 30)) {
            problems.add("max_attempts", "expected an integer 0-30, got " + policy.maxAttempts());
        }
        if (policy.baseSleepTimeMs() != null && (policy.baseSleepTimeMs() < 1 || policy.baseSleepTimeMs() > 3_600_000)) {
            problems.add("base_sleep_time_ms", "expected milliseconds 1-3600000, got " + policy.baseSleepTimeMs());
        }
        if (policy.maxSleepMs() != null && (policy.maxSleepMs() < 1 || policy.maxSleepMs() > 3_600_000)) {
            problems.add("max_sleep_ms", "expected milliseconds 1-3600000, got " + policy.maxSleepMs());
        }
        if (policy.baseSleepTimeMs() != null && policy.maxSleepMs() != null && policy.maxSleepMs() < policy.baseSleepTimeMs()) {
            problems.add("max_sleep_ms", "must not be less than base_sleep_time_ms (" + policy.baseSleepTimeMs() + ")");
        }
        checkSeconds(policy.baseInterval(), "base_interval", problems);
        checkSeconds(policy.maxInterval(), "max_interval", problems);
        if (policy.maxDelay() != null && (policy.maxDelay().isNaN() || policy.maxDelay() < 0)) {
            problems.add("max_delay", "expected seconds of at least 0, got " + number(policy.maxDelay()));
        }
        if (policy.baseInterval() != null && policy.maxInterval() != null && policy.maxInterval() < policy.baseInterval()) {
            problems.add("max_interval", "must not be less than base_interval (" + number(policy.baseInterval()) + ")");
        }
    }

    private static void checkSeconds(Double value, String key, ConfigProblems problems) {
        if (value != null && (value.isNaN() || value < 0.001 || value > 3600)) {
            problems.add(key, "expected seconds 0.001-3600, got " + number(value));
        }
    }

    private static String pathProblem(String path) {
        try {
            PathUtils.validatePath(path);
            return null;
        } catch (IllegalArgumentException e) {
            return "expected an absolute znode path like \"/services/api\", got " + RegistryValues.quote(path)
                    + " (" + e.getMessage() + ")";
        }
    }

    private static Duration seconds(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    static String number(double d) {
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
