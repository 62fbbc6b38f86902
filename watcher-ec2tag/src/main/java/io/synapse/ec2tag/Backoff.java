package io.synapse.ec2tag;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

import static java.util.Objects.requireNonNull;

/**
 * Exponential backoff with jitter for failed DescribeInstances sequences.
 *
 * <p>After the n-th consecutive failure the raw delay is {@code base * 2^(n-1)}, capped at {@code
 * max(2 * interval, 30 s)}; the actual delay is drawn uniformly from {@code [raw/2, raw]} ("equal
 * jitter"), so a fleet of hosts throttled together does not retry together. The base is the
 * check interval when EC2 throttled us (retrying sooner than the interval would only add to the
 * account's request rate), and {@code min(interval, 1 s)} for network and other errors (a blip
 * is retried quickly).
 */
final class Backoff {
    static final Duration NETWORK_BASE = Duration.ofSeconds(1);
    static final Duration MIN_CAP = Duration.ofSeconds(30);

    private final DoubleSupplier random;

    Backoff() {
        this(() -> ThreadLocalRandom.current().nextDouble());
    }

    /** @param random values in {@code [0, 1)} */
    Backoff(DoubleSupplier random) {
        this.random = requireNonNull(random, "random is null");
    }

    Duration delay(int failures, boolean throttled, Duration interval) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures " + failures + ": expected at least 1");
        }
        return policy(throttled, interval).delay(failures, random);
    }

    static Duration rawDelay(int failures, boolean throttled, Duration interval) {
        return policy(throttled, interval).rawDelay(failures);
    }

    /** The shared backoff with this watcher's base and cap. */
    private static io.synapse.common.concurrent.Backoff policy(boolean throttled, Duration interval) {
        Duration base = throttled ? interval : min(interval, NETWORK_BASE);
        Duration cap = max(interval.multipliedBy(2), MIN_CAP);
        return new io.synapse.common.concurrent.Backoff(base, cap);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
