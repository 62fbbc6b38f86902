package io.synapse.zookeeper;

import com.fasterxml.jackson.annotation.JsonFormat;

import java.util.List;

/**
 * The {@code discovery} section of a {@code zookeeper} or {@code zookeeper_poll} service, as the
 * core binds it (snake_case keys, unknown keys are errors, absent keys are {@code null}).
 *
 * @param hosts the ensemble, {@code "host:port"} entries (a single comma-separated string is
 *     accepted too); required
 * @param path the znode whose children are the backends; required
 * @param decode how child data is decoded; default nerve
 * @param generatorConfigPath the znode holding {@code {"haproxy": {...}}} overrides; default
 *     {@code path}; {@code "disabled"} reads none
 * @param retryPolicy backoff for failed reads; see {@link RetryPolicy}
 * @param discoveryJitter seconds (0-120): re-discoveries triggered by watches are at least this
 *     far apart (bursts of changes are coalesced); default 0
 * @param auth optional digest authentication
 * @param pollingIntervalSec {@code zookeeper_poll} only: seconds between polls; default 60.
 *     Accepted and ignored by {@code zookeeper}, which watches
 * @param resyncJitter seconds (0-300): when the connection comes back, the re-read (after a lost
 *     session) or re-listing (the session survived) starts after a random delay up to this, so
 *     that a fleet reconnecting at once does not read at once; default 5. Accepted and ignored
 *     by {@code zookeeper_poll}
 */
public record ZookeeperConfig(
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> hosts,
        String path,
        Decode decode,
        String generatorConfigPath,
        RetryPolicy retryPolicy,
        Double discoveryJitter,
        Auth auth,
        Double pollingIntervalSec,
        Double resyncJitter) {

    /**
     * @param method {@code nerve} (default) or {@code serverset}
     * @param endpointName serverset only: use this entry of {@code additionalEndpoints} instead of
     *     {@code serviceEndpoint}
     */
    public record Decode(String method, String endpointName) {}

    /**
     * @param scheme {@code digest}
     * @param credentials {@code user:password}
     */
    public record Auth(String scheme, String credentials) {}

    /**
     * Backoff between attempts to read the registry after a failure. The watcher never gives up:
     * the n-th consecutive failure waits {@code base * 2^min(n-1, max_retries)}, capped at the
     * maximum, with jitter. Either the Curator-style keys ({@code max_retries}, {@code
     * base_sleep_time_ms}, {@code max_sleep_ms}) or the Ruby Synapse keys ({@code max_attempts},
     * {@code base_interval} and {@code max_interval} in seconds, {@code max_delay} which is
     * accepted and ignored since the watcher never stops retrying) may be used, not both.
     */
    public record RetryPolicy(
            Integer maxRetries,
            Long baseSleepTimeMs,
            Long maxSleepMs,
            Integer maxAttempts,
            Double baseInterval,
            Double maxInterval,
            Double maxDelay) {}
}
