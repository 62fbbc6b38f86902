package io.synapse.nerve;

/**
 * The up/down state of one check, as the reference defines it: the first result sets the state at
 * once; after that the state goes down only after {@code fall} consecutive failures and up only
 * after {@code rise} consecutive successes. (The Ruby Nerve keeps a ring buffer of the last
 * max(rise, fall) results; these counters give the same answers.) Not thread-safe: one check round
 * at a time uses it.
 */
final class RiseFall {
    private final int rise;
    private final int fall;
    private Boolean up;
    private int successes;
    private int failures;

    RiseFall(int rise, int fall) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be at least 1");
        }
        this.rise = rise;
        this.fall = fall;
    }

    /** Records one raw result and returns the state after it. */
    boolean record(boolean passed) {
        if (passed) {
            successes++;
            failures = 0;
        } else {
            failures++;
            successes = 0;
        }
        if (up == null) {
            up = passed;
        } else if (up && failures >= fall) {
            up = false;
        } else if (!up && successes >= rise) {
            up = true;
        }
        return up;
    }

    /** The state, or {@code null} before the first result. */
    Boolean state() {
        return up;
    }

    int consecutiveFailures() {
        return failures;
    }

    int consecutiveSuccesses() {
        return successes;
    }
}
