package io.synapse.etcd;

import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecoderTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void nerveUsesTheSharedCodecAndTheCreateRevisionAsId() {
        NerveRegistration registration = new NerveRegistration("10.0.0.5", 8080, "i-1", 10, "backup", Map.of("az", "a"), 7);
        Backend backend = Decoder.nerve().decode("/svc/i-1", registration.toJson(), 42);
        assertThat(backend).isEqualTo(new Backend("i-1", "10.0.0.5", 8080, 10, "backup", Map.of("az", "a"), 42L, 7));
        assertThatThrownBy(() -> Decoder.nerve().decode("/svc/x", utf8("{\"host\": \"10.0.0.5\"}"), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("missing \"port\"");
    }

    @Test
    void jsonReadsTheConfiguredFields() {
        Decoder decoder = Decoder.json("IP", "EXT_PORT", "ID", null);
        Backend backend = decoder.decode("/web/0ce60d000eac",
                utf8("{\"ID\": \"0ce60d000eac\", \"SERVICE\": \"web\", \"IP\": \"10.250.136.243\", \"EXT_PORT\": \"49178\"}"), 3);
        assertThat(backend).isEqualTo(new Backend("0ce60d000eac", "10.250.136.243", 49178, null, null, Map.of(), 3L, null));

        Decoder weighted = Decoder.json("host", "port", null, "w");
        assertThat(weighted.decode("/k", utf8("{\"host\": \"db.internal\", \"port\": 5432, \"w\": \"7\", \"name\": \"ignored\"}"), 1))
                .isEqualTo(new Backend(null, "db.internal", 5432, 7, null, Map.of(), 1L, null));
        assertThat(weighted.decode("/k", utf8("{\"host\": \"db.internal\", \"port\": 5432}"), 1).weight()).isNull();
    }

    @Test
    void jsonRejectsMissingOrBadFields() {
        Decoder decoder = Decoder.json("IP", "EXT_PORT", "ID", "W");
        assertThatThrownBy(() -> decoder.decode("/k", utf8("nope"), 1)).hasMessage("not valid JSON");
        assertThatThrownBy(() -> decoder.decode("/k", utf8("[1]"), 1)).hasMessage("expected a JSON object");
        assertThatThrownBy(() -> decoder.decode("/k", utf8("{\"EXT_PORT\": 80}"), 1)).hasMessage("missing string \"IP\"");
        assertThatThrownBy(() -> decoder.decode("/k", utf8("{\"IP\": \"10.0.0.1\"}"), 1)).hasMessage("missing \"EXT_PORT\"");
        assertThatThrownBy(() -> decoder.decode("/k", utf8("{\"IP\": \"10.0.0.1\", \"EXT_PORT\": \"80a\"}"), 1))
                .hasMessage("\"EXT_PORT\" is not an integer: \"\\\"80a\\\"\"");
        assertThatThrownBy(() -> decoder.decode("/k", utf8("{\"IP\": \"10.0.0.1\", \"EXT_PORT\": 70000}"), 1))
                .hasMessage("port 70000: expected an integer 1-65535");
        assertThatThrownBy(() -> decoder.decode("/k", utf8("{\"IP\": \"10.0.0.1\", \"EXT_PORT\": 80, \"ID\": \"a b\"}"), 1))
                .hasMessage("name \"a b\": only letters, digits and . _ - : are allowed");
        assertThatThrownBy(() -> decoder.decode("/k", utf8("{\"IP\": \"10.0.0.1\", \"EXT_PORT\": 80, \"W\": 999}"), 1))
                .hasMessage("weight 999: expected an integer 0-256");
    }

    @Test
    void keyReadsHostAndPortFromTheLastSegment() {
        Decoder key = Decoder.key();
        assertThat(key.decode("/service_dis/192.168.1.4:9001", utf8("ok"), 5))
                .isEqualTo(new Backend(null, "192.168.1.4", 9001, null, null, Map.of(), 5L, null));
        assertThat(key.decode("/service_dis/[::1]:80", utf8(""), 5).host()).isEqualTo("::1");
        assertThat(key.decode("/service_dis/[2001:db8::7]:443", utf8(""), 5).address()).isEqualTo("[2001:db8::7]:443");
        assertThat(key.decode("/a/b/web-1.example.com:8080", utf8("ignored"), 5).address()).isEqualTo("web-1.example.com:8080");
    }

    @Test
    void keyRejectsSegmentsThatAreNotHostAndPort() {
        Decoder key = Decoder.key();
        assertThatThrownBy(() -> key.decode("/dis/192.168.1.4", utf8(""), 1))
                .hasMessage("last key segment \"192.168.1.4\": expected host:port or [ipv6]:port");
        assertThatThrownBy(() -> key.decode("/dis/::1:80", utf8(""), 1))
                .hasMessage("last key segment \"::1:80\": expected host:port or [ipv6]:port");
        assertThatThrownBy(() -> key.decode("/dis/[::1]80", utf8(""), 1))
                .hasMessage("last key segment \"[::1]80\": expected host:port or [ipv6]:port");
        assertThatThrownBy(() -> key.decode("/dis/10.0.0.1:http", utf8(""), 1))
                .hasMessage("last key segment \"10.0.0.1:http\": port \"http\" is not an integer 1-65535");
        assertThatThrownBy(() -> key.decode("/dis/10.0.0.1:0", utf8(""), 1)).hasMessage("port 0: expected an integer 1-65535");
        assertThatThrownBy(() -> key.decode("/dis/bad host:80", utf8(""), 1))
                .hasMessage("host \"bad host\": expected an IP address or a DNS name");
        assertThatThrownBy(() -> key.decode("/dis/", utf8(""), 1))
                .hasMessage("last key segment \"\": expected host:port or [ipv6]:port");
    }
}
