package io.synapse.spi;

import static java.util.Objects.requireNonNull;

/**
 * What a watcher knows about where it runs.
 *
 * @param serviceName the service this watcher serves
 * @param configPath the JSON path of its {@code discovery} section, for messages
 */
public record WatcherContext(String serviceName, String configPath) {
    public WatcherContext {
        requireNonNull(serviceName, "serviceName is null");
        requireNonNull(configPath, "configPath is null");
    }
}
