package io.synapse.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.spi.CatalogFactory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One validated entry of {@code catalogs}.
 *
 * @param name the catalog's key
 * @param factory its plugin
 * @param config the bound config record
 * @param defaults per generator (e.g. {@code haproxy}), the section every service of the catalog
 *     starts from; a service's own keys win
 */
public record CatalogConfig(String name, CatalogFactory<?> factory, Object config, Map<String, JsonNode> defaults) {
    public CatalogConfig {
        requireNonNull(name, "name is null");
        requireNonNull(factory, "factory is null");
        requireNonNull(config, "config is null");
        defaults = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(defaults, "defaults is null")));
    }

    /** Validates a service the catalog defined at run time (see {@link ConfigLoader}). */
    @FunctionalInterface
    public interface ServiceParser {
        /** The service, or null when it has problems (reported into {@code problems}). */
        ServiceConfig parse(String name, JsonNode node, CatalogConfig catalog, Map<String, io.synapse.spi.ConfigGenerator> generators,
                io.synapse.common.config.ConfigProblems problems);
    }
}
