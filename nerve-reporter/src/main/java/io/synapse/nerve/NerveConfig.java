package io.synapse.nerve;

import io.synapse.common.status.StatusSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A validated nerve configuration: only the services that passed validation.
 *
 * @param instanceId this host's id (the {@code name} of every registration)
 * @param services service name to its config, in file order
 * @param heartbeatPath a file touched at the shortest check interval (at most once a second), or {@code null}
 * @param maintenanceFile a global maintenance file: while it exists every service is reported down, or {@code null}
 * @param verifyInterval how often each service re-reads its registration and repairs drift
 * @param statsd where to send status counters, or {@code null}
 * @param status where to serve the status page, {@code /status}, {@code /healthz} and {@code /metrics}, or {@code null}
 */
record NerveConfig(
        String instanceId,
        Map<String, ServiceConfig> services,
        Path heartbeatPath,
        Path maintenanceFile,
        Duration verifyInterval,
        StatsdConfig statsd,
        StatusSettings status) {

    static final Duration DEFAULT_VERIFY_INTERVAL = Duration.ofSeconds(10);

    /** A config without a status endpoint. */
    NerveConfig(String instanceId, Map<String, ServiceConfig> services, Path heartbeatPath, Path maintenanceFile,
            Duration verifyInterval, StatsdConfig statsd) {
        this(instanceId, services, heartbeatPath, maintenanceFile, verifyInterval, statsd, null);
    }

    /** The same config served on {@code status} (the command line's {@code --status-address}). */
    NerveConfig withStatus(StatusSettings status) {
        return new NerveConfig(instanceId, services, heartbeatPath, maintenanceFile, verifyInterval, statsd, status);
    }

    NerveConfig {
        requireNonNull(instanceId, "instanceId is null");
        requireNonNull(verifyInterval, "verifyInterval is null");
        services = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(services, "services is null")));
    }

    record StatsdConfig(String host, int port) {
        StatsdConfig {
            requireNonNull(host, "host is null");
        }
    }
}
