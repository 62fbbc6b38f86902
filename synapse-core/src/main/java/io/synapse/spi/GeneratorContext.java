package io.synapse.spi;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The config a generator is created from.
 *
 * @param globalConfig the top-level section (for example {@code haproxy}): an object, or a list
 *     when the factory's {@link GeneratorFactory#sectionIsList()} says so
 * @param serviceConfigs for every configured service, in config order, its section for this
 *     generator (a missing section is an empty object)
 * @param configDirectory the directory of the config file, against which a generator resolves
 *     relative paths it reads (templates, ...); {@code null} when the config was not read from a file
 */
public record GeneratorContext(JsonNode globalConfig, Map<String, JsonNode> serviceConfigs, Path configDirectory) {
    public GeneratorContext {
        requireNonNull(globalConfig, "globalConfig is null");
        serviceConfigs = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(serviceConfigs, "serviceConfigs is null")));
    }

    /** A context without a config directory (tests, generators that read no files). */
    public GeneratorContext(JsonNode globalConfig, Map<String, JsonNode> serviceConfigs) {
        this(globalConfig, serviceConfigs, null);
    }
}
