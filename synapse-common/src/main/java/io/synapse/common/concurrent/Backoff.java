package io.synapse.common.concurrent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

import static java.util.Objects.requireNonNull;

/**
 * Exponential backoff with jitter, for retrying a registry (or a report) after failures. After
 * the n-th consecutive failure the raw delay is {@code base * 2^(n-1)}, capped at {@code max};
 * the actual delay is drawn uniformly from {@code [raw/2, raw]} ("equal jitter") so that a fleet
 * of hosts failing together does not retry together. There is no last attempt.
 */
public record Backoff(Duration base, Duration max) {
    public Backoff {
        requireNonNull(base, "base is null");
        requireNonNull(max, "max is null");
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff " + base + " to " + max + ": expected 0 < base <= max");
        }
    }

    public static Backoff ofMillis(long baseMillis, long maxMillis) {
        return new Backoff(Duration.ofMillis(baseMillis), Duration.ofMillis(maxMillis));
    }

    /**
     * A backoff that doubles at most {@code maxDoublings} times (Curator's and the Ruby tools'
     * "max retries" without giving up): {@code max} becomes {@code min(max, base * 2^maxDoublings)}.
     */
    public static Backoff withDoublings(Duration base, Duration max, int maxDoublings) {
        if (maxDoublings < 0) {
            throw new IllegalArgumentException("maxDoublings " + maxDoublings + ": expected at least 0");
        }
        Duration cap = new Backoff(base, max.compareTo(base) < 0 ? base : max).rawDelay(maxDoublings + 1);
        return new Backoff(base, cap.compareTo(max) < 0 ? cap : max);
    }

    /** {@code base * 2^(failures-1)} capped at {@code max}; {@code failures} below 1 count as 1. */
    public Duration rawDelay(int failures) {
        int shift = Math.min(Math.max(failures - 1, 0), 62);
        long baseNanos = base.toNanos();
        long maxNanos = max.toNanos();
        if (baseNanos > maxNanos >> shift) {
            return max;
        }
        return Duration.ofNanos(Math.min(baseNanos << shift, maxNanos));
    }

    /** A jittered delay in {@code [raw/2, raw]}. */
    public Duration delay(int failures) {
        return delay(failures, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** @param random values in {@code [0, 1)} */
    public Duration delay(int failures, DoubleSupplier random) {
        long raw = rawDelay(failures).toNanos();
        long half = raw / 2;
        return Duration.ofNanos(half + (long) (random.getAsDouble() * (raw - half)));
    }
}
