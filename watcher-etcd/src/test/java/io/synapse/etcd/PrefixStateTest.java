package io.synapse.etcd;

import io.synapse.spi.Backend;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PrefixStateTest {
    private final List<String> warnings = new ArrayList<>();
    private final PrefixState state = new PrefixState(Decoder.key(), (key, reason) -> warnings.add(key + ": " + reason));

    private static byte[] v(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<String> addresses() {
        return state.snapshot().stream().map(Backend::address).toList();
    }

    @Test
    void ordersByCreateRevisionThenKey() {
        assertThat(state.put("/s/10.0.0.9:80", 5, v(""))).isTrue();
        assertThat(state.put("/s/10.0.0.3:80", 7, v(""))).isTrue();
        assertThat(state.put("/s/10.0.0.1:80", 7, v(""))).isTrue();
        assertThat(state.put("/s/10.0.0.2:80", 6, v(""))).isTrue();
        assertThat(addresses()).containsExactly("10.0.0.9:80", "10.0.0.2:80", "10.0.0.1:80", "10.0.0.3:80");
    }

    @Test
    void anUpdateKeepsItsPlaceAndARecreatedKeyGoesLast() {
        state.put("/s/10.0.0.1:80", 1, v("a"));
        state.put("/s/10.0.0.2:80", 2, v("a"));
        assertThat(state.put("/s/10.0.0.1:80", 1, v("b"))).as("the value is ignored by the key decoder").isFalse();
        assertThat(state.put("/s/10.0.0.1:80", 1, v("b"))).isFalse();
        assertThat(addresses()).containsExactly("10.0.0.1:80", "10.0.0.2:80");
        assertThat(state.remove("/s/10.0.0.1:80")).isTrue();
        assertThat(state.remove("/s/10.0.0.1:80")).isFalse();
        assertThat(state.put("/s/10.0.0.1:80", 9, v("a"))).isTrue();
        assertThat(addresses()).containsExactly("10.0.0.2:80", "10.0.0.1:80");
        assertThat(state.snapshot().get(1).id()).isEqualTo(9L);
    }

    @Test
    void aBadValueIsReportedOncePerDistinctValue() {
        PrefixState nerve = new PrefixState(Decoder.nerve(), (key, reason) -> warnings.add(key + ": " + reason));
        assertThat(nerve.put("/s/x", 1, v("{}"))).isFalse();
        assertThat(nerve.put("/s/x", 1, v("{}"))).isFalse();
        assertThat(nerve.put("/s/x", 1, v("[]"))).isFalse();
        assertThat(nerve.put("/s/y", 2, v("{\"host\": \"10.0.0.1\", \"port\": 80}"))).isTrue();
        // a re-read with the same values warns about nothing new
        assertThat(nerve.replaceAll(List.of(
                new PrefixState.KeyValue("/s/x", 1, v("[]")),
                new PrefixState.KeyValue("/s/y", 2, v("{\"host\": \"10.0.0.1\", \"port\": 80}"))))).isFalse();
        assertThat(warnings).containsExactly("/s/x: missing string \"host\"", "/s/x: expected a JSON object");
        assertThat(nerve.keys()).isEqualTo(2);
        assertThat(nerve.skipped()).isEqualTo(1);

        // a bad value that turns good, then bad again
        assertThat(nerve.put("/s/x", 1, v("{\"host\": \"10.0.0.2\", \"port\": 80}"))).isTrue();
        assertThat(nerve.put("/s/x", 1, v("[]"))).isTrue();
        assertThat(warnings).hasSize(3);
        assertThat(nerve.snapshot()).extracting(Backend::address).containsExactly("10.0.0.1:80");
    }

    @Test
    void replaceAllGivesTheExactSetAndSaysWhetherItChanged() {
        state.put("/s/10.0.0.1:80", 1, v(""));
        state.put("/s/10.0.0.2:80", 2, v(""));
        assertThat(state.replaceAll(List.of(
                new PrefixState.KeyValue("/s/10.0.0.1:80", 1, v("")),
                new PrefixState.KeyValue("/s/10.0.0.2:80", 2, v(""))))).isFalse();
        assertThat(state.replaceAll(List.of(
                new PrefixState.KeyValue("/s/10.0.0.3:80", 8, v("")),
                new PrefixState.KeyValue("/s/10.0.0.2:80", 2, v(""))))).isTrue();
        assertThat(addresses()).containsExactly("10.0.0.2:80", "10.0.0.3:80");
        assertThat(state.replaceAll(List.of())).isTrue();
        assertThat(addresses()).isEmpty();
    }

    @Test
    void duplicateRegistrationsArePublishedOnce() {
        PrefixState nerve = new PrefixState(Decoder.nerve(), (key, reason) -> warnings.add(key));
        nerve.put("/s/a", 1, v("{\"host\": \"10.0.0.1\", \"port\": 80, \"name\": \"n\"}"));
        nerve.put("/s/b", 2, v("{\"host\": \"10.0.0.1\", \"port\": 80, \"name\": \"n\"}"));
        nerve.put("/s/c", 3, v("{\"host\": \"10.0.0.1\", \"port\": 80, \"name\": \"m\"}"));
        assertThat(nerve.snapshot()).extracting(Backend::id).containsExactly(1L, 3L);
        nerve.remove("/s/a");
        assertThat(nerve.snapshot()).extracting(Backend::id).containsExactly(2L, 3L);
    }
}
