package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.spi.Backend;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden-file tests of rendered haproxy.cfg files; every rendered file also passes the real
 * {@code haproxy -c}. Regenerate the golden files with {@code -Dgolden.update=true} and review the diff.
 */
class HaproxyGoldenTest {
    @TempDir
    Path dir;

    private ObjectNode global() {
        ObjectNode g = json("{'do_reloads': false, 'do_socket': false, 'bind_address': '127.0.0.1', 'use_nerve_weights': true,"
                + " 'server_order_seed': 42,"
                + " 'global': ['maxconn 4096', 'log stdout format raw local0'],"
                + " 'defaults': ['mode http', 'log global', 'timeout connect 5s', 'timeout client 30s', 'timeout server 30s'],"
                + " 'extra_sections': {'listen stats': ['bind 127.0.0.1:1937', 'stats enable', 'stats uri /']},"
                + " 'shared_frontend': ['bind 127.0.0.1:8080']}");
        g.put("config_file_path", dir.resolve("haproxy.cfg").toString());
        return g;
    }

    private Map<String, JsonNode> services() {
        Map<String, JsonNode> s = new LinkedHashMap<>();
        s.put("api", json("{'port': 3000, 'bind_options': 'accept-proxy', 'backend_order': 'asc',"
                + " 'server_options': 'check inter 2s observe layer7 # %{name}',"
                + " 'listen': ['mode http', 'option httpchk GET /health', 'timeout client 10s', 'balance roundrobin', 'option forwardfor'],"
                + " 'frontend': ['capture request header Host len 64'],"
                + " 'shared_frontend': ['acl is_api hdr_dom(host) -i api.example', 'use_backend api if is_api']}"));
        ((ObjectNode) s.get("api")).put("server_options", "check inter 2s observe layer7");
        s.put("db", json("{'port': null, 'bind_address': 'unix@" + dir.resolve("db.sock") + "', 'backend_order': 'no_shuffle',"
                + " 'listen': ['mode tcp', 'balance leastconn']}"));
        s.put("internal", json("{'backend_name': 'internal_be', 'cookie_value_method': 'hash', 'backend_order': 'desc',"
                + " 'backend': ['balance first']}"));
        s.put("web", json("{'port': 3002, 'server_backup_port': 50002, 'server_options': 'check port %{port}',"
                + " 'listen': ['mode http'], 'shared_frontend': ['acl is_web hdr_dom(host) -i web.example', 'use_backend web if is_web']}"));
        s.put("shuffled", json("{'port': 3003}"));
        s.put("off", json("{'disabled': true, 'port': 3004}"));
        return s;
    }

    private Map<String, List<Backend>> backends() {
        Map<String, List<Backend>> b = new LinkedHashMap<>();
        b.put("api", List.of(
                Backend.builder("10.0.0.2", 8080).name("i-2").weight(20).haproxyServerOptions("weight 5 maxconn 50").build(),
                Backend.builder("10.0.0.1", 8080).name("i-1").weight(10).build(),
                Backend.builder("10.0.0.3", 8080).name("i-3").haproxyServerOptions("backup").build()));
        b.put("db", List.of(Backend.of("db-2.internal", 5432), Backend.of("10.1.0.1", 5432), Backend.of("::1", 5433)));
        b.put("internal", List.of(
                Backend.builder("10.2.0.1", 9000).name("a").haproxyServerId(7).build(),
                Backend.builder("10.2.0.2", 9000).name("b").haproxyServerOptions("id 3").build(),
                Backend.of("c", "10.2.0.3", 9000)));
        b.put("web", List.of(Backend.of("w1", "10.3.0.1", 50001), Backend.of("w2", "10.3.0.2", 50001)));
        b.put("shuffled", List.of(Backend.of("10.4.0.1", 80), Backend.of("10.4.0.2", 80), Backend.of("10.4.0.3", 80),
                Backend.of("10.4.0.4", 80), Backend.of("10.4.0.5", 80)));
        b.put("off", List.of(Backend.of("10.5.0.1", 80)));
        return b;
    }

    @Test
    void fullConfig() throws Exception {
        Map<String, JsonNode> services = services();
        HaproxyGenerator generator = Generators.create(global(), services);
        generator.update(Generators.all(services, backends()));
        Path cfg = dir.resolve("haproxy.cfg");
        String text = Files.readString(cfg).replace(dir.toString(), "$DIR");
        assertGolden("full.cfg", text);
        assertThat(text).endsWith("\n");
        Haproxy.assertValid(cfg);
    }

    @Test
    void serviceWithoutServersAndBackendOnly() throws Exception {
        Map<String, JsonNode> services = new LinkedHashMap<>();
        services.put("empty", json("{'port': 3100}"));
        services.put("only_backend", json("{}"));
        HaproxyGenerator generator = Generators.create(global(), services);
        generator.update(Generators.all(services, Map.of("only_backend", List.of(Backend.of("127.0.0.1", 9)))));
        Path cfg = dir.resolve("haproxy.cfg");
        assertGolden("minimal.cfg", Files.readString(cfg).replace(dir.toString(), "$DIR"));
        Haproxy.assertValid(cfg);
    }

    @Test
    void anAddressInAnExtraSectionHeaderBecomesABindLine() throws Exception {
        // Ruby-era configs (Clay.io's among them) write "listen stats :1937", which HAProxy 2.x refuses
        ObjectNode global = global();
        global.putObject("extra_sections").putArray("listen stats 127.0.0.1:1937").add("stats enable").add("stats uri /");
        Map<String, JsonNode> services = Map.of("api", json("{'port': 3000}"));
        HaproxyGenerator generator = Generators.create(global, services);
        generator.update(Generators.all(services, Map.of("api", List.of(Backend.of("127.0.0.1", 9)))));
        Path cfg = dir.resolve("haproxy.cfg");
        assertThat(Files.readString(cfg)).contains("\nlisten stats\n\tbind 127.0.0.1:1937\n\tstats enable\n\tstats uri /\n");
        Haproxy.assertValid(cfg);
    }

    static void assertGolden(String name, String actual) throws IOException {
        Path golden = Path.of("src/test/resources/golden", name);
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).as("rendered config vs %s (rerun with -Dgolden.update=true to accept)", golden)
                .isEqualTo(Files.readString(golden));
    }
}
