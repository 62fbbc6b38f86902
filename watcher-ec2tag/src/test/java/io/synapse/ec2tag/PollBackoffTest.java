package io.synapse.ec2tag;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The retry policy of a poller after failed DescribeInstances sequences. */
class PollBackoffTest {
    private static Duration s(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    @Test
    void networkErrorsStartFastAndDoubleUpToTheCap() {
        Duration interval = Duration.ofSeconds(15);
        assertThat(IntStream.rangeClosed(1, 8).mapToObj(n -> Ec2Poller.backoff(false, interval).rawDelay(n)))
                .containsExactly(s(1), s(2), s(4), s(8), s(16), s(30), s(30), s(30));
    }

    @Test
    void throttlingNeverRetriesSoonerThanTheInterval() {
        Duration interval = Duration.ofSeconds(120);
        assertThat(IntStream.rangeClosed(1, 4).mapToObj(n -> Ec2Poller.backoff(true, interval).rawDelay(n)))
                .containsExactly(s(120), s(240), s(240), s(240));
        assertThat(Ec2Poller.backoff(false, interval).rawDelay(1)).isEqualTo(s(1));
    }

    @Test
    void shortIntervalsBackOffFromTheInterval() {
        Duration interval = s(0.2);
        assertThat(IntStream.rangeClosed(1, 4).mapToObj(n -> Ec2Poller.backoff(true, interval).rawDelay(n)))
                .containsExactly(s(0.2), s(0.4), s(0.8), s(1.6));
        assertThat(Ec2Poller.backoff(true, interval).rawDelay(1000)).isEqualTo(s(30));
        assertThat(Ec2Poller.backoff(false, interval).rawDelay(Integer.MAX_VALUE)).isEqualTo(s(30));
    }

    @Test
    void jitterDrawsFromTheUpperHalf() {
        Duration interval = Duration.ofSeconds(15);
        assertThat(Ec2Poller.backoff(false, interval).delay(3, () -> 0.0)).isEqualTo(s(2));
        assertThat(Ec2Poller.backoff(false, interval).delay(3, () -> 0.5)).isEqualTo(s(3));
        assertThat(Ec2Poller.backoff(false, interval).delay(3, () -> Math.nextDown(1.0))).isBetween(s(3.999), s(4));
        assertThat(Ec2Poller.backoff(false, interval).delay(3)).isBetween(s(2), s(4));
    }
}
