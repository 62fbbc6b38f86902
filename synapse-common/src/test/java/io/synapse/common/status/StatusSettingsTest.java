package io.synapse.common.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.config.JsonFields;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatusSettingsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static StatusSettings parse(String json, ConfigProblems problems) throws Exception {
        return StatusSettings.parse(JsonFields.of(JSON.readTree(json), problems.at("status")));
    }

    @Test
    void loopbackUnlessAnAddressIsConfigured() throws Exception {
        ConfigProblems problems = new ConfigProblems();
        StatusSettings s = parse("{\"port\": 9090}", problems);
        assertThat(problems.messages()).isEmpty();
        assertThat(s).isEqualTo(new StatusSettings("127.0.0.1", 9090));
        assertThat(s.socketAddress().getAddress().isLoopbackAddress()).isTrue();
        assertThat(parse("{\"port\": \"9091\", \"bind_address\": \"0.0.0.0\"}", problems)).isEqualTo(new StatusSettings("0.0.0.0", 9091));
        assertThat(parse("{\"port\": 9090, \"bind_address\": \"localhost\"}", problems).bindAddress()).isEqualTo("127.0.0.1");
        assertThat(parse("{\"port\": 9090, \"bind_address\": \"::1\"}", problems).describe()).isEqualTo("[::1]:9090");
        assertThat(problems.messages()).isEmpty();
    }

    @Test
    void aBadBindAddressIsAProblemAtItsPath() throws Exception {
        ConfigProblems problems = new ConfigProblems();
        assertThat(parse("{\"port\": 9090, \"bind_address\": \"status.example.com\"}", problems)).isNull();
        assertThat(parse("{\"port\": 9090, \"bind_address\": \"127.0.0.256\"}", problems)).isNull();
        assertThat(parse("{\"port\": 9090, \"bind_address\": \"127.1\"}", problems)).isNull();
        assertThat(parse("{\"port\": 9090, \"bind_address\": \"::g\"}", problems)).isNull();
        assertThat(problems.messages()).containsExactly(
                "status.bind_address: expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, or ::1 / ::) "
                        + "or \"localhost\", got \"status.example.com\"",
                "status.bind_address: expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, or ::1 / ::) "
                        + "or \"localhost\", got \"127.0.0.256\"",
                "status.bind_address: expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, or ::1 / ::) "
                        + "or \"localhost\", got \"127.1\"",
                "status.bind_address: expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, or ::1 / ::) "
                        + "or \"localhost\", got \"::g\"");
    }

    @Test
    void everyProblemOfTheSectionAtOnce() throws Exception {
        ConfigProblems problems = new ConfigProblems();
        assertThat(parse("{\"bind_adress\": \"127.0.0.1\"}", problems)).isNull();
        assertThat(parse("{\"port\": 70000}", problems)).isNull();
        assertThat(parse("\"9090\"", problems)).isNull();
        assertThat(problems.messages()).containsExactly(
                "status.bind_adress: unknown key (did you mean \"bind_address\"?)",
                "status.port: is required (the TCP port of /metrics, /status, /healthz and the status page)",
                "status.port: expected an integer 1-65535, got 70000",
                "status: expected an object, got \"9090\"",
                "status.port: is required (the TCP port of /metrics, /status, /healthz and the status page)");
    }

    @Test
    void commandLineAddress() {
        ConfigProblems problems = new ConfigProblems();
        assertThat(StatusSettings.parseAddress("127.0.0.1:9090", "--status-address", problems)).isEqualTo(new StatusSettings("127.0.0.1", 9090));
        assertThat(StatusSettings.parseAddress(":9090", "--status-address", problems)).isEqualTo(new StatusSettings("127.0.0.1", 9090));
        assertThat(StatusSettings.parseAddress("[::1]:9090", "--status-address", problems)).isEqualTo(new StatusSettings("::1", 9090));
        assertThat(StatusSettings.parseAddress("localhost:1", "--status-address", problems)).isEqualTo(new StatusSettings("127.0.0.1", 1));
        assertThat(problems.messages()).isEmpty();
        assertThat(StatusSettings.parseAddress("9090", "--status-address", problems)).isNull();
        assertThat(StatusSettings.parseAddress("127.0.0.1:http", "--status-address", problems)).isNull();
        assertThat(StatusSettings.parseAddress("status.example.com:9090", "--status-address", problems)).isNull();
        assertThat(problems.messages()).containsExactly(
                "--status-address: expected ADDRESS:PORT like 127.0.0.1:9090 or [::1]:9090, got \"9090\"",
                "--status-address: expected a port 1-65535 after the address, got \"127.0.0.1:http\"",
                "--status-address: expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, or ::1 / ::) "
                        + "or \"localhost\", got \"status.example.com\"");
    }

    @Test
    void theRecordRefusesWhatTheParserRefuses() {
        assertThatThrownBy(() -> new StatusSettings("example.com", 80)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StatusSettings("127.0.0.1", 65536)).isInstanceOf(IllegalArgumentException.class);
    }
}
