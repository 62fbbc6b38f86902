package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.spi.Backend;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

class StateFileTest {
    @TempDir
    Path dir;

    private final Backend a = Backend.of("a", "10.0.0.1", 80);
    private final Backend b = Backend.of("b", "10.0.0.2", 80);

    private ObjectNode global(long ttl) {
        ObjectNode g = json("{'do_reloads': false, 'do_socket': false, 'global': [], 'defaults': ['timeout connect 5s',"
                + " 'timeout client 5s', 'timeout server 5s']}");
        g.put("config_file_path", dir.resolve("haproxy.cfg").toString());
        g.put("state_file_path", dir.resolve("state.json").toString());
        g.put("state_file_ttl", ttl);
        return g;
    }

    @Test
    void goneBackendsStayAsDisabledServersAcrossRestartsUntilTheTtl() throws Exception {
        Map<String, JsonNode> services = new LinkedHashMap<>();
        services.put("api", json("{'port': 3800, 'backend_order': 'asc'}"));
        HaproxyGenerator first = Generators.create(global(3600), services);
        first.update(Generators.all(services, Map.of("api", List.of(a, b))));
        first.update(Generators.all(services, Map.of("api", List.of(a))));
        Path cfg = dir.resolve("haproxy.cfg");
        assertThat(Files.readString(cfg)).contains(
                "server a_10.0.0.1:80 10.0.0.1:80 id 1 cookie a_10.0.0.1:80\n",
                "server b_10.0.0.2:80 10.0.0.2:80 id 2 cookie b_10.0.0.2:80 disabled\n");
        Haproxy.assertValid(cfg);

        // a restarted synapse remembers b from the state file
        Files.delete(cfg);
        HaproxyGenerator restarted = Generators.create(global(3600), services);
        restarted.update(Generators.all(services, Map.of("api", List.of(a))));
        assertThat(Files.readString(cfg)).contains("server b_10.0.0.2:80 10.0.0.2:80 id 2 cookie b_10.0.0.2:80 disabled\n");

        // entries older than the TTL are forgotten
        String state = Files.readString(dir.resolve("state.json")).replaceAll("\"seen\":[0-9]+", "\"seen\":1000");
        Files.writeString(dir.resolve("state.json"), state);
        Files.delete(cfg);
        HaproxyGenerator expired = Generators.create(global(60), services);
        expired.update(Generators.all(services, Map.of("api", List.of(a))));
        assertThat(Files.readString(cfg)).contains("server a_10.0.0.1:80").doesNotContain("10.0.0.2");
    }
}
