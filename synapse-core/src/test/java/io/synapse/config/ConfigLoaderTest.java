package io.synapse.config;

import io.synapse.common.config.ConfigException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.spi.Backend;
import io.synapse.common.config.ConfigProblems;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private final ConfigLoader loader = new ConfigLoader(Plugins.fromClasspath(),
            Map.of("HOME_DC", "ams", "EMPTY", "")::get);

    private ObjectNode base() {
        ObjectNode c = json("{'services': {'api': {'discovery': {'method': 'base'},"
                + " 'default_servers': [{'name': 'a1', 'host': '10.0.0.1', 'port': 8080}],"
                + " 'haproxy': {'port': 3000}}},"
                + " 'haproxy': {'do_reloads': false, 'do_socket': false, 'global': [], 'defaults': []}}");
        ((ObjectNode) c.get("haproxy")).put("config_file_path", dir.resolve("haproxy.cfg").toString());
        return c;
    }

    private List<String> problems(ObjectNode config) {
        try {
            loader.load(config, dir, new ConfigProblems());
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the config to be rejected");
    }

    @Test
    void loadsAValidConfig() throws Exception {
        SynapseConfig config = loader.load(base(), dir, new ConfigProblems());
        ServiceConfig api = config.services().get("api");
        assertThat(api.method()).isEqualTo("base");
        assertThat(api.defaultServers()).containsExactly(Backend.of("a1", "10.0.0.1", 8080));
        assertThat(api.usePreviousBackends()).isTrue();
        assertThat(api.keepDefaultServers()).isFalse();
        assertThat(config.generators()).containsOnlyKeys("haproxy");
    }

    @Test
    void reportsEveryProblemAtOnceWithItsPath() {
        ObjectNode c = base();
        ObjectNode api = (ObjectNode) c.get("services").get("api");
        ((ObjectNode) api.get("haproxy")).put("port", "80a");
        api.put("keep_defualt_servers", true);
        ((ObjectNode) api.get("default_servers").get(0)).put("host", "bad host\nbind :1");
        c.put("haproxxy", 1);
        c.putObject("services").set("api", api);
        ((ObjectNode) c.get("services")).set("db", json("{'discovery': {'method': 'zk'}}"));
        assertThat(problems(c)).containsExactlyInAnyOrder(
                "haproxxy: unknown key (did you mean \"haproxy\"?); top-level keys are services, service_conf_dir, statsd, catalogs, status and the generators file_output, haproxy, templates",
                "services.api.keep_defualt_servers: unknown key (did you mean \"keep_default_servers\"?)",
                "services.api.default_servers[0].host: expected an IP address or a DNS name, got \"bad host\\u000abind :1\"",
                "services.db.discovery.method: unknown method \"zk\" (installed: base, fake)",
                "services.api.haproxy.port: expected an integer 1-65535, got \"80a\"");
    }

    @Test
    void theStatusSectionIsOffUnlessConfigured() throws Exception {
        assertThat(loader.load(base(), dir, new ConfigProblems()).status()).isNull();
        ObjectNode c = base();
        c.set("status", json("{'port': '${PORT:-9090}'}"));
        assertThat(loader.load(c, dir, new ConfigProblems()).status())
                .isEqualTo(new io.synapse.common.status.StatusSettings("127.0.0.1", 9090));
        c.set("status", json("{'port': 0, 'bind_address': '10.0.0.300', 'tls': true}"));
        assertThat(problems(c)).containsExactly(
                "status.tls: unknown key",
                "status.port: expected an integer 1-65535, got 0",
                "status.bind_address: expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, or ::1 / ::) "
                        + "or \"localhost\", got \"10.0.0.300\"");
    }

    @Test
    void rubyWatchersThatAreNotShippedSaySo() {
        ObjectNode c = base();
        ((ObjectNode) c.get("services").get("api").get("discovery")).put("method", "docker");
        assertThat(problems(c)).containsExactly(
                "services.api.discovery.method: watcher \"docker\" is not installed: its jar (watcher-docker) is missing from lib/ or plugins/"
                        + " (installed: base, fake)");
    }

    @Test
    void pluginConfigIsBoundStrictly() {
        ObjectNode c = base();
        c.with("services").set("f", json("{'discovery': {'method': 'fake', 'idd': 'x', 'initial': 'nope'}}"));
        assertThat(problems(c)).containsExactly(
                "services.f.discovery.idd: unknown key for method \"fake\" (did you mean \"id\"?); known keys: id, initial",
                "services.f.discovery.initial: expected a list");
        c.with("services").set("f", json("{'discovery': {'method': 'fake', 'id': 'x', 'initial': {'a': 1}}}"));
        assertThat(problems(c)).containsExactly("services.f.discovery.initial: expected a list");
        c.with("services").set("f", json("{'discovery': {'method': 'fake'}}"));
        assertThat(problems(c)).containsExactly("services.f.discovery.id: is required");
    }

    @Test
    void defaultServersAreConfigErrors() {
        ObjectNode c = base();
        c.with("services").with("api").set("default_servers",
                json("{'l': [{'host': '10.0.0.1', 'port': 0}, {'port': 1}, {'host': 'x', 'port': 1, 'name': 'a b'}]}").get("l"));
        assertThat(problems(c)).containsExactly(
                "services.api.default_servers[0].port: expected an integer 1-65535, got 0",
                "services.api.default_servers[1].host: is required",
                "services.api.default_servers[2].name: only letters, digits and . _ - : are allowed, got \"a b\"");
    }

    @Test
    void missingDiscoveryAndGenerator() {
        assertThat(problems(json("{'services': {'api': {}}}"))).containsExactly(
                "no generator configured: add at least one of file_output, haproxy, templates",
                "services.api.discovery: is required",
                "services.api.discovery.method: is required");
    }

    @Test
    void haproxyGlobalProblems() {
        ObjectNode c = base();
        c.set("haproxy", json("{'do_reloads': true, 'restart_interval': 'soon', 'global': 'maxconn 1', 'extra': 1}"));
        assertThat(problems(c)).containsExactly(
                "haproxy.extra: unknown key (did you mean \"extra_sections\"?)",
                "haproxy.defaults: is required (a list of lines for the defaults section)",
                "haproxy.config_file_path: is required when do_writes is true",
                "haproxy.reload_command: is required when do_reloads is true (or set master_socket_path, or set do_reloads to false)",
                "haproxy.restart_interval: expected a number of seconds, got \"soon\"");
    }

    @Test
    void newlinesInConfigLinesAreRejected() {
        ObjectNode c = base();
        c.with("services").with("api").with("haproxy").putArray("backend").add("balance roundrobin\n\tserver evil 1.2.3.4:80");
        assertThat(problems(c)).containsExactly(
                "services.api.haproxy.backend[0]: must be a single line without control characters, got \"balance roundrobin\\u000a\\u0009server evil 1.2.3.4:80\"");
    }

    @Test
    void listenLinesWithUnknownKeywords() {
        ObjectNode c = base();
        c.with("services").with("api").with("haproxy").putArray("listen").add("mode http").add("frobnicate on").add("id 7")
                .add("no option httpchk");
        assertThat(problems(c)).containsExactly(
                "services.api.haproxy.listen[1]: unknown HAProxy keyword in \"frobnicate on\": put it under frontend or backend instead",
                "services.api.haproxy.listen[2]: \"id\" in a listen line would give the frontend and the backend the same id, which"
                        + " HAProxy refuses: put it under frontend or backend instead",
                "services.api.haproxy.listen[3]: HAProxy 2.6 does not accept \"no\" before \"option httpchk\"");
    }

    @Test
    void duplicatePortsAndBackendNames() {
        ObjectNode c = base();
        c.with("services").set("web", json("{'discovery': {'method': 'base'}, 'haproxy': {'port': 3000, 'backend_name': 'api'}}"));
        assertThat(problems(c)).containsExactly(
                "services.web.haproxy.backend_name: backend \"api\" is also used by service api",
                "services.web.haproxy.port: port 3000 is also used by service api");
    }

    @Test
    void environmentSubstitution() throws Exception {
        ObjectNode c = base();
        c.with("services").with("api").with("haproxy").put("bind_address", "${BIND:-127.0.0.1}");
        c.with("services").with("api").with("haproxy").put("server_options", "check ${EMPTY:-inter 2s} ${HOME_DC} $${literal}");
        SynapseConfig config = loader.load(c, dir, new ConfigProblems());
        assertThat(config.services().get("api").generatorSections().get("haproxy").get("bind_address").asText()).isEqualTo("127.0.0.1");
        assertThat(config.services().get("api").generatorSections().get("haproxy").get("server_options").asText())
                .isEqualTo("check inter 2s ams ${literal}");
        c.with("services").with("api").with("haproxy").put("bind_address", "${NOT_SET}");
        assertThat(problems(c)).contains(
                "services.api.haproxy.bind_address: environment variable NOT_SET is not set (use ${NOT_SET:-default} for a default)");
    }

    @Test
    void serviceConfDirAndYaml() throws Exception {
        Path services = Files.createDirectory(dir.resolve("services.d"));
        Files.writeString(services.resolve("web.yaml"), "discovery:\n  method: base\ndefault_servers:\n  - {host: 10.0.0.9, port: 80}\nhaproxy:\n  port: 3001\n");
        Files.writeString(services.resolve("db.json"), "{\"discovery\": {\"method\": \"base\"}, \"haproxy\": {}}");
        Files.writeString(dir.resolve("synapse.conf.yaml"), "service_conf_dir: services.d\nservices: {}\nhaproxy:\n  do_reloads: false\n"
                + "  do_socket: false\n  config_file_path: " + dir.resolve("h.cfg") + "\n  global: []\n  defaults: []\n");
        SynapseConfig config = loader.load(dir.resolve("synapse.conf.yaml"));
        assertThat(config.services().keySet()).containsExactly("db", "web");
        assertThat(config.services().get("web").defaultServers()).containsExactly(Backend.of("10.0.0.9", 80));
    }

    @Test
    void jsonMayCarryCommentsAndYamlStaysYaml() throws Exception {
        Path services = Files.createDirectory(dir.resolve("conf.d"));
        Files.writeString(services.resolve("web.json"), """
                // a service file, as written for the Clay.io setup
                {"discovery": {"method": "base"}, /* no registry */ "haproxy": {"port": 3001}}
                """);
        Files.writeString(dir.resolve("synapse.conf.json"), """
                {
                  // every service is in conf.d
                  "service_conf_dir": "conf.d",
                  "services": {},
                  "haproxy": {
                    /* no reloads in a test */
                    "do_reloads": false, "do_socket": false,
                    "config_file_path": "%s",
                    "global": [], "defaults": []  // nothing
                  }
                }
                """.formatted(dir.resolve("h.cfg")));
        assertThat(loader.load(dir.resolve("synapse.conf.json")).services().keySet()).containsExactly("web");

        Files.writeString(dir.resolve("synapse.conf.yaml"), """
                # YAML comments, as always
                services:
                  api:
                    discovery: {method: base}  # no registry
                haproxy: {do_reloads: false, do_socket: false, config_file_path: %s, global: [], defaults: []}
                """.formatted(dir.resolve("h.cfg")));
        assertThat(loader.load(dir.resolve("synapse.conf.yaml")).services().keySet()).containsExactly("api");
        Files.writeString(dir.resolve("bad.yaml"), "services: {} // not a YAML comment\n");
        assertThatThrownBy(() -> loader.load(dir.resolve("bad.yaml"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void anEmptyDefaultServerNameIsNoName() throws Exception {
        ObjectNode c = base();
        c.with("services").with("api").set("default_servers", json("{'l': [{'name': '', 'host': '10.0.0.9', 'port': 80}]}").get("l"));
        ServiceConfig api = loader.load(c, dir, new ConfigProblems()).services().get("api");
        assertThat(api.defaultServers()).containsExactly(Backend.of("10.0.0.9", 80));
        assertThat(api.defaultServers().get(0).name()).isNull();
    }

    @Test
    void unreadableFiles() {
        assertThatThrownBy(() -> loader.load(dir.resolve("missing.json")))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("missing.json") + ": no such file");
    }

    @Test
    void invalidJsonSaysWhere() throws Exception {
        Files.writeString(dir.resolve("bad.json"), "{\n  \"services\": {,\n}");
        assertThatThrownBy(() -> loader.load(dir.resolve("bad.json")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir.resolve("bad.json") + ": not valid JSON (line 2, column 16): Unexpected character (',' (code 44))");
    }

    @Test
    void portOverrideAndLabelFilters() throws Exception {
        ObjectNode c = base();
        c.with("services").with("api").with("haproxy").put("server_port_override", "8443");
        c.with("services").with("api").with("discovery").set("label_filters",
                json("{'l': [{'label': 'az', 'value': 'a'}, {'label': 'canary', 'value': 'true', 'condition': 'not-equals'}]}").get("l"));
        ServiceConfig api = loader.load(c, dir, new ConfigProblems()).services().get("api");
        assertThat(api.backendPortOverride()).isEqualTo(8443);
        assertThat(api.labelFilters()).containsExactly(new LabelFilter("az", "a", true), new LabelFilter("canary", "true", false));
        c.with("services").with("api").put("backend_port_override", "80x");
        c.with("services").with("api").with("discovery").set("label_filter", json("{'label': 'x', 'condition': 'like'}"));
        assertThat(problems(c)).containsExactly(
                "services.api.backend_port_override: expected an integer 1-65535, got \"80x\"",
                "services.api.discovery.label_filter.condition: expected \"equals\" or \"not-equals\", got \"like\"");
    }

    @Test
    void aFileIsReadServiceByServiceWithTheProblemsOfAWholeTreeInTheSameOrder() throws Exception {
        // the file reader binds each service as it reads it; it must report what the tree reader reports, in order
        // (the first "api" is replaced by the second, as in a tree; an unset ${VAR} host or port is one problem, not a crash)
        String text = """
                {
                  "haproxy": {"do_reloads": false, "do_socket": false, "global": [], "defaults": [], "config_file_path": "${NOPE}"},
                  "services": {
                    "api": {"discovery": {"method": "base"}, "haproxy": {"port": "80a"}},
                    "db": {"discovery": {"method": "zk"}, "default_servers": [{"host": "${NOT_SET}", "port": "${NOR_THIS}"}]},
                    "api": {"discovery": {"method": "base"}, "keep_defualt_servers": true}
                  },
                  "haproxxy": 1,
                  "status": "${ALSO_NOT_SET}"
                }
                """;
        Path file = dir.resolve("synapse.conf.json");
        Files.writeString(file, text);
        List<String> fromFile = List.of();
        try {
            loader.load(file);
        } catch (ConfigException e) {
            fromFile = e.problems();
        }
        List<String> fromTree = problems((ObjectNode) json(text.replace('"', '\'')));
        assertThat(fromFile).isEqualTo(fromTree).containsExactly(
                "haproxy.config_file_path: environment variable NOPE is not set (use ${NOPE:-default} for a default)",
                "services.db.default_servers[0].host: environment variable NOT_SET is not set (use ${NOT_SET:-default} for a default)",
                "services.db.default_servers[0].port: environment variable NOR_THIS is not set (use ${NOR_THIS:-default} for a default)",
                "status: environment variable ALSO_NOT_SET is not set (use ${ALSO_NOT_SET:-default} for a default)",
                "haproxxy: unknown key (did you mean \"haproxy\"?); top-level keys are services, service_conf_dir, statsd, catalogs,"
                        + " status and the generators file_output, haproxy, templates",
                "services.api.keep_defualt_servers: unknown key (did you mean \"keep_default_servers\"?)",
                "services.db.discovery.method: unknown method \"zk\" (installed: base, fake)",
                "status.port: is required (the TCP port of /metrics, /status, /healthz and the status page)",
                "haproxy.config_file_path: is required when do_writes is true");
    }

    @Test
    void aLargeFileLoadsEveryServiceInOrder() throws Exception {
        StringBuilder text = new StringBuilder("{\"services\": {");
        for (int i = 0; i < 300; i++) {
            text.append(i == 0 ? "" : ",").append("\"svc").append(i).append("\": {\"discovery\": {\"method\": \"base\"},")
                    .append(" \"default_servers\": [{\"host\": \"10.0.1.").append(i % 250).append("\", \"port\": ").append(8000 + i)
                    .append("}], \"haproxy\": {\"port\": ").append(10000 + i).append("}}");
        }
        text.append("}, \"haproxy\": {\"do_reloads\": false, \"do_socket\": false, \"global\": [], \"defaults\": [],")
                .append(" \"config_file_path\": \"").append(dir.resolve("haproxy.cfg")).append("\"}}");
        Path file = dir.resolve("large.json");
        Files.writeString(file, text);
        SynapseConfig config = loader.load(file);
        assertThat(config.services()).hasSize(300);
        assertThat(config.services().keySet()).startsWith("svc0", "svc1", "svc2").endsWith("svc299");
        assertThat(config.services().get("svc299").defaultServers()).containsExactly(Backend.of("10.0.1.49", 8299));
    }
}
