package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.JsonFields;
import io.synapse.common.config.ConfigProblems;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The top-level {@code haproxy} section, validated.
 *
 * @param sharedFrontend the lines of {@code frontend shared-frontend}, or null when there is none
 * @param masterSocketPath the master CLI of a master-worker HAProxy ({@code -S}): reloads go through
 *     it, and so do runtime commands when there is no {@code socket_file_path}; or null
 * @param serverStateFile the {@code server-state-file} of the {@code global} lines (with its
 *     {@code server-state-base}), written with {@code show servers state} just before each reload; or null
 */
record GlobalSettings(
        List<String> global,
        List<String> defaults,
        Map<String, List<String>> extraSections,
        String bindAddress,
        boolean doWrites,
        Path configFilePath,
        boolean doReloads,
        String reloadCommand,
        boolean doSocket,
        List<Path> socketFilePaths,
        boolean doChecks,
        String checkCommand,
        Path candidateConfigFilePath,
        double restartInterval,
        double restartJitter,
        Path stateFilePath,
        long stateFileTtlSeconds,
        long serverOrderSeed,
        int maxServerId,
        boolean useNerveWeights,
        List<String> sharedFrontend,
        Path masterSocketPath,
        Path serverStateFile) {

    /** An {@code extra_sections} header with an address: {@code listen NAME ADDRESS[,ADDRESS...]}. */
    static final java.util.regex.Pattern ADDRESS_IN_HEADER = java.util.regex.Pattern.compile("(listen|frontend)\\s+(\\S+)\\s+(\\S.*)");

    static final List<String> KEYS = List.of("global", "defaults", "extra_sections", "bind_address", "do_writes",
            "config_file_path", "do_reloads", "reload_command", "do_socket", "socket_file_path", "do_checks",
            "check_command", "candidate_config_file_path", "restart_interval", "restart_jitter", "state_file_path",
            "state_file_ttl", "server_order_seed", "max_server_id", "use_nerve_weights", "shared_frontend",
            "master_socket_path");

    static GlobalSettings parse(JsonNode node, ConfigProblems problems) {
        int before = problems.size();
        JsonFields f = JsonFields.of(node, problems);
        f.rejectUnknown(KEYS);
        if (!f.has("global")) {
            problems.add("global", "is required (a list of lines for the global section)");
        }
        if (!f.has("defaults")) {
            problems.add("defaults", "is required (a list of lines for the defaults section)");
        }
        List<String> global = f.lines("global");
        List<String> defaults = f.lines("defaults");
        Map<String, List<String>> extra = new LinkedHashMap<>();
        JsonFields ex = f.object("extra_sections");
        ex.fields().forEachRemaining(e -> {
            if (io.synapse.common.registry.RegistryValues.hasControl(e.getKey())) {
                problems.at("extra_sections").add(e.getKey(), "section header must be a single line");
            } else {
                List<String> lines = ex.lines(e.getKey());
                java.util.regex.Matcher m = ADDRESS_IN_HEADER.matcher(e.getKey().strip());
                if (m.matches() && lines != null) {
                    // "listen stats :1937" (HAProxy 1.x): 2.x refuses an address there, takes it as a bind line
                    List<String> withBind = new java.util.ArrayList<>(lines.size() + 1);
                    withBind.add("bind " + m.group(3).strip());
                    withBind.addAll(lines);
                    extra.put(m.group(1) + " " + m.group(2), withBind);
                } else {
                    extra.put(e.getKey(), lines);
                }
            }
        });
        String bindAddress = f.line("bind_address", "localhost");
        boolean doWrites = f.bool("do_writes", true);
        String configFile = f.line("config_file_path", null);
        if (doWrites && configFile == null) {
            problems.add("config_file_path", "is required when do_writes is true");
        }
        boolean doReloads = f.bool("do_reloads", true);
        String reload = f.line("reload_command", null);
        String master = f.line("master_socket_path", null);
        if (doReloads && reload == null && master == null) {
            problems.add("reload_command", "is required when do_reloads is true (or set master_socket_path, or set do_reloads to false)");
        }
        boolean doSocket = f.bool("do_socket", true);
        List<Path> sockets = new ArrayList<>();
        for (String s : f.lines("socket_file_path")) {
            sockets.add(Path.of(s));
        }
        if (doSocket && sockets.isEmpty() && master == null && f.has("do_socket")) {
            problems.add("socket_file_path", "is required when do_socket is true (or set master_socket_path)");
        }
        boolean doChecks = f.bool("do_checks", false);
        String candidate = f.line("candidate_config_file_path", configFile == null ? null : configFile + ".candidate");
        String check = f.line("check_command", candidate == null ? null : "haproxy -c -q -f " + candidate);
        if (doChecks && (candidate == null || check == null)) {
            problems.add("check_command", "is required when do_checks is true");
        }
        double interval = f.seconds("restart_interval", 2.0);
        double jitter = f.seconds("restart_jitter", 0.0);
        String stateFile = f.line("state_file_path", null);
        Long ttl = f.integer("state_file_ttl", 1, Long.MAX_VALUE / 1000, 86400L);
        Long seed = f.integer("server_order_seed", Long.MIN_VALUE, Long.MAX_VALUE, null);
        if (seed == null) {
            seed = (long) localHostName().hashCode();
        }
        Long maxId = f.integer("max_server_id", 1, Integer.MAX_VALUE, 65535L);
        boolean weights = f.bool("use_nerve_weights", false);
        // absent: no shared frontend at all (a service's shared_frontend lines are then skipped);
        // present, even empty: the section is written
        List<String> shared = f.has("shared_frontend") && !f.get("shared_frontend").isNull() ? f.lines("shared_frontend") : null;
        if (problems.size() > before) {
            return null;
        }
        return new GlobalSettings(global, defaults, extra, bindAddress, doWrites, configFile == null ? null : Path.of(configFile),
                doReloads, reload, doSocket && (!sockets.isEmpty() || master != null), sockets, doChecks, check,
                candidate == null ? null : Path.of(candidate), interval, jitter,
                stateFile == null ? null : Path.of(stateFile), ttl, seed, maxId.intValue(), weights, shared,
                master == null ? null : Path.of(master), serverStateFile(global));
    }

    /**
     * The {@code server-state-file} of the global section, resolved against {@code
     * server-state-base} as HAProxy does; null when there is none, or when it is relative with no
     * base (it would be relative to HAProxy's working directory, which synapse does not know).
     */
    static Path serverStateFile(List<String> global) {
        String file = null;
        String base = null;
        for (String line : global) {
            String[] w = line.trim().split("\\s+");
            if (w.length >= 2 && "server-state-file".equals(w[0])) {
                file = w[1];
            } else if (w.length >= 2 && "server-state-base".equals(w[0])) {
                base = w[1];
            }
        }
        if (file == null) {
            return null;
        }
        Path path = Path.of(file);
        if (path.isAbsolute()) {
            return path;
        }
        return base == null ? null : Path.of(base).resolve(path);
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
