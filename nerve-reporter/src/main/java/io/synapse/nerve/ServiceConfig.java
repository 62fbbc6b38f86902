package io.synapse.nerve;

import io.synapse.common.registry.NerveRegistration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One validated service. Two configs are equal when nothing about the service changed, which is
 * how a reload decides to keep, replace, start or stop it.
 */
record ServiceConfig(
        String name,
        String host,
        int port,
        ReporterTarget reporter,
        Duration checkInterval,
        List<CheckConfig> checks,
        Integer weight,
        String haproxyServerOptions,
        Map<String, String> labels,
        Path maintenanceFile,
        RateLimitConfig rateLimit,
        int maxRepeatedReportFailures) {

    static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofMillis(500);
    static final int DEFAULT_MAX_REPEATED_REPORT_FAILURES = 10;

    ServiceConfig {
        requireNonNull(name, "name is null");
        requireNonNull(host, "host is null");
        requireNonNull(reporter, "reporter is null");
        requireNonNull(checkInterval, "checkInterval is null");
        checks = List.copyOf(requireNonNull(checks, "checks is null"));
        labels = labels == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    /** The registration JSON content for this service on host {@code instanceId}. */
    NerveRegistration registration(String instanceId) {
        return new NerveRegistration(host, port, instanceId, weight, haproxyServerOptions, labels, null);
    }

    /** Token bucket on status-change reports; in shadow mode it only logs what it would delay. */
    record RateLimitConfig(double averageRate, double maxBurst, boolean shadowMode) {}
}
