package io.synapse.haproxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.mustachejava.DefaultMustacheFactory;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.Backend;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A section kept from one update to the next (which re-renders only what changed) gives exactly
 * the bytes, ids and order of rendering the whole list each time, whatever the changes.
 */
class ServiceSectionPropertyTest {
    private final ServiceRenderer renderer = new ServiceRenderer(
            new DefaultMustacheFactory("io/synapse/haproxy").compile("service.mustache"),
            GlobalSettings.parse(json("{'do_writes': false, 'do_reloads': false, 'do_socket': false, 'global': [],"
                    + " 'defaults': ['mode http'], 'server_order_seed': 5, 'max_server_id': 40}"), new ConfigProblems()));

    @Test
    void keptSectionsRenderWhatAWholeRenderGives() {
        Random random = new Random(20261202L);
        int renders = 0;
        int incremental = 0;
        for (String order : new String[] {"asc", "desc", "no_shuffle", "shuffle"}) {
            for (int run = 0; run < 20; run++) {
                ObjectNode section = json("{'port': 3000, 'server_options': 'check inter 2s', 'use_nerve_weights': true}");
                section.put("backend_order", order);
                ServiceSettings settings = ServiceSettings.parse("svc", section, "http", new ConfigProblems());
                BackendTraits traits = BackendTraits.of(List.of("mode http"), settings);
                ServiceSection kept = new ServiceSection(renderer, "svc", settings, traits, new ServerIds("svc", 40));
                ServiceSection whole = new ServiceSection(renderer, "svc", settings, traits, new ServerIds("svc", 40));
                whole.incremental = false;
                List<ServiceRenderer.Server> servers = new ArrayList<>();
                for (int step = 0; step < 60; step++) {
                    change(random, servers);
                    Set<Integer> busy = random.nextInt(5) == 0 ? Set.of(1 + random.nextInt(10)) : Set.of();
                    kept.render(List.copyOf(servers), busy);
                    whole.render(List.copyOf(servers), busy);
                    assertThat(new String(kept.bytes(), StandardCharsets.UTF_8))
                            .as("order %s, run %d, step %d", order, run, step)
                            .isEqualTo(new String(whole.bytes(), StandardCharsets.UTF_8));
                    List<String> lines = new ArrayList<>();
                    kept.forEachSpec(s -> {
                        lines.add(s.line());
                        assertThat(kept.spec(s.name())).isEqualTo(s);
                    });
                    assertThat(lines).hasSize(servers.size());
                    renders++;
                }
                incremental += kept.incrementalRenders;
            }
        }
        // most changes took the fast path (a registration with an explicit id, or no id left, does not)
        assertThat(incremental).as("incremental renders of %s", renders).isGreaterThan(renders / 2);
    }

    /** One random change: a server comes, goes, moves, changes weight, is disabled, or the list is reordered. */
    private static void change(Random random, List<ServiceRenderer.Server> servers) {
        int op = servers.isEmpty() ? 0 : random.nextInt(7);
        int i = servers.isEmpty() ? 0 : random.nextInt(servers.size());
        switch (op) {
            case 0, 1 -> {
                for (int k = 0; k < 1 + random.nextInt(3); k++) {
                    Backend b = Backend.builder("10.0." + random.nextInt(4) + "." + (1 + random.nextInt(60)), 8000 + random.nextInt(3))
                            .name(random.nextBoolean() ? "n" + random.nextInt(30) : null).weight(random.nextBoolean() ? random.nextInt(257) : null)
                            .build();
                    if (servers.stream().noneMatch(s -> ServiceRenderer.serverName(s.backend(), s.backend().port())
                            .equals(ServiceRenderer.serverName(b, b.port())))) {
                        servers.add(random.nextInt(servers.size() + 1), new ServiceRenderer.Server(b, random.nextInt(6) == 0));
                    }
                }
            }
            case 2 -> servers.remove(i);
            case 3 -> servers.set(i, new ServiceRenderer.Server(servers.get(i).backend().toBuilder().weight(random.nextInt(257)).build(),
                    servers.get(i).disabled()));
            case 4 -> servers.set(i, new ServiceRenderer.Server(servers.get(i).backend(), !servers.get(i).disabled()));
            case 5 -> java.util.Collections.swap(servers, i, random.nextInt(servers.size()));
            default -> {
                // the same backends as new objects (a watcher that decodes everything again)
                for (int k = 0; k < servers.size(); k++) {
                    servers.set(k, new ServiceRenderer.Server(servers.get(k).backend().toBuilder().build(), servers.get(k).disabled()));
                }
            }
        }
    }
}
