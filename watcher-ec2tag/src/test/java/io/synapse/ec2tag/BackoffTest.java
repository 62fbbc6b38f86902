package io.synapse.ec2tag;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {
    private static Duration s(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    @Test
    void networkErrorsStartFastAndDoubleUpToTheCap() {
        Duration interval = Duration.ofSeconds(15);
        assertThat(IntStream.rangeClosed(1, 8).mapToObj(n -> Backoff.rawDelay(n, false, interval)))
                .containsExactly(s(1), s(2), s(4), s(8), s(16), s(30), s(30), s(30));
    }

    @Test
    void throttlingNeverRetriesSoonerThanTheInterval() {
        Duration interval = Duration.ofSeconds(120);
        assertThat(IntStream.rangeClosed(1, 4).mapToObj(n -> Backoff.rawDelay(n, true, interval)))
                .containsExactly(s(120), s(240), s(240), s(240));
        assertThat(Backoff.rawDelay(1, false, interval)).isEqualTo(s(1));
    }

    @Test
    void shortIntervalsBackOffFromTheInterval() {
        Duration interval = s(0.2);
        assertThat(IntStream.rangeClosed(1, 4).mapToObj(n -> Backoff.rawDelay(n, true, interval)))
                .containsExactly(s(0.2), s(0.4), s(0.8), s(1.6));
        assertThat(Backoff.rawDelay(1000, true, interval)).isEqualTo(s(30));
        assertThat(Backoff.rawDelay(Integer.MAX_VALUE, false, interval)).isEqualTo(s(30));
    }

    @Test
    void jitterDrawsFromTheUpperHalf() {
        Duration interval = Duration.ofSeconds(15);
        assertThat(new Backoff(() -> 0.0).delay(3, false, interval)).isEqualTo(s(2));
        assertThat(new Backoff(() -> 0.5).delay(3, false, interval)).isEqualTo(s(3));
        assertThat(new Backoff(() -> Math.nextDown(1.0)).delay(3, false, interval)).isBetween(s(3.999), s(4));
        assertThat(new Backoff().delay(3, false, interval)).isBetween(s(2), s(4));
    }

    @Test
    void failuresStartAtOne() {
        assertThatThrownBy(() -> new Backoff().delay(0, false, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("failures 0: expected at least 1");
    }
}
