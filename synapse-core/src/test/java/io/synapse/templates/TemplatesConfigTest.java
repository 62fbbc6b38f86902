package io.synapse.templates;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.cli.SynapseMain;
import io.synapse.common.config.ConfigException;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.config.SynapseConfig;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The templates section as the config loader and {@code --check} see it. */
class TemplatesConfigTest {
    @TempDir
    Path dir;

    private ObjectNode config(String templates) {
        ObjectNode c = json("{'services': {"
                + "'api': {'discovery': {'method': 'base'}, 'default_servers': [{'host': '127.0.0.1', 'port': 8081}], 'haproxy': {'port': 3600}},"
                + "'web': {'discovery': {'method': 'base'}, 'default_servers': [{'host': '127.0.0.1', 'port': 8082}]}}}");
        c.set("templates", TestConfigs.MAPPER.valueToTree(json("{'t': " + templates + "}").get("t")));
        return c;
    }

    private SynapseConfig load(ObjectNode config) throws ConfigException {
        return new ConfigLoader(Plugins.fromClasspath(), k -> null).load(TestConfigs.write(dir, config));
    }

    @Test
    void aValidEntryResolvesItsSourceAgainstTheConfigFile() throws Exception {
        Files.createDirectories(dir.resolve("tpl"));
        Files.writeString(dir.resolve("tpl/up.mustache"), "{{#services}}{{name}}:{{haproxy_port}}\n{{/services}}");
        SynapseConfig c = load(config("[{'source': 'tpl/up.mustache', 'destination': '" + dir.resolve("out/up.conf") + "',"
                + " 'services': ['web', 'api'], 'check_command': 'true %{path}', 'reload_command': 'true', 'restart_interval': 0.5,"
                + " 'file_mode': '0640'}]"));
        TemplatesGenerator g = (TemplatesGenerator) c.generators().get("templates");
        TemplateSettings s = g.outputs().get(0).settings();
        assertThat(s.label()).isEqualTo("templates[0]");
        assertThat(s.template().file()).isEqualTo(dir.resolve("tpl/up.mustache").toString());
        assertThat(s.services()).containsExactly("web", "api");
        assertThat(s.restartInterval()).isEqualTo(java.time.Duration.ofMillis(500));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(s.fileMode())).isEqualTo("rw-r-----");
        assertThat(s.candidate()).isEqualTo(dir.resolve("out/up.conf.candidate"));
        g.close();
    }

    @Test
    void everyProblemIsListedWithItsPath() throws Exception {
        Files.writeString(dir.resolve("bad.mustache"), "{{#services}}\n  {{nmae}}\n{{#backends}}{{adress}}{{/backends}}\n{{/services}}\n");
        Files.writeString(dir.resolve("open.mustache"), "line 1\n{{#services}}\n");
        ObjectNode c = config("[{'source': 'missing.mustache', 'destination': '/tmp/x.conf'},"
                + " {'source': 'bad.mustache', 'destination': '/tmp/y.conf', 'services': ['api', 'wbe', 3], 'file_mode': '999',"
                + "  'restart_interval': -1, 'reload_comand': 'x'},"
                + " {'destination': '/tmp/x.conf', 'escape': 'xml', 'check_command': ''},"
                + " {'source': 'open.mustache', 'destination': '/tmp/z.conf'},"
                + " 'oops']");
        c.with("services").with("web").set("templates", json("{'port': 1}"));
        assertThatThrownBy(() -> load(c)).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "templates[0].source: no such file: " + dir.resolve("missing.mustache"),
                        "templates[1].reload_comand: unknown key (did you mean \"reload_command\"?)",
                        "templates[1].services[1]: unknown service \"wbe\" (did you mean \"web\"?)",
                        "templates[1].services[2]: expected a service name, got 3",
                        "templates[1].restart_interval: expected a non-negative number of seconds, got -1",
                        "templates[1].file_mode: expected an octal mode like \"0644\", got \"999\"",
                        "templates[1].source: " + dir.resolve("bad.mustache") + ":2: unknown name \"nmae\" (did you mean \"name\"?)",
                        "templates[1].source: " + dir.resolve("bad.mustache") + ":3: unknown name \"adress\" (did you mean \"address\"?)",
                        "templates[2].source: is required",
                        "templates[2].escape: expected \"none\" or \"json\", got \"xml\"",
                        "templates[2].check_command: must not be empty (leave it out for no check)",
                        "templates[3].source: " + dir.resolve("open.mustache") + ":2: failed to close 'services' tag",
                        "templates[4]: expected an object {source, destination, ...}, got \"oops\"",
                        "services.web.templates: the templates generator has no per-service settings: list the services"
                                + " a template renders in its \"services\" key"));
    }

    @Test
    void theSectionIsAListAndTwoEntriesCannotShareADestination() throws Exception {
        assertThatThrownBy(() -> load(config("{'source': 'a'}"))).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly("templates: expected a list, got an object"));
        assertThatThrownBy(() -> load(config("[]"))).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly("templates: expected at least one template"));
        Files.writeString(dir.resolve("a.mustache"), "x\n");
        assertThatThrownBy(() -> load(config("[{'source': 'a.mustache', 'destination': '" + dir + "/o.conf'},"
                + " {'source': 'a.mustache', 'destination': '" + dir + "/sub/../o.conf'}]")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "templates[1].destination: " + dir + "/sub/../o.conf is also written by templates[0]"));
    }

    @Test
    void checkCompilesEveryTemplateAndWritesNothing() throws Exception {
        Files.writeString(dir.resolve("up.mustache"), "{{#services}}\nupstream {{name}} {\n{{#servers}}{{/servers}}\n}\n{{/services}}\n");
        Path file = TestConfigs.write(dir, config("[{'source': 'up.mustache', 'destination': '" + dir.resolve("up.conf") + "'}]"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SynapseMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute("--config", file.toString(), "--check")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("synapse: invalid configuration " + file + ":\n"
                + "  templates[0].source: " + dir.resolve("up.mustache") + ":3: unknown section \"servers\"; known here: name,"
                + " haproxy_port, backends, has_backends, backend_count, first, last, services\n");

        Files.writeString(dir.resolve("up.mustache"), "{{#services}}\nupstream {{name}} {\n{{#backends}}{{/backends}}\n}\n{{/services}}\n");
        assertThat(cli.execute("--config", file.toString(), "--check")).isZero();
        assertThat(out.toString()).isEqualTo("configuration OK: 2 service(s), generators templates\n");
        assertThat(dir.resolve("up.conf")).doesNotExist();
    }
}
