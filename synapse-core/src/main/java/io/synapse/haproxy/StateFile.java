package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.output.AtomicFiles;
import io.synapse.spi.Backend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code state_file_path}: the backends seen in the last {@code state_file_ttl} seconds, kept
 * across restarts. A backend that is gone but still remembered is rendered as a {@code disabled}
 * server, so a backend that flaps or a synapse restart does not change the set of servers. The
 * HAProxy server ids are remembered with them (as Ruby's state file does), so that a restarted
 * synapse gives every remembered server the id it had, whatever order discovery returns.
 */
final class StateFile {
    private static final Logger LOG = LoggerFactory.getLogger(StateFile.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path path;
    private final long ttlSeconds;
    /** service -> server key -> (backend, last seen epoch seconds) */
    private final Map<String, Map<String, Seen>> seen = new HashMap<>();
    /** service -> HAProxy server name -> server id */
    private final Map<String, Map<String, Integer>> ids = new HashMap<>();
    private boolean dirty;
    private long lastSaveSeconds;

    record Seen(Backend backend, long at) {}

    StateFile(Path path, long ttlSeconds) {
        this.path = path;
        this.ttlSeconds = ttlSeconds;
        load();
    }

    private void load() {
        if (!Files.isRegularFile(path)) {
            return;
        }
        try {
            JsonNode root = MAPPER.readTree(path.toFile());
            for (Iterator<Map.Entry<String, JsonNode>> s = root.fields(); s.hasNext(); ) {
                Map.Entry<String, JsonNode> service = s.next();
                Map<String, Seen> servers = new LinkedHashMap<>();
                for (JsonNode n : service.getValue()) {
                    try {
                        Backend b = Backend.builder(n.path("host").asText(), n.path("port").asInt())
                                .name(n.hasNonNull("name") ? n.get("name").asText() : null)
                                .weight(n.hasNonNull("weight") ? n.get("weight").asInt() : null)
                                .haproxyServerOptions(n.hasNonNull("haproxy_server_options") ? n.get("haproxy_server_options").asText() : null)
                                .build();
                        servers.put(b.identity(), new Seen(b, n.path("seen").asLong()));
                        n.path("haproxy_server_ids").fields().forEachRemaining(id -> {
                            if (id.getValue().canConvertToInt() && id.getValue().asInt() > 0) {
                                ids.computeIfAbsent(service.getKey(), k -> new HashMap<>()).put(id.getKey(), id.getValue().asInt());
                            }
                        });
                    } catch (IllegalArgumentException e) {
                        LOG.warn("state file {}: skipping an invalid entry of service {}: {}", path, service.getKey(), e.getMessage());
                    }
                }
                seen.put(service.getKey(), servers);
            }
            LOG.info("state file {}: remembered backends of {} service(s)", path, seen.size());
        } catch (IOException e) {
            LOG.warn("state file {}: unreadable, starting without it: {}", path, e.getMessage());
        }
    }

    /** Records {@code current} as seen now; returns the remembered backends that are gone but not expired. */
    List<Backend> update(String service, List<Backend> current, long nowSeconds) {
        Map<String, Seen> servers = seen.computeIfAbsent(service, k -> new LinkedHashMap<>());
        for (Backend b : current) {
            Seen before = servers.put(b.identity(), new Seen(b, nowSeconds));
            if (before == null) {
                dirty = true;
            }
        }
        List<Backend> remembered = new ArrayList<>();
        java.util.Set<String> present = new java.util.HashSet<>();
        current.forEach(b -> present.add(b.identity()));
        for (Iterator<Seen> it = servers.values().iterator(); it.hasNext(); ) {
            Seen s = it.next();
            if (present.contains(s.backend().identity())) {
                continue;
            }
            if (nowSeconds - s.at() > ttlSeconds) {
                it.remove();
                dirty = true;
            } else {
                remembered.add(s.backend());
            }
        }
        return remembered;
    }

    void retain(java.util.Set<String> services) {
        if (seen.keySet().retainAll(services)) {
            dirty = true;
        }
        ids.keySet().retainAll(services);
    }

    /** The server ids remembered for {@code service}, by HAProxy server name. */
    Map<String, Integer> ids(String service) {
        return Map.copyOf(ids.getOrDefault(service, Map.of()));
    }

    /** Remembers the server ids just given to {@code service}'s servers. */
    void rememberIds(String service, Map<String, Integer> current) {
        if (!current.equals(ids.get(service))) {
            ids.put(service, new HashMap<>(current));
            dirty = true;
        }
    }

    /** {@code name_host:} or {@code host:}: a server name less its port. */
    private static String prefix(String serverName) {
        return serverName.substring(0, serverName.lastIndexOf(':') + 1);
    }

    /** Saves when the remembered set changed, or at least every tenth of the TTL. */
    void saveIfNeeded(long nowSeconds) {
        if (!dirty && nowSeconds - lastSaveSeconds < Math.max(1, ttlSeconds / 10)) {
            return;
        }
        ObjectNode root = MAPPER.createObjectNode();
        seen.forEach((service, servers) -> {
            var list = root.putArray(service);
            Map<String, Map<String, Integer>> idsByPrefix = new HashMap<>();
            ids.getOrDefault(service, Map.of()).forEach((name, id) ->
                    idsByPrefix.computeIfAbsent(prefix(name), k -> new java.util.TreeMap<>()).put(name, id));
            servers.values().forEach(s -> {
                ObjectNode n = list.addObject();
                n.put("host", s.backend().host());
                n.put("port", s.backend().port());
                if (s.backend().name() != null) {
                    n.put("name", s.backend().name());
                }
                if (s.backend().weight() != null) {
                    n.put("weight", s.backend().weight());
                }
                if (s.backend().haproxyServerOptions() != null) {
                    n.put("haproxy_server_options", s.backend().haproxyServerOptions());
                }
                n.put("seen", s.at());
                Map<String, Integer> serverIds = idsByPrefix.get(prefix(ServiceRenderer.serverName(s.backend(), s.backend().port())));
                if (serverIds != null) {
                    serverIds.forEach(n.putObject("haproxy_server_ids")::put);
                }
            });
        });
        try {
            AtomicFiles.write(path, MAPPER.writeValueAsBytes(root));
            dirty = false;
            lastSaveSeconds = nowSeconds;
        } catch (IOException e) {
            LOG.warn("state file {}: cannot save: {}", path, e.getMessage());
        }
    }
}
