package io.synapse;

import io.synapse.config.ConfigException;

import java.nio.file.Path;
import java.time.Duration;

/** The synapse daemon as a library: load a config, start the watchers, keep the outputs current. */
public final class Synapse implements AutoCloseable {
    private Synapse() {}

    /** Loads and validates {@code synapse.conf.json} (or .yaml); nothing is started or written. */
    public static Synapse fromFile(Path config) throws ConfigException {
        throw new IllegalStateException("engine under construction");
    }

    /** Starts every watcher; outputs are written as snapshots arrive. */
    public void start() {
        throw new IllegalStateException("engine under construction");
    }

    /** Waits until every watcher delivered its first snapshot and the outputs were written. */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        throw new IllegalStateException("engine under construction");
    }

    @Override
    public void close() {}
}
