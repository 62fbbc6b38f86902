package io.synapse.nerve;

import java.util.function.LongSupplier;

/** A token bucket: {@code rate} tokens per second, at most {@code burst} saved; starts full. */
final class RateLimiter {
    private final double ratePerNano;
    private final double burst;
    private final LongSupplier clock;
    private double tokens;
    private long last;

    RateLimiter(double ratePerSecond, double burst, LongSupplier nanoClock) {
        this.ratePerNano = ratePerSecond / 1e9;
        this.burst = Math.max(1, burst);
        this.clock = nanoClock;
        this.tokens = this.burst;
        this.last = nanoClock.getAsLong();
    }

    /** Takes a token and returns 0, or returns the nanoseconds until one is available. */
    synchronized long tryAcquire() {
        long now = clock.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return (long) Math.ceil((1 - tokens) / ratePerNano);
    }
}
