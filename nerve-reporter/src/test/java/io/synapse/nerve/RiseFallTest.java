package io.synapse.nerve;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RiseFallTest {
    private static List<Boolean> run(int rise, int fall, boolean... results) {
        RiseFall rf = new RiseFall(rise, fall);
        List<Boolean> states = new ArrayList<>();
        for (boolean r : results) {
            states.add(rf.record(r));
        }
        return states;
    }

    @Test
    void firstResultSetsTheStateAtOnce() {
        assertThat(run(3, 3, false)).containsExactly(false);
        assertThat(run(3, 3, true)).containsExactly(true);
    }

    @Test
    void goesDownOnlyAfterFallConsecutiveFailures() {
        assertThat(run(1, 2, true, false, true, false, false))
                .containsExactly(true, true, true, true, false);
    }

    @Test
    void goesUpOnlyAfterRiseConsecutiveSuccesses() {
        assertThat(run(3, 1, false, true, true, false, true, true, true))
                .containsExactly(false, false, false, false, false, false, true);
    }

    @Test
    void flappingNeverChangesAnEstablishedState() {
        assertThat(run(2, 2, true, false, true, false, true, false)).containsOnly(true);
        assertThat(run(2, 2, false, true, false, true, false, true)).containsOnly(false);
    }

    @Test
    void riseAndFallOfOneFlipOnEveryResult() {
        assertThat(run(1, 1, true, false, true, false)).containsExactly(true, false, true, false);
    }
}
