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
        int shift = Math.min(Math.max(failures - 1, 0), Math.min(maxDoublings, 40));
        if (baseMillis > maxMillis >> shift) {
            return maxMillis;
        }
        return Math.min(baseMillis << shift, maxMillis);
    }

    /** @param random values in {@code [0, 1)} */
    long delayMillis(int failures, DoubleSupplier random) {
        long raw = rawDelayMillis(failures);
        long half = raw / 2;
        return half + (long) (random.getAsDouble() * (raw - half));
    }
}
