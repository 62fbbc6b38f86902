package io.synapse.zookeeper;

import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter between attempts to read the registry after a failure. The
 * n-th consecutive failure (n starting at 1) waits a raw {@code base * 2^min(n-1, maxDoublings)}
 * capped at {@code max}; the actual delay is drawn from {@code [raw/2, raw]} so that many hosts
 * failing together do not retry together. There is no last attempt: a watcher never gives up.
 */
record Backoff(long baseMillis, long maxMillis, int maxDoublings) {
    static final Backoff DEFAULT = new Backoff(500, 60_000, 10);

    Backoff {
        if (baseMillis < 1 || maxMillis < baseMillis || maxDoublings < 0) {
            throw new IllegalArgumentException("invalid backoff " + baseMillis + "/" + maxMillis + "/" + maxDoublings);
        }
    }

    long rawDelayMillis(int failures) {
        return shared().rawDelay(Math.min(failures, maxDoublings + 1)).toMillis();
    }

    /** @param random values in {@code [0, 1)} */
    long delayMillis(int failures, DoubleSupplier random) {
        return shared().delay(Math.min(failures, maxDoublings + 1), random).toMillis();
    }

    private io.synapse.common.concurrent.Backoff shared() {
        return io.synapse.common.concurrent.Backoff.ofMillis(baseMillis, maxMillis);
    }
}
