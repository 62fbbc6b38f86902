package io.synapse.templates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.Backend;
import io.synapse.spi.GeneratorContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.synapse.templates.Templates.state;
import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class TemplatesGeneratorTest {
    @TempDir
    Path dir;

    /** A generator for services api, web and db from the given entries. */
    private TemplatesGenerator generator(ObjectNode... entries) throws Exception {
        if (!Files.exists(dir.resolve("up.mustache"))) {
            Files.writeString(dir.resolve("up.mustache"), TemplateTest.UPSTREAMS);
        }
        ArrayNode list = JsonNodeFactory.instance.arrayNode();
        for (ObjectNode e : entries) {
            list.add(e);
        }
        Map<String, JsonNode> sections = new LinkedHashMap<>();
        for (String s : List.of("api", "web", "db")) {
            sections.put(s, JsonNodeFactory.instance.objectNode());
        }
        ConfigProblems problems = new ConfigProblems();
        TemplatesGenerator g = (TemplatesGenerator) new TemplatesGeneratorFactory()
                .create(new GeneratorContext(list, sections, dir), problems);
        assertThat(problems.messages()).isEmpty();
        return g;
    }

    private ObjectNode entry(String destination) {
        ObjectNode e = json("{'source': 'up.mustache'}");
        e.put("destination", dir.resolve(destination).toString());
        return e;
    }

    private static Map<String, List<Backend>> backends(String... apiHosts) {
        Map<String, List<Backend>> m = new LinkedHashMap<>();
        List<Backend> api = new ArrayList<>();
        for (String h : apiHosts) {
            api.add(Backend.of(h, 8080));
        }
        m.put("api", api);
        m.put("web", List.of(Backend.of("10.0.1.1", 80)));
        return m;
    }

    @Test
    void writesAtomicallyOnlyWhenTheContentChanged() throws Exception {
        TemplatesGenerator g = generator(entry("up.conf"));
        TemplateOutput out = g.outputs().get(0);
        g.update(state(backends("10.0.0.1")));
        Path file = dir.resolve("up.conf");
        assertThat(Files.readString(file)).contains("upstream api {\n    server 10.0.0.1:8080;\n}\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
        Object inode = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        // the same backends again, and a change that renders the same: nothing written
        g.update(state(backends("10.0.0.1")));
        g.update(state(backends("10.0.0.1"), Set.of("api", "web")));
        assertThat(out.writes()).isEqualTo(1);
        assertThat(Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(inode);

        g.update(state(backends("10.0.0.1", "10.0.0.2"), Set.of("api")));
        assertThat(out.writes()).isEqualTo(2);
        assertThat(Files.readString(file)).contains("    server 10.0.0.1:8080;\n    server 10.0.0.2:8080;\n");
        assertThat(dir.resolve("up.conf.candidate")).doesNotExist();
        g.close();

        // a restart that renders what is on disk writes nothing
        TemplatesGenerator again = generator(entry("up.conf"));
        again.update(state(backends("10.0.0.1", "10.0.0.2")));
        assertThat(again.outputs().get(0).writes()).isZero();
        again.close();
    }

    @Test
    void fileModeServicesAndHaproxyPorts() throws Exception {
        Files.writeString(dir.resolve("ports.mustache"), "{{#services}}{{name}} {{haproxy_port}}\n{{/services}}");
        ObjectNode e = json("{'source': 'ports.mustache', 'file_mode': '600', 'services': ['web', 'db']}");
        e.put("destination", dir.resolve("ports.txt").toString());
        TemplatesGenerator g = generator(e);
        Map<String, List<Backend>> m = new LinkedHashMap<>(backends("10.0.0.1"));
        m.put("db", List.of());
        // the port is read from each service's haproxy section as the engine hands it over (file, catalog or registry)
        g.update(Templates.state(m, Map.of("db", json("{'port': '3306'}"), "web", json("{'port': 8080}"))));
        // engine order (api, web, db), filtered
        assertThat(Files.readString(dir.resolve("ports.txt"))).isEqualTo("web 8080\ndb 3306\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ports.txt")))).isEqualTo("rw-------");
        g.close();
    }

    @Test
    void aCandidateThatFailsItsCheckIsNeverInstalledAndIsRetried() throws Exception {
        ObjectNode e = entry("up.conf");
        // the check refuses any server on 10.0.0.66, printing the offending line like nginx -t would
        e.put("check_command", "! grep -n 10.0.0.66 %{path}");
        TemplatesGenerator g = generator(e);
        g.update(state(backends("10.0.0.1")));
        String installed = Files.readString(dir.resolve("up.conf"));

        assertThatThrownBy(() -> g.update(state(backends("10.0.0.1", "10.0.0.66"), Set.of("api"))))
                .hasMessage("templates[0]: check_command rejected the candidate (exit 1): 4:    server 10.0.0.66:8080;; "
                        + dir.resolve("up.conf") + " was left as it was (the candidate is " + dir.resolve("up.conf.candidate") + ")");
        assertThat(Files.readString(dir.resolve("up.conf"))).isEqualTo(installed);
        assertThat(dir.resolve("up.conf.candidate")).exists();
        // the engine's retry (nothing changed since) checks it again, and fails again
        assertThatThrownBy(() -> g.update(state(backends("10.0.0.1", "10.0.0.66"), Set.of("api"))))
                .hasMessageStartingWith("templates[0]: check_command rejected the candidate (exit 1)");
        assertThat(Files.readString(dir.resolve("up.conf"))).isEqualTo(installed);

        // the next change passes and is installed
        g.update(state(backends("10.0.0.1", "10.0.0.3"), Set.of("api")));
        assertThat(Files.readString(dir.resolve("up.conf"))).contains("server 10.0.0.3:8080;").doesNotContain("10.0.0.66");
        assertThat(dir.resolve("up.conf.candidate")).doesNotExist();
        g.close();
    }

    @Test
    void oneEntryFailingDoesNotStopTheOthers() throws Exception {
        ObjectNode bad = entry("bad.conf");
        bad.put("check_command", "echo refused; exit 3");
        TemplatesGenerator g = generator(bad, entry("good.conf"));
        assertThatThrownBy(() -> g.update(state(backends("10.0.0.1"))))
                .hasMessageStartingWith("templates[0]: check_command rejected the candidate (exit 3): refused; ");
        assertThat(dir.resolve("bad.conf")).doesNotExist();
        assertThat(Files.readString(dir.resolve("good.conf"))).contains("server 10.0.0.1:8080;");
        g.close();
    }

    @Test
    void reloadsAreRateLimitedCoalescedAndAFailingReloadIsRetried() throws Exception {
        Path log = dir.resolve("reloads.log");
        Path fail = dir.resolve("fail");
        ObjectNode e = entry("up.conf");
        // fails while the file "fail" exists, else appends the time it ran (ms)
        e.put("reload_command", "test ! -e " + fail + " && echo $(($(date +%s%N) / 1000000)) >> " + log);
        e.put("restart_interval", 1.0);
        TemplatesGenerator g = generator(e);
        Files.createFile(fail);
        g.update(state(backends("10.0.0.1")));
        for (int i = 2; i <= 10; i++) {
            g.update(state(backends("10.0.0." + i), Set.of("api")));
        }
        assertThat(g.outputs().get(0).writes()).isEqualTo(10);
        assertThat(log).doesNotExist();
        Files.delete(fail);
        // the failed reload is retried; the ten writes became one or two reloads (two when a write
        // arrived while a reload ran: that reload may not have seen it), at least an interval apart
        await().until(() -> Files.exists(log));
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(log).size() <= 2);
        g.update(state(backends("10.0.0.99"), Set.of("api")));
        int before = Files.readAllLines(log).size();
        await().until(() -> Files.readAllLines(log).size() == before + 1);
        List<Long> times = Files.readAllLines(log).stream().map(Long::parseLong).toList();
        for (int i = 1; i < times.size(); i++) {
            assertThat(times.get(i) - times.get(i - 1)).as("reload %d after %d", i, i - 1).isGreaterThanOrEqualTo(800);
        }
        assertThat(g.outputs().get(0).reloads()).isEqualTo(times.size());
        g.close();
    }

    @Test
    void incrementalRenderingEqualsAFullRender() throws Exception {
        // the upstreams (per service) and a JSON list with separators (depends on which service is last)
        Files.writeString(dir.resolve("sd.mustache"), "[\n{{#services}}\n  {\"targets\": [{{#backends}}\"{{address}}\"{{^last}}, {{/last}}"
                + "{{/backends}}], \"labels\": {\"service\": \"{{name}}\"}}{{^last}},{{/last}}\n{{/services}}\n]\n");
        Random random = new Random(42);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            names.add("s" + i);
        }
        Map<String, List<Backend>> current = new LinkedHashMap<>();
        for (String n : names) {
            current.put(n, List.of(Backend.of("10.0.0.1", 1000)));
        }
        ObjectNode sd = json("{'source': 'sd.mustache'}");
        sd.put("destination", dir.resolve("sd.json").toString());
        TemplatesGenerator incremental = generator(entry("up.conf"), sd);
        incremental.update(state(current));
        Template upstreams = Templates.compile(TemplateTest.UPSTREAMS, Template.Escape.NONE);
        Template fileSd = Templates.compile(Files.readString(dir.resolve("sd.mustache")), Template.Escape.JSON);
        for (int round = 0; round < 100; round++) {
            Set<String> changed = new HashSet<>();
            int changes = 1 + random.nextInt(3);
            for (int c = 0; c < changes; c++) {
                String n = names.get(random.nextInt(names.size()));
                changed.add(n);
                if (random.nextInt(10) == 0 && current.containsKey(n)) {
                    current.remove(n); // a service goes (first/last move)
                    continue;
                }
                List<Backend> list = new ArrayList<>();
                for (int b = random.nextInt(4); b > 0; b--) {
                    list.add(Backend.of("10.0." + random.nextInt(3) + "." + random.nextInt(3), 1000 + random.nextInt(3)));
                }
                current.put(n, list.stream().distinct().toList());
            }
            Map<String, List<Backend>> ordered = new LinkedHashMap<>();
            names.stream().filter(current::containsKey).forEach(n -> ordered.put(n, current.get(n)));
            incremental.update(state(ordered, changed));

            // the reference: every service rendered from scratch
            List<Model.Service> all = Templates.services(ordered, Map.of());
            assertThat(Files.readString(dir.resolve("up.conf"))).as("round %d", round)
                    .isEqualTo(Templates.render(upstreams, all));
            assertThat(Files.readString(dir.resolve("sd.json"))).as("round %d", round)
                    .isEqualTo(Templates.render(fileSd, all));
            com.fasterxml.jackson.databind.JsonNode parsed = io.synapse.testing.TestConfigs.MAPPER.readTree(dir.resolve("sd.json").toFile());
            assertThat(parsed.size()).isEqualTo(ordered.size());
        }
        incremental.close();
    }
}
