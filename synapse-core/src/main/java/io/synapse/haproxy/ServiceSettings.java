package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.JsonFields;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;

import java.util.ArrayList;
import java.util.List;

/**
 * A service's {@code haproxy} section, validated.
 *
 * @param hasFrontend whether a frontend is rendered ({@code port} present, possibly null)
 * @param port the frontend port, or null for {@code "port": null} (bind to the address alone)
 * @param sharedFrontend lines for the shared frontend, or null when the key is absent
 * @param useNerveWeights the service's {@code use_nerve_weights}, or null to use the top-level one
 */
record ServiceSettings(
        boolean disabled,
        boolean hasFrontend,
        Integer port,
        String bindAddress,
        String bindOptions,
        String serverOptions,
        List<String> frontend,
        List<String> backend,
        String backendName,
        String backendOrder,
        List<String> sharedFrontend,
        boolean cookieHash,
        Integer serverBackupPort,
        boolean tcpMode,
        Boolean useNerveWeights) {

    static final List<String> KEYS = List.of("disabled", "port", "bind_address", "bind_options", "server_options",
            "frontend", "backend", "listen", "backend_name", "backend_order", "shared_frontend", "cookie_value_method",
            "server_backup_port", "server_port_override", "use_nerve_weights");

    /** Parses and validates; returns null when there were problems (all reported). */
    static ServiceSettings parse(String service, JsonNode node, String defaultsMode, ConfigProblems problems) {
        int before = problems.size();
        JsonFields f = JsonFields.of(node, problems);
        f.rejectUnknown(KEYS);
        boolean disabled = f.bool("disabled", false);
        boolean hasFrontend = f.has("port");
        Integer port = f.port("port");
        String bindAddress = f.line("bind_address", null);
        String bindOptions = f.line("bind_options", null);
        String serverOptions = f.line("server_options", null);
        if (serverOptions != null && serverOptions.contains("#")) {
            problems.add("server_options", "must not contain # (it would comment out the rest of every server line)");
        }
        List<String> frontend = new ArrayList<>(f.lines("frontend"));
        List<String> backend = new ArrayList<>(f.lines("backend"));
        List<String> listen = f.lines("listen");
        for (int i = 0; i < listen.size(); i++) {
            String line = listen.get(i);
            Keywords.Placement placement = Keywords.placeListenLine(line);
            if (placement.problem() != null) {
                problems.add("listen[" + i + "]", placement.problem());
                continue;
            }
            Keywords.Place place = placement.place();
            if (place != Keywords.Place.BACKEND) {
                frontend.add(line);
            }
            if (place != Keywords.Place.FRONTEND) {
                backend.add(line);
            }
        }
        String backendName = f.line("backend_name", service);
        if (backendName != null && RegistryValues.checkName(backendName) != null) {
            problems.add("backend_name", "only letters, digits and . _ - : are allowed, got " + RegistryValues.quote(backendName));
        }
        String order = f.line("backend_order", null);
        List<String> shared = f.has("shared_frontend") && !f.get("shared_frontend").isNull() ? f.lines("shared_frontend") : null;
        Boolean weights = f.has("use_nerve_weights") && !f.get("use_nerve_weights").isNull() ? f.bool("use_nerve_weights", false) : null;
        String cookieMethod = f.string("cookie_value_method", "name");
        if (!"name".equals(cookieMethod) && !"hash".equals(cookieMethod)) {
            problems.add("cookie_value_method", "expected \"name\" or \"hash\", got " + RegistryValues.quote(cookieMethod));
        }
        Integer backupPort = f.port("server_backup_port");
        f.port("server_port_override"); // applied by the engine; validated here too
        String mode = lastMode(backend);
        boolean tcp = "tcp".equals(mode != null ? mode : defaultsMode);
        if (problems.size() > before) {
            return null;
        }
        return new ServiceSettings(disabled, hasFrontend, port, bindAddress, bindOptions, serverOptions,
                List.copyOf(frontend), List.copyOf(backend), backendName, order, shared == null ? null : List.copyOf(shared),
                "hash".equals(cookieMethod), backupPort, tcp, weights);
    }

    /** The value of the last {@code mode} line, or null. */
    static String lastMode(List<String> lines) {
        String mode = null;
        for (String line : lines) {
            String[] w = line.trim().split("\\s+");
            if (w.length >= 2 && "mode".equals(w[0])) {
                mode = w[1];
            }
        }
        return mode;
    }
}
