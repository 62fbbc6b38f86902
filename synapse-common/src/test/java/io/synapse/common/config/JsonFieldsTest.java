package io.synapse.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class JsonFieldsTest {
    private static JsonFields read(String json, Map<String, String> env, ConfigProblems problems) throws Exception {
        JsonNode node = new ObjectMapper().readTree(json);
        EnvSubstitution.apply(node, env::get, problems);
        return JsonFields.of(node, problems);
    }

    @Test
    void stringsFromTheEnvironmentReadAsIntegersNumbersAndBooleans() throws Exception {
        ConfigProblems problems = new ConfigProblems().at("x");
        JsonFields f = read("""
                {"port": "${PORT}", "on": "${ON}", "off": "false", "every": "${EVERY}", "rate": "2.5",
                 "yes": "yes", "one": 1, "hosts": "a:1, b:2", "list": ["a", "${MISSING}", 3]}""",
                Map.of("PORT", "8080", "ON", "true", "EVERY", "0.25"), problems);
        assertThat(f.port("port")).isEqualTo(8080);
        assertThat(f.bool("on", false)).isTrue();
        assertThat(f.bool("off", true)).isFalse();
        assertThat(f.duration("every", Duration.ofMillis(1), Duration.ofDays(1), null)).isEqualTo(Duration.ofMillis(250));
        assertThat(f.positiveNumber("rate", null)).isEqualTo(2.5);
        assertThat(f.bool("yes", true)).isTrue();
        assertThat(f.bool("one", false)).isFalse();
        assertThat(f.strings("hosts", true)).containsExactly("a:1", "b:2");
        assertThat(f.strings("list", false)).containsExactly("a");
        assertThat(problems.messages()).containsExactly(
                "x.list[1]: environment variable MISSING is not set (use ${MISSING:-default} for a default)",
                "x.yes: expected true or false, got \"yes\"",
                "x.one: expected true or false, got 1",
                "x.list[2]: expected a string, got 3");
    }

    @Test
    void anUnsetVariableIsReportedOnceAndItsKeyReadsAsAbsent() throws Exception {
        ConfigProblems problems = new ConfigProblems();
        JsonFields f = read("{\"port\": \"${PORT}\", \"host\": \"${HOST}\", \"labels\": {\"az\": \"${AZ}\"}}", Map.of(), problems);
        assertThat(f.port("port")).isNull();
        assertThat(f.host("host", "fallback")).isEqualTo("fallback");
        assertThat(f.requiredString("host")).isNull();
        assertThat(f.hasValue("port")).isTrue();
        assertThat(f.stringMap("labels")).isEmpty();
        assertThat(problems.messages()).containsExactly(
                "port: environment variable PORT is not set (use ${PORT:-default} for a default)",
                "host: environment variable HOST is not set (use ${HOST:-default} for a default)",
                "labels.az: environment variable AZ is not set (use ${AZ:-default} for a default)");
    }

    @Test
    void typedReadsSayWhatWasExpected() throws Exception {
        ConfigProblems problems = new ConfigProblems();
        JsonFields f = read("""
                {"type": "ephemerl", "host": "bad host", "rise": 0, "id": -1, "every": 0, "rate": 0, "map": [1],
                 "labels": {"a": 1, "b": true, "c": {}}, "list": {}, "path": "", "prot": 1}""", Map.of(), problems);
        f.rejectUnknown(List.of("type", "host", "rise", "id", "every", "rate", "map", "labels", "list", "path", "port"));
        assertThat(f.choice("type", List.of("ephemeral", "persistent"), "persistent")).isEqualTo("persistent");
        assertThat(f.host("host", null)).isNull();
        assertThat(f.integer("rise", 1, Integer.MAX_VALUE, 1L)).isEqualTo(1L);
        assertThat(f.integer("id", 0, Long.MAX_VALUE, null)).isNull();
        assertThat(f.duration("every", Duration.ofMillis(1), Duration.ofDays(1), Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
        assertThat(f.positiveNumber("rate", 1.0)).isEqualTo(1.0);
        assertThat(f.stringMap("map")).isNull();
        assertThat(f.stringMap("labels")).containsExactly(Map.entry("a", "1"), Map.entry("b", "true"));
        assertThat(f.strings("list", false)).isNull();
        assertThat(f.path("path")).isNull();
        assertThat(problems.messages()).containsExactly(
                "prot: unknown key (did you mean \"port\"?)",
                "type: expected one of ephemeral, persistent, got \"ephemerl\" (did you mean \"ephemeral\"?)",
                "host: expected an IP address or a DNS name, got \"bad host\"",
                "rise: expected an integer >= 1, got 0",
                "id: expected an integer >= 0, got -1",
                "every: expected a number of seconds (0.001-86400), got 0",
                "rate: expected a positive number, got 0",
                "map: expected an object of names to strings, got a list",
                "labels.c: expected a string, number or boolean, got an object",
                "list: expected a list of strings, got an object",
                "path: must not be empty");
    }

    @Test
    void keysThatDependOnAKindNameIt() throws Exception {
        ConfigProblems problems = new ConfigProblems().at("checks[0]");
        read("{\"type\": \"tcp\", \"uri\": \"/\", \"prot\": 1}", Map.of(), problems)
                .rejectUnknown(List.of("type", "port"), "check type \"tcp\"");
        assertThat(problems.messages()).containsExactly(
                "checks[0].uri: unknown key for check type \"tcp\"; known keys: type, port",
                "checks[0].prot: unknown key for check type \"tcp\" (did you mean \"port\"?); known keys: type, port");
    }

    @Test
    void configFilesNameTheFileAndThePlace(@TempDir Path dir) throws Exception {
        ConfigProblems problems = new ConfigProblems();
        Path json = Files.writeString(dir.resolve("a.json"), "{\"a\": 1,\n \"b\": }");
        Path dup = Files.writeString(dir.resolve("b.json"), "{\"a\": 1, \"a\": 2}");
        Path yaml = Files.writeString(dir.resolve("c.yaml"), "a: [1\n");
        Path empty = Files.writeString(dir.resolve("d.yml"), "");
        Path good = Files.writeString(dir.resolve("e.yml"), "a: 1\n");
        assertThat(ConfigFiles.read(json, problems)).isNull();
        assertThat(ConfigFiles.read(dup, problems)).isNull();
        assertThat(ConfigFiles.read(yaml, problems)).isNull();
        assertThat(ConfigFiles.read(empty, problems)).isNull();
        assertThat(ConfigFiles.read(dir.resolve("missing.json"), problems)).isNull();
        assertThat(ConfigFiles.read(good, problems).get("a").asInt()).isEqualTo(1);
        assertThat(problems.messages()).hasSize(5);
        assertThat(problems.messages().get(0)).startsWith(json + ": not valid JSON (line 2, column 7): Unexpected character ('}'");
        assertThat(problems.messages().get(1)).startsWith(dup + ": not valid JSON (line 1, column 13): Duplicate field 'a'");
        assertThat(problems.messages().get(2)).isEqualTo(yaml + ": not valid YAML (line 1, column 6): while parsing a flow sequence");
        assertThat(problems.messages().subList(3, 5)).containsExactly(empty + ": the file is empty",
                dir.resolve("missing.json") + ": no such file");
    }
}
