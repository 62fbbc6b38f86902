package io.synapse.nerve;

/** Always passes. */
final class NoopCheck implements Check {
    @Override
    public String name() {
        return "noop";
    }

    @Override
    public void run() {}
}
