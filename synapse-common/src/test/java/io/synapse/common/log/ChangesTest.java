package io.synapse.common.log;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class ChangesTest {
    @Test
    void summariesNameWhatCameAndWent() {
        assertThat(Changes.summary(List.of("a", "b", "c"), List.of("b", "c", "d", "e"), "backends"))
                .isEqualTo("3 -> 4 backends (+d, +e, -a)");
        assertThat(Changes.summary(List.of("a"), List.of("a"), "backends")).isEqualTo("1 -> 1 backends");
    }

    @Test
    void anItemWhoseKeyStaysIsChangedNotAddedAndRemoved() {
        // key: the letter; value: the whole string (a backend whose weight changed keeps its address)
        assertThat(Changes.diffByKey(List.of("a1", "b1", "c1"), List.of("a1", "b2", "d1"), (String s) -> s.charAt(0)))
                .isEqualTo(" (+d1, -c1, ~b2)");
        assertThat(Changes.diffByKey(List.of("a1"), List.of("a1"), (String s) -> s.charAt(0))).isEmpty();
    }

    @Test
    void longListsAreCut() {
        List<Integer> many = IntStream.range(0, 20).boxed().toList();
        assertThat(Changes.diff(List.of(), many)).isEqualTo(" (+0, +1, +2, +3, +4, ... 15 more)");
        assertThat(Changes.diff(many, List.of())).isEqualTo(" (-0, -1, -2, -3, -4, -5, -6, -7, -8, -9, ... 10 more)");
    }

    @Test
    void knownChangesAreListedTheSameWay() {
        assertThat(Changes.listed(List.of("x"), List.of("y", "z"), s -> s.toUpperCase())).isEqualTo(" (+X, -Y, -Z)");
        assertThat(Changes.listed(List.of(), List.of(), String::valueOf)).isEmpty();
    }
}
