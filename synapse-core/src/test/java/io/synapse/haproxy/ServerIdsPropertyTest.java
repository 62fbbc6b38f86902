package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.mustachejava.DefaultMustacheFactory;
import io.synapse.spi.Backend;
import io.synapse.common.config.ConfigProblems;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property: for random {@code default_servers} lists (names or none, explicit ids or none, backup
 * twins or none) and every {@code backend_order}, a server keeps its id when the list is printed
 * in another order, when discovery returns it in another order, when other servers come and go,
 * and when synapse restarts (the same list gives the same ids; with a state file, any order does).
 */
class ServerIdsPropertyTest {
    private static final List<String> ORDERS = java.util.Arrays.asList("asc", "desc", "no_shuffle", "shuffle", null);
    private static final Pattern SERVER = Pattern.compile("^server (\\S+) \\S+.*? id ([0-9]+)(?: |$)");

    @TempDir
    Path dir;

    private final ServiceRenderer renderer = new ServiceRenderer(
            new DefaultMustacheFactory("io/synapse/haproxy").compile("service.mustache"),
            GlobalSettings.parse(json("{'do_writes': false, 'do_reloads': false, 'do_socket': false, 'global': [], 'defaults': [],"
                    + " 'server_order_seed': 7}"), new ConfigProblems()));

    @Test
    void aServerKeepsItsIdAcrossReorderingsAndRestarts() {
        Random random = new Random(20260909L);
        for (int round = 0; round < 100; round++) {
            List<Backend> servers = defaultServers(random, 1 + random.nextInt(30));
            Integer backupPort = random.nextInt(4) == 0 ? 50002 : null;
            Map<String, Integer> reference = null;
            for (String order : ORDERS) {
                ServiceSettings settings = settings(order, backupPort);
                // a fresh ServerIds is a restarted synapse: the same list gives the same ids, whatever the order
                ServerIds ids = new ServerIds("svc", 65535);
                Map<String, Integer> first = ids(renderer.serverLines("svc", settings, servers(servers), ids));
                assertUniqueAndComplete(first, servers, backupPort);
                if (reference == null) {
                    reference = first;
                } else {
                    assertThat(first).as("round %d, backend_order %s", round, order).isEqualTo(reference);
                }
                // the running synapse: discovery returns the same servers in another order
                List<Backend> shuffled = new ArrayList<>(servers);
                Collections.shuffle(shuffled, random);
                assertThat(ids(renderer.serverLines("svc", settings, servers(shuffled), ids))).isEqualTo(first);

                // some servers leave, new ones arrive: the others keep their ids, no id is used twice,
                // and the ids of the servers that just left are not handed out yet
                List<Backend> next = new ArrayList<>(shuffled.subList(0, random.nextInt(shuffled.size() + 1)));
                Set<String> present = new HashSet<>(); // (a server that just left does not come back in this step)
                shuffled.forEach(b -> present.add(b.identity()));
                for (Backend b : defaultServers(random, random.nextInt(6))) {
                    // (an explicit id another server has would take it from that server)
                    boolean takesAnId = explicitId(b) != null && first.containsValue(explicitId(b));
                    if (!takesAnId && present.add(b.identity())) {
                        next.add(random.nextInt(next.size() + 1), b);
                    }
                }
                Map<String, Integer> after = ids(renderer.serverLines("svc", settings, servers(next), ids));
                assertUniqueAndComplete(after, next, backupPort);
                Set<Integer> leftIds = new HashSet<>();
                Map<String, Integer> kept = new HashMap<>();
                first.forEach((name, id) -> {
                    if (after.containsKey(name)) {
                        kept.put(name, after.get(name));
                    } else {
                        leftIds.add(id);
                    }
                });
                assertThat(kept).as("ids of the servers that stayed").isEqualTo(filter(first, after.keySet()));
                Set<Integer> reused = new HashSet<>();
                after.forEach((name, id) -> {
                    if (!first.containsKey(name) && !hasExplicitId(name, next) && leftIds.contains(id)) {
                        reused.add(id);
                    }
                });
                assertThat(reused).as("ids of servers that just left, given to new ones").isEmpty();
            }
        }
    }

