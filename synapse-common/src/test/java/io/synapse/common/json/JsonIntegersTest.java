package io.synapse.common.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonIntegersTest {
    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    @Test
    void numbersAndDigitStringsAreIntegers() throws Exception {
        JsonNode n = json("""
                {"a": 8080, "b": "8080", "c": " -3 ", "d": 80.0, "e": "80a", "f": "0x1f", "g": true, "h": null,
                 "i": 9223372036854775807, "j": 9223372036854775808, "k": "3000000000", "l": ""}""");
        assertThat(JsonIntegers.toLong(n.get("a"))).isEqualTo(8080L);
        assertThat(JsonIntegers.toLong(n.get("b"))).isEqualTo(8080L);
        assertThat(JsonIntegers.toLong(n.get("c"))).isEqualTo(-3L);
        for (String notOne : new String[] {"d", "e", "f", "g", "h", "j", "l", "missing"}) {
            assertThat(JsonIntegers.toLong(n.get(notOne))).as(notOne).isNull();
        }
        assertThat(JsonIntegers.toLong(n.get("i"))).isEqualTo(Long.MAX_VALUE);
        assertThat(JsonIntegers.toInt(n.get("k"))).isNull();
        assertThat(JsonIntegers.toLong(n.get("k"))).isEqualTo(3_000_000_000L);
    }

    @Test
    void fieldsAreRequiredOrOptionalWithTheSameMessages() throws Exception {
        JsonNode n = json("{\"port\": \"80a\", \"weight\": null, \"shard\": 3}");
        assertThat(JsonIntegers.optional(n, "weight")).isNull();
        assertThat(JsonIntegers.optional(n, "absent")).isNull();
        assertThat(JsonIntegers.required(n, "shard")).isEqualTo(3);
        assertThatThrownBy(() -> JsonIntegers.required(n, "port")).hasMessage("\"port\" is not an integer: \"\\\"80a\\\"\"");
        assertThatThrownBy(() -> JsonIntegers.required(n, "weight")).hasMessage("missing \"weight\"");
    }
}
