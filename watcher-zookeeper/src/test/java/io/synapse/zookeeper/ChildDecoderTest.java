package io.synapse.zookeeper;

import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.synapse.zookeeper.Zk.json;
import static org.assertj.core.api.Assertions.assertThat;

class ChildDecoderTest {
    private static final String SERVERSET = """
            {"serviceEndpoint": {"host": "10.0.0.7", "port": 31943},
             "additionalEndpoints": {"http": {"host": "10.0.0.7", "port": 8080}, "admin": {"host": "10.0.0.7", "port": 9990}},
             "status": "ALIVE", "shard": 3}
            """;

    @Test
    void decodesNerveJsonWithTheSequenceAsId() {
        ChildDecoder.Decoded d = ChildDecoder.nerve().decode("i-1_0000000042",
                json("{\"host\": \"10.0.0.5\", \"port\": 8080, \"name\": \"i-1\", \"weight\": 10, "
                        + "\"haproxy_server_options\": \"backup\", \"labels\": {\"az\": \"a\"}, \"extra\": true}"));
        assertThat(d.backend()).isEqualTo(new Backend("i-1", "10.0.0.5", 8080, 10, "backup", Map.of("az", "a"), 42L, null));
    }

    @Test
    void reportsWhyNerveDataIsBroken() {
        assertThat(ChildDecoder.nerve().decode("x_0000000001", json("{\"host\": \"10.0.0.5\"}")))
                .isEqualTo(ChildDecoder.Decoded.broken("missing \"port\""));
        assertThat(ChildDecoder.nerve().decode("x", json("not json")).problem()).isEqualTo("not valid JSON");
        assertThat(ChildDecoder.nerve().decode("x", null).broken()).isTrue();
        assertThat(ChildDecoder.nerve().decode("x", json("{\"host\": \"10.0.0.5\\nbind :80\", \"port\": 80}")).problem())
                .isEqualTo("host \"10.0.0.5\\u000abind :80\": expected an IP address or a DNS name");
    }

    @Test
    void decodesPathEncodedNamesWithoutData() {
        byte[] registration = NerveRegistration.of("10.0.0.9", 3000, "i-9").toJson();
        String name = NerveRegistration.pathEncodedPrefix(registration) + "0000000005";
        assertThat(ChildDecoder.nerve().fromName(name))
                .contains(new Backend("i-9", "10.0.0.9", 3000, null, null, Map.of(), 5L, null));
        assertThat(ChildDecoder.nerve().fromName("i-9_0000000005")).isEmpty();
        assertThat(ChildDecoder.nerve().fromName("base64_8_bm90IGpzb24=_0000000001")).isEmpty(); // "not json"
        assertThat(ChildDecoder.serverset(null).fromName(name)).isEmpty();
    }

    @Test
    void decodesServersetMembers() {
        assertThat(ChildDecoder.serverset(null).decode("member_0000000011", json(SERVERSET)).backend())
                .isEqualTo(Backend.builder("10.0.0.7", 31943).name("3").id(11L).build());
        assertThat(ChildDecoder.serverset("http").decode("member_0000000011", json(SERVERSET)).backend())
                .isEqualTo(Backend.builder("10.0.0.7", 8080).name("3").id(11L).build());
        assertThat(ChildDecoder.serverset(null).decode("member_1",
                json("{\"serviceEndpoint\": {\"host\": \"h.example\", \"port\": \"80\"}}")).backend())
                .isEqualTo(Backend.builder("h.example", 80).id(1L).build());
    }

    @Test
    void skipsServersetMembersThatAreNotAlive() {
        ChildDecoder.Decoded d = ChildDecoder.serverset(null).decode("member_1", json(SERVERSET.replace("ALIVE", "STOPPING")));
        assertThat(d).isEqualTo(ChildDecoder.Decoded.notServing("status \"STOPPING\", not ALIVE"));
    }

    @Test
    void reportsWhyAServersetMemberIsBroken() {
        assertThat(ChildDecoder.serverset("thrift").decode("m", json(SERVERSET)).problem())
                .isEqualTo("no additionalEndpoints entry \"thrift\"");
        assertThat(ChildDecoder.serverset(null).decode("m", json("{\"status\": \"ALIVE\"}")).problem())
                .isEqualTo("missing object \"serviceEndpoint\"");
        assertThat(ChildDecoder.serverset(null).decode("m", json("{\"serviceEndpoint\": {\"host\": \"h\", \"port\": 1.5}}")).problem())
                .isEqualTo("\"port\" is not an integer: \"1.5\"");
        assertThat(ChildDecoder.serverset(null).decode("m", json("{\"serviceEndpoint\": {\"port\": 1}}")).problem())
                .isEqualTo("endpoint: missing string \"host\"");
        assertThat(ChildDecoder.serverset(null).decode("m", json("[]")).problem()).isEqualTo("expected a JSON object");
    }
}
