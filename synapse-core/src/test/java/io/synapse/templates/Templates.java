package io.synapse.templates;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.spi.Backend;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Test helpers: compile a template from a string and render it whole. */
final class Templates {
    private Templates() {}

    static Template compile(String text, Template.Escape escape) {
        List<String> problems = new ArrayList<>();
        Template t = Template.compile("t.mustache", text, escape, problems);
        if (t == null) {
            throw new AssertionError("template problems: " + problems);
        }
        return t;
    }

    /** The problems of compiling {@code text} (empty when it compiled). */
    static List<String> problems(String text) {
        List<String> problems = new ArrayList<>();
        Template.compile("t.mustache", text, Template.Escape.NONE, problems);
        return problems;
    }

    /** Renders every part from scratch. */
    static String render(Template t, List<Model.Service> services) {
        List<Object> scopes = new ArrayList<>();
        scopes.add(new Model.Root(services));
        Template.StringBuilderWriter w = new Template.StringBuilderWriter(1 << 16);
        for (Template.Part p : t.parts()) {
            if (p instanceof Template.Whole whole) {
                whole.code().execute(w, scopes);
            } else {
                Template.PerService ps = (Template.PerService) p;
                for (Model.Service s : services) {
                    ps.code().next(w, s, scopes);
                }
                w.write(ps.tail());
            }
        }
        return w.toString();
    }

    /** Service models as the generator builds them, from name -> backends in order. */
    static List<Model.Service> services(Map<String, List<Backend>> backends, Map<String, Integer> ports) {
        List<Model.Service> out = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, List<Backend>> e : backends.entrySet()) {
            out.add(Model.Service.of(e.getKey(), ports.get(e.getKey()), e.getValue(), i == 0, i == backends.size() - 1));
            i++;
        }
        return out;
    }

    /** A generator state with every service changed. */
    static GeneratorState state(Map<String, List<Backend>> backends) {
        return state(backends, backends.keySet());
    }

    /** Every service changed; {@code haproxy} holds some services' haproxy sections. */
    static GeneratorState state(Map<String, List<Backend>> backends, Map<String, JsonNode> haproxy) {
        Map<String, ServiceView> views = new LinkedHashMap<>();
        backends.forEach((name, list) -> views.put(name, new ServiceView(name, list, JsonNodeFactory.instance.objectNode(),
                haproxy.containsKey(name) ? Map.of("haproxy", haproxy.get(name)) : Map.of())));
        return new GeneratorState(views, backends.keySet());
    }

    static GeneratorState state(Map<String, List<Backend>> backends, Set<String> changed) {
        Map<String, ServiceView> views = new LinkedHashMap<>();
        backends.forEach((name, list) -> views.put(name, new ServiceView(name, list, JsonNodeFactory.instance.objectNode())));
        return new GeneratorState(views, changed);
    }
}
