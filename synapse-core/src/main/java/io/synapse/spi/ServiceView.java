package io.synapse.spi;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One service as a generator sees it.
 *
 * @param name the service name
 * @param backends the merged backends, in discovery order (rules already applied)
 * @param config this generator's section for the service: the registry's override if it published
 *     a valid one, else the file's (an empty object when absent)
 */
public record ServiceView(String name, List<Backend> backends, JsonNode config) {
    public ServiceView {
        requireNonNull(name, "name is null");
        backends = List.copyOf(requireNonNull(backends, "backends is null"));
        requireNonNull(config, "config is null");
    }
}
