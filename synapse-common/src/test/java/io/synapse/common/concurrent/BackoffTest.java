package io.synapse.common.concurrent;

import io.synapse.common.concurrent.Backoff;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {
    @Test
    void doublesUpToTheCapWithEqualJitter() {
        Backoff b = Backoff.ofMillis(100, 1_000);
        assertThat(b.rawDelay(0)).isEqualTo(Duration.ofMillis(100));
        assertThat(b.rawDelay(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(b.rawDelay(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(b.rawDelay(5)).isEqualTo(Duration.ofMillis(1_000));
        assertThat(b.rawDelay(10_000)).isEqualTo(Duration.ofMillis(1_000));
        assertThat(b.delay(2, () -> 0.0)).isEqualTo(Duration.ofMillis(100));
        assertThat(b.delay(2, () -> 0.5)).isEqualTo(Duration.ofMillis(150));
        assertThat(b.delay(3)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
        assertThatThrownBy(() -> Backoff.ofMillis(0, 1)).hasMessage("backoff PT0S to PT0.001S: expected 0 < base <= max");
    }

    @Test
    void aLimitOnDoublingsLowersTheCap() {
        assertThat(Backoff.withDoublings(Duration.ofMillis(100), Duration.ofSeconds(1), 3)).isEqualTo(Backoff.ofMillis(100, 800));
        assertThat(Backoff.withDoublings(Duration.ofMillis(500), Duration.ofSeconds(60), 10)).isEqualTo(Backoff.ofMillis(500, 60_000));
        assertThat(Backoff.withDoublings(Duration.ofMillis(100), Duration.ofSeconds(1), 0)).isEqualTo(Backoff.ofMillis(100, 100));
        assertThat(Backoff.withDoublings(Duration.ofMillis(100), Duration.ofSeconds(1), 62).max()).isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> Backoff.withDoublings(Duration.ofMillis(1), Duration.ofMillis(2), -1))
                .hasMessage("maxDoublings -1: expected at least 0");
    }
}
