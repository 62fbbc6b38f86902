package io.synapse.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.registry.RegistryValues;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Marathon's app and task JSON ({@code /v2/apps?embed=apps.tasks}, {@code /v2/apps/{id}?embed=app.tasks},
 * {@code /v2/apps/{id}/tasks}) into {@link MarathonApp}s. Lenient where Marathon versions differ
 * (legacy {@code ports}, {@code portDefinitions}, Docker or Mesos {@code portMappings}, {@code
 * networks}), strict where a value would reach a config: that is checked later, by {@link
 * io.synapse.spi.Backend} and the engine.
 *
 * <p>Addresses follow Marathon-LB: a task is reached at its agent's host and host ports, except
 * under IP-per-task networking (a {@code USER} Docker network, {@code networks} in container mode,
 * or the old {@code ipAddress}), where it is reached at its own IP address and container ports.
 */
final class AppDecoder {
    private enum Mode { HOST, BRIDGE, CONTAINER }

    private AppDecoder() {}

    /**
     * Decodes one app; throws {@link IllegalArgumentException} naming the problem when it has no
     * usable id. {@code health} maps task ids to their last known health-check verdict: it is
     * updated from results and consulted for tasks that come without results (Marathon omits them
     * for a while after a leader change; Marathon-LB keeps the last verdict the same way).
     */
    static MarathonApp app(JsonNode app, Map<String, Boolean> health) {
        if (app == null || !app.isObject()) {
            throw new IllegalArgumentException("expected an app object, got " + io.synapse.common.config.JsonFields.describe(app));
        }
        JsonNode idNode = app.get("id");
        String id = idNode != null && idNode.isTextual() ? Endpoints.absoluteAppId(idNode.asText()) : null;
        if (id == null || !Endpoints.isAppId(id)) {
            throw new IllegalArgumentException("app with id " + (idNode == null ? "null" : RegistryValues.quote(idNode.toString()))
                    + ": expected a Marathon app id");
        }
        Mode mode = mode(app);
        Map<String, String> labels = new LinkedHashMap<>();
        app.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
        List<MarathonApp.HealthCheck> checks = new ArrayList<>();
        for (JsonNode c : app.path("healthChecks")) {
            checks.add(new MarathonApp.HealthCheck(text(c, "protocol"), integer(c, "portIndex"), integer(c, "port")));
        }
        MarathonApp.Definition definition = new MarathonApp.Definition(id, labels, servicePorts(app, mode), checks);
        List<MarathonApp.Task> tasks = new ArrayList<>();
        for (JsonNode t : app.path("tasks")) {
            MarathonApp.Task task = task(t, app, mode, health);
            if (task != null) {
                tasks.add(task);
            }
        }
        tasks.sort(Comparator.comparing(MarathonApp.Task::id));
        return new MarathonApp(definition, tasks);
    }

    /**
     * The tasks of a {@code {"tasks": [...]}} answer (the Ruby watcher's {@code marathon_api_path}),
     * without an app definition: host networking, no health checks known.
     */
    static List<MarathonApp.Task> tasks(JsonNode answer) {
        if (answer == null || !answer.isObject() || !answer.path("tasks").isArray()) {
            throw new IllegalArgumentException("expected {\"tasks\": [...]}, got " + io.synapse.common.config.JsonFields.describe(answer));
        }
        List<MarathonApp.Task> tasks = new ArrayList<>();
        for (JsonNode t : answer.get("tasks")) {
            MarathonApp.Task task = task(t, null, Mode.HOST, new java.util.HashMap<>());
            if (task != null) {
                tasks.add(task);
            }
        }
        tasks.sort(Comparator.comparing(MarathonApp.Task::id));
        return tasks;
    }

