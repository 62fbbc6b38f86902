package io.synapse.nerve;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter: base, 2 x base, ... up to max, each +-20 %. */
final class Backoff {
    private final long baseNanos;
    private final long maxNanos;

    Backoff(Duration base, Duration max) {
        this.baseNanos = base.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** The delay before attempt {@code failures + 1}, after {@code failures} (>= 1) failures in a row. */
    long delayNanos(int failures) {
        int shift = Math.min(Math.max(failures - 1, 0), 30);
        long d = Math.min(maxNanos, baseNanos << shift);
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return Math.max(1, (long) (d * jitter));
    }
}
