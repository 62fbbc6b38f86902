package io.synapse.spi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One service as a generator sees it.
 *
 * @param name the service name
 * @param backends the merged backends, in discovery order (rules already applied)
 * @param config this generator's section for the service: the registry's override if it published
 *     a valid one, else the file's (an empty object when absent)
 * @param sections every installed generator's section for the service (configured or not), chosen the same way, for
 *     generators that read another's (the {@code templates} generator reads {@code haproxy.port});
 *     read them, never validate them
 */
public record ServiceView(String name, List<Backend> backends, JsonNode config, Map<String, JsonNode> sections) {
    public ServiceView {
        requireNonNull(name, "name is null");
        backends = List.copyOf(requireNonNull(backends, "backends is null"));
        requireNonNull(config, "config is null");
        sections = Map.copyOf(requireNonNull(sections, "sections is null"));
    }

    /** A view without the other generators' sections. */
    public ServiceView(String name, List<Backend> backends, JsonNode config) {
        this(name, backends, config, Map.of());
    }

    /** Generator {@code generator}'s section for this service, or a missing node. */
    public JsonNode section(String generator) {
        JsonNode s = sections.get(generator);
        return s == null ? MissingNode.getInstance() : s;
    }
}