    @Test
    void withAStateFileARestartKeepsTheIdsWhateverTheDiscoveryOrder() throws Exception {
        Random random = new Random(20261001L);
        for (int round = 0; round < 5; round++) {
            Path cfg = dir.resolve("haproxy-" + round + ".cfg");
            ObjectNode global = json("{'do_reloads': false, 'do_socket': false, 'global': [],"
                    + " 'defaults': ['mode http', 'timeout connect 5s', 'timeout client 5s', 'timeout server 5s']}");
            global.put("config_file_path", cfg.toString());
            global.put("state_file_path", dir.resolve("state-" + round + ".json").toString());
            List<Backend> servers = defaultServers(random, 2 + random.nextInt(20));
            Map<String, JsonNode> sections = new LinkedHashMap<>();
            ObjectNode section = json("{'port': 3600}");
            String order = ORDERS.get(random.nextInt(ORDERS.size()));
            if (order != null) {
                section.put("backend_order", order);
            }
            sections.put("svc", section);
            Generators.create(global, sections).update(Generators.all(sections, Map.of("svc", servers)));
            Map<String, Integer> before = ids(Files.readString(cfg));
            if (round == 0) {
                Haproxy.assertValid(cfg);
            }

            List<Backend> reordered = new ArrayList<>(servers);
            Collections.shuffle(reordered, random);
            Files.delete(cfg);
            Generators.create(global, sections).update(Generators.all(sections, Map.of("svc", reordered)));
            assertThat(ids(Files.readString(cfg))).as("round %d", round).isEqualTo(before);
        }
    }

    /** Distinct servers (host, port and name), some with names, some with an explicit id (all different). */
    private static List<Backend> defaultServers(Random random, int count) {
        Map<String, Backend> out = new LinkedHashMap<>();
        Set<Integer> explicit = new HashSet<>();
        while (out.size() < count) {
            String name = random.nextInt(3) == 0 ? null : "n" + random.nextInt(30);
            Backend.Builder b = Backend.builder("10.0." + random.nextInt(4) + "." + random.nextInt(40), 8080 + random.nextInt(3)).name(name);
            int kind = random.nextInt(10);
            int id = 1 + random.nextInt(200);
            if (kind == 0 && explicit.add(id)) {
                b.haproxyServerId(id);
            } else if (kind == 1 && explicit.add(id)) {
                b.haproxyServerOptions("check id " + id);
            }
            Backend backend = b.build();
            if (!out.containsKey(backend.identity()) && !usesExplicitIdOfAnother(backend, out.values())) {
                out.put(backend.identity(), backend);
            }
        }
        return new ArrayList<>(out.values());
    }

    private static boolean usesExplicitIdOfAnother(Backend b, java.util.Collection<Backend> others) {
        Integer id = explicitId(b);
        return id != null && others.stream().anyMatch(o -> id.equals(explicitId(o)));
    }

    private static Integer explicitId(Backend b) {
        if (b.haproxyServerOptions() != null) {
            return Integer.parseInt(b.haproxyServerOptions().substring("check id ".length()));
        }
        return b.haproxyServerId();
    }

    private static boolean hasExplicitId(String serverName, List<Backend> servers) {
        return servers.stream().anyMatch(b -> explicitId(b) != null && ServiceRenderer.serverName(b, b.port()).equals(serverName));
    }

    private static Map<String, Integer> filter(Map<String, Integer> ids, Set<String> names) {
        Map<String, Integer> out = new HashMap<>(ids);
        out.keySet().retainAll(names);
        return out;
    }

    private static ServiceSettings settings(String order, Integer backupPort) {
        ObjectNode section = json("{'port': 3600}");
        if (order != null) {
            section.put("backend_order", order);
        }
        if (backupPort != null) {
            section.put("server_backup_port", backupPort);
        }
        return ServiceSettings.parse("svc", section, "http", new ConfigProblems());
    }

    private static List<ServiceRenderer.Server> servers(List<Backend> backends) {
        List<ServiceRenderer.Server> out = new ArrayList<>();
        backends.forEach(b -> out.add(new ServiceRenderer.Server(b, false)));
        return out;
    }

    private static Map<String, Integer> ids(List<String> lines) {
        return ids(String.join("\n", lines));
    }

    /** Server name -> id, from server lines (with or without the leading tab). */
    private static Map<String, Integer> ids(String text) {
        Map<String, Integer> out = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = SERVER.matcher(line.strip());
            if (m.find()) {
                if (out.put(m.group(1), Integer.parseInt(m.group(2))) != null) {
                    throw new AssertionError("server " + m.group(1) + " printed twice:\n" + text);
                }
            }
        }
        return out;
    }

    private static void assertUniqueAndComplete(Map<String, Integer> ids, List<Backend> servers, Integer backupPort) {
        Set<String> names = new HashSet<>();
        servers.forEach(b -> names.add(ServiceRenderer.serverName(b, b.port())));
        if (backupPort != null) {
            servers.forEach(b -> names.add(ServiceRenderer.serverName(b, backupPort)));
        }
        assertThat(ids.keySet()).isEqualTo(names);
        assertThat(new HashSet<>(ids.values())).as("ids are unique: %s", ids).hasSize(ids.size());
    }
}
