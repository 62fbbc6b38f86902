package io.synapse.spi;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/** Receives a watcher's snapshots. Thread-safe: may be called from any thread. */
public interface WatcherListener {
    /**
     * The complete current set of backends, in discovery order, without duplicates. An empty list
     * means the registry really holds no backends (not that reading it failed).
     */
    void onBackends(List<Backend> backends);

    /**
     * Generator settings published by the registry itself (the ZooKeeper parent node's
     * {@code {"haproxy": {...}}}), keyed by generator name; they replace the service's sections
     * from the config file. An empty map reverts to the file's settings. The engine validates
     * them like the file's and ignores (with a warning) a section that is invalid.
     */
    default void onGeneratorConfig(Map<String, JsonNode> generatorConfig) {}

    /**
     * A registration was skipped because it is invalid (the watcher logged one warning naming it
     * and {@code reason}); the engine counts these per service for the status page and metrics.
     * Call it once per distinct bad registration, not on every re-read.
     */
    default void onRejected(String registration, String reason) {}

    /**
     * The watcher could not read its registry (unreachable, session expired, throttled...). The
     * engine logs one line per episode and keeps the last good backends. {@code cause} may be null.
     */
    void onFailure(String message, Throwable cause);
}