    /** Null for something that is not a task object with an id. */
    private static MarathonApp.Task task(JsonNode t, JsonNode app, Mode mode, Map<String, Boolean> health) {
        if (!t.isObject() || !t.path("id").isTextual()) {
            return null;
        }
        String id = t.get("id").asText();
        String agentHost = text(t, "host");
        String host = agentHost;
        List<Integer> ports = ports(t.path("ports"));
        if (mode == Mode.CONTAINER) {
            JsonNode first = t.path("ipAddresses").path(0);
            host = text(first, "ipAddress");
            ports = containerPorts(app);
        } else if (ports.isEmpty() && app != null) {
            ports = portDefinitionPorts(app);
            if (ports.isEmpty() && mode == Mode.BRIDGE) {
                ports = containerPorts(app);
            }
        }
        Boolean alive = null;
        JsonNode results = t.path("healthCheckResults");
        if (results.isArray() && !results.isEmpty()) {
            boolean any = false;
            for (JsonNode r : results) {
                any |= r.path("alive").asBoolean(false);
            }
            alive = any;
            health.put(id, any);
        } else {
            alive = health.get(id);
        }
        JsonNode startedAt = t.get("startedAt");
        boolean started = startedAt != null && !startedAt.isNull() && !startedAt.asText().isEmpty();
        return new MarathonApp.Task(id, agentHost == null ? "" : agentHost, host == null ? "" : host, ports, text(t, "state"), started, alive);
    }

    private static Mode mode(JsonNode app) {
        Mode mode = Mode.HOST;
        if (app.path("ipAddress").isObject()) {
            mode = Mode.CONTAINER;
        }
        String network = app.path("container").path("docker").path("network").asText("");
        if (network.equals("USER")) {
            mode = Mode.CONTAINER;
        } else if (network.equals("BRIDGE")) {
            mode = Mode.BRIDGE;
        }
        for (JsonNode n : app.path("networks")) {
            String m = n.path("mode").asText("container");
            mode = switch (m) {
                case "host" -> Mode.HOST;
                case "container/bridge" -> Mode.BRIDGE;
                default -> Mode.CONTAINER;
            };
        }
        return mode;
    }

    private static JsonNode portMappings(JsonNode app) {
        JsonNode docker = app.path("container").path("docker").path("portMappings");
        if (docker.isArray() && !docker.isEmpty()) {
            return docker;
        }
        return app.path("container").path("portMappings");
    }

    /** Service ports by port index: port mappings' (bridge and container networking), else port definitions'. */
    private static List<Integer> servicePorts(JsonNode app, Mode mode) {
        List<Integer> out = new ArrayList<>();
        if (mode != Mode.HOST) {
            for (JsonNode m : portMappings(app)) {
                out.add(integer(m, "servicePort"));
            }
            if (out.stream().anyMatch(p -> p != null)) {
                return out;
            }
            out.clear();
        }
        if (app.has("portDefinitions")) {
            for (JsonNode d : app.path("portDefinitions")) {
                out.add(integer(d, "port"));
            }
        } else {
            for (JsonNode p : app.path("ports")) {
                out.add(p.canConvertToInt() ? p.asInt() : null);
            }
        }
        return out;
    }

    private static List<Integer> portDefinitionPorts(JsonNode app) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode d : app.path("portDefinitions")) {
            if (d.has("port")) {
                out.add(port(d.get("port")));
            }
        }
        return out;
    }

    private static List<Integer> containerPorts(JsonNode app) {
        List<Integer> out = new ArrayList<>();
        if (app == null) {
            return out;
        }
        for (JsonNode p : app.path("ipAddress").path("discovery").path("ports")) {
            if (p.has("number")) {
                out.add(port(p.get("number")));
            }
        }
        if (!out.isEmpty()) {
            return out;
        }
        for (JsonNode m : portMappings(app)) {
            if (m.has("containerPort")) {
                out.add(port(m.get("containerPort")));
            }
        }
        return out;
    }

    private static List<Integer> ports(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode p : array) {
            out.add(port(p));
        }
        return out;
    }

    /** A port number; 0 for anything else (rejected later, naming the task). */
    private static int port(JsonNode p) {
        return p.isIntegralNumber() && p.canConvertToInt() ? p.asInt() : 0;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static Integer integer(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isIntegralNumber() && v.canConvertToInt() ? v.asInt() : null;
    }
}
