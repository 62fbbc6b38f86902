package io.synapse.spi;

/**
 * Watches one service's registry and publishes what it finds to its {@link WatcherListener}.
 *
 * <p>Lifecycle: created by {@link WatcherFactory#create}, then {@link #start()} once, then {@link
 * #close()} (idempotent, may be called without start). A watcher publishes whole immutable
 * snapshots, never deltas, and reports trouble through {@link WatcherListener#onFailure} instead
 * of throwing on its own threads. A watcher never exits the process and never publishes an empty
 * set because discovery failed: on failure it keeps quiet about backends (the engine keeps the
 * last good set) and retries with backoff.
 */
public interface ServiceWatcher extends AutoCloseable {
    /** Starts watching; returns without waiting for the first snapshot. */
    void start();

    /** Stops watching and releases resources; idempotent; never throws. */
    @Override
    void close();
}
