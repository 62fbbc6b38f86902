package io.synapse.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.spi.Backend;
import io.synapse.spi.WatcherFactory;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One validated service of {@code synapse.conf.json}.
 *
 * @param backendPortOverride replaces every backend's port, or null
 * @param generatorSections the service's section for each configured generator (empty objects for absent ones)
 */
public record ServiceConfig(
        String name,
        String method,
        WatcherFactory<?> watcherFactory,
        Object watcherConfig,
        List<LabelFilter> labelFilters,
        List<Backend> defaultServers,
        boolean keepDefaultServers,
        boolean usePreviousBackends,
        Integer backendPortOverride,
        boolean leaderElection,
        Map<String, JsonNode> generatorSections) {

    public ServiceConfig {
        requireNonNull(name, "name is null");
        requireNonNull(method, "method is null");
        labelFilters = List.copyOf(labelFilters);
        defaultServers = List.copyOf(defaultServers);
        generatorSections = Map.copyOf(generatorSections);
    }
}
