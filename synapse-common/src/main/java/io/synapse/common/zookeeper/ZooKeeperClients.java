package io.synapse.common.zookeeper;

import io.synapse.common.concurrent.SharedResources;
import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.metrics.RegistryConnections;
import org.apache.curator.RetryPolicy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryForever;
import org.apache.curator.retry.RetryNTimes;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The shared ZooKeeper connections: one {@link ZooKeeperConnection} per distinct {@link
 * ZooKeeperEnsemble} (hosts and authentication), reference counted by its users and closed when
 * the last one lets go. Built on {@link SharedResources}; {@link #newClient} is the one place a
 * Curator client is configured, for the watchers and for nerve.
 */
public final class ZooKeeperClients implements AutoCloseable {
    private final ZooKeeperClientSettings settings;
    private final Function<ConnectionState, String> consequences;
    private final String daemon;
    private final AtomicInteger numbers = new AtomicInteger();
    private final SharedResources<ZooKeeperEnsemble, ZooKeeperConnection> pool;

    /**
     * @param consequences what a connection state means for the users, appended to its log line
     *     ({@code "keeping the last known backends"}), or {@code null} for nothing
     */
    public ZooKeeperClients(ZooKeeperClientSettings settings, Function<ConnectionState, String> consequences) {
        this(settings, consequences, "synapse");
    }

    /**
     * @param daemon the metric prefix of the connections' state: {@code <daemon>_registry_connected{registry="zookeeper"}}
     *     ({@code synapse} for the watchers, {@code nerve} for nerve)
     */
    public ZooKeeperClients(ZooKeeperClientSettings settings, Function<ConnectionState, String> consequences, String daemon) {
        this.settings = requireNonNull(settings, "settings is null");
        this.consequences = requireNonNull(consequences, "consequences is null");
        this.daemon = requireNonNull(daemon, "daemon is null");
        this.pool = new SharedResources<>("ZooKeeper connection", this::open, ZooKeeperConnection::close);
    }

    public ZooKeeperClientSettings settings() {
        return settings;
    }

    /** The shared connection to {@code ensemble}, created and started when needed; close the lease when done. */
    public Lease<ZooKeeperEnsemble, ZooKeeperConnection> acquire(ZooKeeperEnsemble ensemble) {
        return pool.acquire(requireNonNull(ensemble, "ensemble is null"));
    }

    /** The open connection to {@code ensemble}, if any (diagnostics and tests). */
    public Optional<ZooKeeperConnection> find(ZooKeeperEnsemble ensemble) {
        return pool.find(ensemble);
    }

    /** Open connections. */
    public int size() {
        return pool.size();
    }

    /** Connections opened so far, closed ones included. */
    public int created() {
        return pool.created();
    }

    /** Closes every connection now, in use or not (ending their sessions). */
    @Override
    public void close() {
        pool.close();
    }

    private ZooKeeperConnection open(ZooKeeperEnsemble ensemble) {
        ZooKeeperConnection connection = new ZooKeeperConnection(ensemble, settings, numbers.incrementAndGet(), consequences);
        connection.registerMetrics(RegistryConnections.register(daemon, "zookeeper", ensemble.connectString(), connection::isConnected,
                () -> connection.lastState() == null ? "CONNECTING" : connection.lastState().name()));
        connection.start();
        return connection;
    }

    /**
     * A new, unstarted Curator client for {@code ensemble}: its hosts as given (not following
     * dynamic reconfiguration), the settings' timeouts and retry behaviour, its authentication.
     */
    public static CuratorFramework newClient(ZooKeeperEnsemble ensemble, ZooKeeperClientSettings settings, String threadName) {
        requireNonNull(ensemble, "ensemble is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(threadName, "threadName is null");
        RetryPolicy retry = settings.waitForConnection()
                // an operation that meets a lost connection waits for it to come back instead of failing
                // (and Curator logging a stack trace); the users learn of trouble from the connection states
                ? new RetryForever(1_000)
                : new RetryNTimes(0, 0);
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(ensemble.connectString())
                .sessionTimeoutMs(Math.toIntExact(settings.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(settings.connectionTimeout().toMillis()))
                .retryPolicy(retry)
                // keep the configured hosts: do not follow dynamic-reconfiguration changes
                .ensembleTracker(false)
                .threadFactory(r -> {
                    Thread t = new Thread(r, threadName);
                    t.setDaemon(true);
                    return t;
                });
        if (settings.shutdownTimeout() != null) {
            builder.waitForShutdownTimeoutMs(Math.toIntExact(settings.shutdownTimeout().toMillis()));
        }
        if (ensemble.auth() != null) {
            builder.authorization(ensemble.auth().scheme(), ensemble.auth().credentials().getBytes(StandardCharsets.UTF_8));
        }
        return builder.build();
    }
}
