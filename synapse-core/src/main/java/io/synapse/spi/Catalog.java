package io.synapse.spi;

/**
 * A running catalog. Lifecycle as {@link ServiceWatcher}: {@link #start()} once, {@link #close()}
 * idempotent and never throwing. It publishes whole sets of service definitions to its {@link
 * CatalogListener}; a failure is reported, never thrown on its own threads, and never turned into
 * an empty set.
 */
public interface Catalog extends AutoCloseable {
    /** Starts; returns without waiting for the first set. */
    void start();

    @Override
    void close();
}
