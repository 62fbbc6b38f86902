package io.synapse.spi;

import io.synapse.common.registry.NerveRegistration;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackendValidationTest {
    @Test
    void hosts() {
        assertThat(Backend.of("10.0.0.1", 80).host()).isEqualTo("10.0.0.1");
        assertThat(Backend.of("::1", 80).address()).isEqualTo("[::1]:80");
        assertThat(Backend.of("2001:db8::8a2e:370:7334", 80).host()).isEqualTo("2001:db8::8a2e:370:7334");
        assertThat(Backend.of("ip-10-0-0-1.ec2.internal", 80).host()).isEqualTo("ip-10-0-0-1.ec2.internal");
        assertThatThrownBy(() -> Backend.of("10.0.0.1\n\tserver evil 6.6.6.6:80", 80))
                .hasMessage("host \"10.0.0.1\\u000a\\u0009server evil 6.6.6.6:80\": expected an IP address or a DNS name");
        assertThatThrownBy(() -> Backend.of("300.1.1.1", 80)).hasMessage("host \"300.1.1.1\": expected an IP address or a DNS name");
        assertThatThrownBy(() -> Backend.of("a..b", 80)).hasMessage("host \"a..b\": expected an IP address or a DNS name");
        assertThatThrownBy(() -> Backend.of("1::2::3", 80)).hasMessage("host \"1::2::3\": expected an IP address or a DNS name");
        assertThatThrownBy(() -> Backend.of("", 80)).hasMessage("host: must not be empty");
    }

    @Test
    void portsWeightsNames() {
        assertThatThrownBy(() -> Backend.of("10.0.0.1", 0)).hasMessage("port 0: expected an integer 1-65535");
        assertThatThrownBy(() -> Backend.of("10.0.0.1", 65536)).hasMessage("port 65536: expected an integer 1-65535");
        assertThatThrownBy(() -> Backend.builder("10.0.0.1", 80).weight(-1).build()).hasMessage("weight -1: expected an integer 0-256");
        assertThatThrownBy(() -> Backend.of("a b", "10.0.0.1", 80))
                .hasMessage("name \"a b\": only letters, digits and . _ - : are allowed");
        assertThatThrownBy(() -> Backend.of("x".repeat(300), "10.0.0.1", 80)).hasMessageEndingWith(": longer than 200 characters");
    }

    @Test
    void serverOptions() {
        assertThat(Backend.builder("10.0.0.1", 80).haproxyServerOptions("check inter 2s weight 10 backup").build()
                .haproxyServerOptions()).isEqualTo("check inter 2s weight 10 backup");
        assertThatThrownBy(() -> Backend.builder("10.0.0.1", 80).haproxyServerOptions("backup\nbind :1").build())
                .hasMessage("haproxy_server_options \"backup\\u000abind :1\": control or non-ASCII characters are not allowed");
        assertThatThrownBy(() -> Backend.builder("10.0.0.1", 80).haproxyServerOptions("check # x").build())
                .hasMessage("haproxy_server_options \"check # x\": the characters # \" ' \\ are not allowed");
        assertThatThrownBy(() -> Backend.builder("10.0.0.1", 80).haproxyServerOptions("check frobnicate").build())
                .hasMessage("haproxy_server_options \"check frobnicate\": unknown server keyword \"frobnicate\"");
        assertThatThrownBy(() -> Backend.builder("10.0.0.1", 80).haproxyServerOptions("check weight").build())
                .hasMessage("haproxy_server_options \"check weight\": keyword \"weight\" needs a value");
        assertThatThrownBy(() -> Backend.builder("10.0.0.1", 80).haproxyServerOptions("maxconn lots").build())
                .hasMessage("haproxy_server_options \"maxconn lots\": keyword \"maxconn\" needs a number, got \"lots\"");
    }

    @Test
    void labels() {
        assertThat(Backend.builder("10.0.0.1", 80).labels(Map.of("az", "us-east-1a")).build().labels()).containsEntry("az", "us-east-1a");
        assertThatThrownBy(() -> Backend.builder("10.0.0.1", 80).labels(Map.of("az", "a\u0000")).build())
                .hasMessage("label \"az\" value \"a\\u0000\": expected at most 256 characters without control characters");
    }

    @Test
    void nerveCodecRoundTrip() {
        NerveRegistration r = new NerveRegistration("10.0.0.5", 8080, "i-1", 10, "backup", Map.of("az", "a"), null);
        byte[] json = r.toJson();
        assertThat(new String(json)).isEqualTo(
                "{\"host\":\"10.0.0.5\",\"port\":8080,\"name\":\"i-1\",\"weight\":10,\"haproxy_server_options\":\"backup\",\"labels\":{\"az\":\"a\"}}");
        assertThat(Backend.decode(json, 42L)).isEqualTo(
                Backend.builder("10.0.0.5", 8080).name("i-1").weight(10).haproxyServerOptions("backup").labels(Map.of("az", "a")).id(42L).build());
        String child = NerveRegistration.pathEncodedPrefix(json) + "0000000042";
        assertThat(NerveRegistration.decodePathEncoded(child)).hasValueSatisfying(b -> assertThat(b).isEqualTo(json));
        assertThat(NerveRegistration.sequenceOf(child)).isEqualTo(42L);
        assertThat(NerveRegistration.sequenceOf("i-1_0000000007")).isEqualTo(7L);
        assertThat(NerveRegistration.sequenceOf("plain")).isNull();
        assertThatThrownBy(() -> NerveRegistration.parse("{\"port\": 1}".getBytes())).hasMessage("missing string \"host\"");
        assertThatThrownBy(() -> NerveRegistration.parse("{\"host\": \"a\", \"port\": \"x\"}".getBytes()))
                .hasMessage("\"port\" is not an integer: \"\\\"x\\\"\"");
        assertThatThrownBy(() -> NerveRegistration.parse("nope".getBytes())).hasMessage("not valid JSON");
    }
}
