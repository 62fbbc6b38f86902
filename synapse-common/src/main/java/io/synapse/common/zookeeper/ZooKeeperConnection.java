package io.synapse.common.zookeeper;

import io.synapse.common.metrics.RegistryConnections;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * One shared ZooKeeper connection of a {@link ZooKeeperClients} pool: a started Curator client, its
 * last connection state, and one thread on which its users may do their work (so that the state
 * of 200 watchers on one ensemble needs no locks and costs one thread; created on first use).
 */
public final class ZooKeeperConnection {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperConnection.class);

    private final ZooKeeperEnsemble ensemble;
    private final ZooKeeperClientSettings settings;
    private final CuratorFramework client;
    private final ScheduledThreadPoolExecutor executor;
    private volatile ConnectionState lastState;
    private volatile RegistryConnections.Registration metrics;

    ZooKeeperConnection(ZooKeeperEnsemble ensemble, ZooKeeperClientSettings settings, int number,
                        Function<ConnectionState, String> consequences) {
        this.ensemble = requireNonNull(ensemble, "ensemble is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, settings.threadName() + "-" + number);
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.DiscardPolicy());
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.client = ZooKeeperClients.newClient(ensemble, settings, settings.threadName() + "-" + number + "-curator");
        client.getConnectionStateListenable().addListener((c, state) -> {
            lastState = state;
            String consequence = consequences.apply(state);
            String suffix = consequence == null ? "" : "; " + consequence;
            switch (state) {
                case CONNECTED -> LOG.info("ZooKeeper {}: connected{}", ensemble, suffix);
                case RECONNECTED -> LOG.info("ZooKeeper {}: reconnected{}", ensemble, suffix);
                case SUSPENDED -> LOG.warn("ZooKeeper {}: connection suspended{}", ensemble, suffix);
                case LOST -> LOG.warn("ZooKeeper {}: session lost{}", ensemble, suffix);
                case READ_ONLY -> LOG.info("ZooKeeper {}: connected read-only{}", ensemble, suffix);
            }
        });
    }

    public ZooKeeperEnsemble ensemble() {
        return ensemble;
    }

    public ZooKeeperClientSettings settings() {
        return settings;
    }

    public CuratorFramework client() {
        return client;
    }

    public boolean isConnected() {
        return client.getZookeeperClient().isConnected();
    }

    /** The current session id, or 0 when there is none. */
    public long sessionId() throws Exception {
        return client.getZookeeperClient().getZooKeeper().getSessionId();
    }

    /** The connection's own thread; tasks submitted after the connection closed are dropped. */
    public ScheduledExecutorService executor() {
        return executor;
    }

    /** The last connection state Curator reported, or {@code null} before the first. */
    public ConnectionState lastState() {
        return lastState;
    }

    /** Tells {@code listener} of connection state changes, on the connection's thread. */
    public void addListener(ConnectionStateListener listener) {
        addListener(listener, executor);
    }

    /** Tells {@code listener} of connection state changes, on {@code executor}. */
    public void addListener(ConnectionStateListener listener, Executor executor) {
        client.getConnectionStateListenable().addListener(listener, executor);
    }

    public void removeListener(ConnectionStateListener listener) {
        client.getConnectionStateListenable().removeListener(listener);
    }

    void registerMetrics(RegistryConnections.Registration registration) {
        this.metrics = registration;
    }

    void start() {
        LOG.info("ZooKeeper {}: connecting", ensemble);
        client.start();
    }

    void close() {
        LOG.info("ZooKeeper {}: closing the connection (no user left)", ensemble);
        if (metrics != null) {
            metrics.close();
        }
        try {
            client.close();
        } catch (RuntimeException e) {
            LOG.warn("ZooKeeper {}: error while closing: {}", ensemble, e.toString());
            LOG.debug("close failure", e);
        }
        executor.shutdown();
    }

    @Override
    public String toString() {
        return "ZooKeeper " + ensemble;
    }
}
