package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.spi.Backend;
import io.synapse.spi.ConfigGenerator;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.GeneratorContext;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives the haproxy generator directly, without watchers. */
final class Generators {
    private Generators() {}

    static HaproxyGenerator create(JsonNode global, Map<String, JsonNode> services) {
        ConfigProblems problems = new ConfigProblems();
        ConfigGenerator g = new HaproxyGeneratorFactory().create(new GeneratorContext(global, services), problems);
        if (!problems.isEmpty()) {
            throw new AssertionError("unexpected config problems:\n" + problems);
        }
        return (HaproxyGenerator) g;
    }

    static GeneratorState state(Map<String, JsonNode> sections, Map<String, List<Backend>> backends, Set<String> changed) {
        Map<String, ServiceView> views = new LinkedHashMap<>();
        sections.forEach((name, section) -> views.put(name, new ServiceView(name, backends.getOrDefault(name, List.of()), section)));
        return new GeneratorState(views, changed);
    }

    static GeneratorState all(Map<String, JsonNode> sections, Map<String, List<Backend>> backends) {
        return state(sections, backends, sections.keySet());
    }

    static ObjectNode obj(JsonNode n) {
        return (ObjectNode) n;
    }

    /** The section that starts with {@code header}, up to the next blank line. */
    static String section(String cfg, String header) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : cfg.split("\n", -1)) {
            if (line.equals(header)) {
                in = true;
            } else if (in && line.isEmpty()) {
                break;
            }
            if (in) {
                out.add(line);
            }
        }
        assertThat(out).as("section %s in:\n%s", header, cfg).isNotEmpty();
        return String.join("\n", out) + "\n";
    }
}
