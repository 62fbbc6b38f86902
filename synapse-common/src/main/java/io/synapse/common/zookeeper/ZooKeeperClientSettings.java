package io.synapse.common.zookeeper;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * How a Curator client behaves.
 *
 * @param sessionTimeout the requested ZooKeeper session timeout
 * @param connectionTimeout how long a connection attempt may take (a watcher reports an ensemble
 *     it cannot reach after this long)
 * @param waitForConnection {@code true}: an operation that meets a lost connection waits for it to
 *     come back (the watchers, which learn of trouble from the connection states); {@code false}:
 *     it fails at once, so that the caller's own backoff decides (nerve's reporters)
 * @param shutdownTimeout how long closing waits for Curator's threads, or {@code null} for Curator's default
 * @param threadName prefix of the client's thread names, e.g. {@code synapse-zookeeper}
 */
public record ZooKeeperClientSettings(
        Duration sessionTimeout,
        Duration connectionTimeout,
        boolean waitForConnection,
        Duration shutdownTimeout,
        String threadName) {
    public ZooKeeperClientSettings {
        requireNonNull(sessionTimeout, "sessionTimeout is null");
        requireNonNull(connectionTimeout, "connectionTimeout is null");
        requireNonNull(threadName, "threadName is null");
    }
}
