package io.synapse.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One service a catalog defines: the same object a user writes under {@code services.<name>} in
 * {@code synapse.conf.json} ({@code discovery}, {@code haproxy}, {@code default_servers}, ...),
 * as plain Java values: {@link Map} (objects, string keys), {@link List}, {@link String}, {@link
 * Number}, {@link Boolean} and {@code null}. The engine validates it exactly like a configured
 * service; a definition with problems is skipped with a warning naming each problem.
 *
 * @param name the service name (letters, digits and {@code . _ - :})
 * @param config the service's object
 */
public record ServiceDefinition(String name, Map<String, Object> config) {
    public ServiceDefinition {
        requireNonNull(name, "name is null");
        config = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(config, "config is null")));
    }
}
