package io.synapse.multi;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WeightsTest {
    @Test
    void parsesRubysSchema() {
        Weights w = Weights.parse("---\nprimary: 3\nsecondary: 1\n");
        assertThat(w.weights()).containsExactly(Map.entry("primary", 3L), Map.entry("secondary", 1L));
    }

    @Test
    void rejectsWhatRubyRejects() {
        assertThatThrownBy(() -> Weights.parse("primary: -1\n")).hasMessage("weight of \"primary\": expected a non-negative integer, got -1");
        assertThatThrownBy(() -> Weights.parse("primary: 0.5\n")).hasMessage("weight of \"primary\": expected a non-negative integer, got 0.5");
        assertThatThrownBy(() -> Weights.parse("primary: high\n")).hasMessage("weight of \"primary\": expected a non-negative integer, got \"high\"");
        assertThatThrownBy(() -> Weights.parse("- primary\n")).hasMessage("expected watcher_name: weight lines, got a list");
        assertThatThrownBy(() -> Weights.parse("")).hasMessage("empty: expected watcher_name: weight lines");
        assertThatThrownBy(() -> Weights.parse("{}")).hasMessage("names no watcher");
        assertThatThrownBy(() -> Weights.parse("a: 0\nb: 0\n")).hasMessage("every weight is 0");
        assertThatThrownBy(() -> Weights.parse("a: [1\n")).hasMessageStartingWith("not valid YAML: ");
    }

    @Test
    void thePickIsStablePerHostAndFollowsTheWeightsOverAFleet() {
        Weights w = Weights.parse("zk: 1\netcd: 3\n");
        assertThat(w.pick("host-17")).isEqualTo(w.pick("host-17"));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            counts.merge(w.pick("host-" + i), 1, Integer::sum);
        }
        // 1:3 over 4000 hosts: 1000 expected; a hash that ignored the weights would give 2000
        assertThat(counts.get("zk")).isBetween(850, 1150);
        assertThat(counts.get("etcd")).isBetween(2850, 3150);

        // a changed file is a new draw: some hosts move, as in Ruby where every change re-picks
        Weights changed = Weights.parse("zk: 1\netcd: 3\n# moved\n");
        long moved = java.util.stream.IntStream.range(0, 1000).filter(i -> !w.pick("h" + i).equals(changed.pick("h" + i))).count();
        assertThat(moved).isGreaterThan(100);
        // a zero weight is never picked
        Weights only = Weights.parse("zk: 0\netcd: 1\n");
        assertThat(java.util.stream.IntStream.range(0, 500).mapToObj(i -> only.pick("h" + i)).distinct()).containsExactly("etcd");
    }
}
