package io.synapse.spi;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The config a generator is created from.
 *
 * @param globalConfig the top-level section (for example {@code haproxy}), an object
 * @param serviceConfigs for every configured service, in config order, its section for this
 *     generator (a missing section is an empty object)
 */
public record GeneratorContext(JsonNode globalConfig, Map<String, JsonNode> serviceConfigs) {
    public GeneratorContext {
        requireNonNull(globalConfig, "globalConfig is null");
        serviceConfigs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(serviceConfigs, "serviceConfigs is null")));
    }
}
