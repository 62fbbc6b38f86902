package io.synapse.config;

import io.synapse.spi.ConfigGenerator;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loaded, validated configuration: services in file order, and the generators created from it
 * (not yet started: nothing has been written).
 */
public record SynapseConfig(Map<String, ServiceConfig> services, Map<String, ConfigGenerator> generators, StatsdConfig statsd) {
    public SynapseConfig {
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        generators = Collections.unmodifiableMap(new LinkedHashMap<>(generators));
    }

    /** {@code statsd: {host, port}}, or null. */
    public record StatsdConfig(String host, int port) {}
}
