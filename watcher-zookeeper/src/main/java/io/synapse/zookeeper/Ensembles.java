package io.synapse.zookeeper;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.RetryForever;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * The shared ZooKeeper connections: one Curator client per distinct {@link EnsembleKey},
 * reference-counted by the watchers that use it and closed when the last one closes. Each
 * connection comes with one thread on which all its watchers do their work, so a watcher's state
 * needs no locks and 200 services on one ensemble cost one connection and one thread.
 */
final class Ensembles {
    private static final Logger LOG = LoggerFactory.getLogger(Ensembles.class);

    /** The connections every factory created by {@link java.util.ServiceLoader} shares. */
    static final Ensembles SHARED = new Ensembles(ClientSettings.DEFAULT);

    /**
     * Curator client settings.
     *
     * @param sessionTimeoutMs the requested ZooKeeper session timeout
     * @param connectionTimeoutMs how long a new watcher waits for a connection before it reports
     *     the ensemble unreachable
     */
    record ClientSettings(int sessionTimeoutMs, int connectionTimeoutMs) {
        static final ClientSettings DEFAULT = new ClientSettings(30_000, 10_000);
    }

    private final ClientSettings settings;
    private final Map<EnsembleKey, Ensemble> open = new HashMap<>();
    private final AtomicInteger created = new AtomicInteger();

    Ensembles(ClientSettings settings) {
        this.settings = requireNonNull(settings, "settings is null");
    }

    /** The shared connection for {@code key}, created and started if needed; release it once. */
    Ensemble acquire(EnsembleKey key) {
        requireNonNull(key, "key is null");
        synchronized (open) {
            Ensemble ensemble = open.get(key);
            if (ensemble == null) {
                ensemble = new Ensemble(key, settings, created.incrementAndGet());
                open.put(key, ensemble);
                LOG.info("ZooKeeper {}: connecting", key);
                ensemble.client.start();
            }
            ensemble.refs++;
            return ensemble;
        }
    }

    void release(Ensemble ensemble) {
        release(ensemble, () -> { });
    }

    /**
     * Releases one use of {@code ensemble}; runs {@code ifStillShared} first when other watchers
     * keep the connection open (to remove this watcher's watches), else closes the connection.
     */
    void release(Ensemble ensemble, Runnable ifStillShared) {
        requireNonNull(ensemble, "ensemble is null");
        requireNonNull(ifStillShared, "ifStillShared is null");
        synchronized (open) {
            if (ensemble.refs <= 0 || open.get(ensemble.key) != ensemble) {
                return;
            }
            if (--ensemble.refs > 0) {
                try {
                    ifStillShared.run();
                } catch (RuntimeException e) {
                    LOG.debug("ZooKeeper {}: cleanup failed", ensemble.key, e);
                }
                return;
            }
            open.remove(ensemble.key);
        }
        LOG.info("ZooKeeper {}: closing the connection (no watcher left)", ensemble.key);
        ensemble.close();
    }

    /** Open connections (for tests and diagnostics). */
    int openCount() {
        synchronized (open) {
            return open.size();
        }
    }

    /** The open connection for {@code key}, or {@code null}. */
    Ensemble find(EnsembleKey key) {
        synchronized (open) {
            return open.get(key);
        }
    }

    /** Connections created so far, closed ones included. */
    int createdCount() {
        return created.get();
    }

    /** One shared connection and its thread. */
    static final class Ensemble {
        private final EnsembleKey key;
        private final ClientSettings settings;
        private final CuratorFramework client;
        private final ScheduledThreadPoolExecutor executor;
        private final ConnectionStateListener logger;
        private int refs; // guarded by Ensembles.open
        private volatile ConnectionState lastState;

        private Ensemble(EnsembleKey key, ClientSettings settings, int number) {
            this.key = key;
            this.settings = settings;
            this.executor = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "synapse-zookeeper-" + number);
                t.setDaemon(true);
                return t;
            }, new ThreadPoolExecutor.DiscardPolicy());
            executor.setRemoveOnCancelPolicy(true);
            executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                    .connectString(key.connectString())
                    .sessionTimeoutMs(settings.sessionTimeoutMs())
                    .connectionTimeoutMs(settings.connectionTimeoutMs())
                    // a read that meets a lost connection waits for the connection to come back
                    // instead of failing (and Curator logging a stack trace); the watchers learn of
                    // connection trouble from the connection states and re-sync on reconnection
                    .retryPolicy(new RetryForever(1_000))
                    // keep the configured hosts: do not follow dynamic-reconfiguration changes
                    .ensembleTracker(false)
                    .threadFactory(r -> {
                        Thread t = new Thread(r, "synapse-zookeeper-" + number + "-curator");
                        t.setDaemon(true);
                        return t;
                    });
            if (key.authScheme() != null) {
                builder.authorization(key.authScheme(), key.authCredentials().getBytes(StandardCharsets.UTF_8));
            }
            this.client = builder.build();
            this.logger = (c, state) -> {
                lastState = state;
                switch (state) {
                    case CONNECTED -> LOG.info("ZooKeeper {}: connected", key);
                    case RECONNECTED -> LOG.info("ZooKeeper {}: reconnected", key);
                    case SUSPENDED -> LOG.warn("ZooKeeper {}: connection suspended; keeping the last known backends", key);
                    case LOST -> LOG.warn("ZooKeeper {}: session lost; will re-read everything once reconnected", key);
                    case READ_ONLY -> LOG.info("ZooKeeper {}: connected read-only", key);
                }
            };
            client.getConnectionStateListenable().addListener(logger);
        }

        EnsembleKey key() {
            return key;
        }

        CuratorFramework client() {
            return client;
        }

        ClientSettings settings() {
            return settings;
        }

        boolean isConnected() {
            return client.getZookeeperClient().isConnected();
        }

        /** The connection's thread; tasks submitted after close are dropped. */
        ScheduledExecutorService executor() {
            return executor;
        }

        /** The last connection state Curator reported, or {@code null} before the first. */
        ConnectionState lastState() {
            return lastState;
        }

        void addListener(ConnectionStateListener listener) {
            client.getConnectionStateListenable().addListener(listener, executor);
        }

        void removeListener(ConnectionStateListener listener) {
            client.getConnectionStateListenable().removeListener(listener);
        }

        private void close() {
            try {
                client.close();
            } catch (RuntimeException e) {
                LOG.warn("ZooKeeper {}: error while closing: {}", key, e.toString());
                LOG.debug("close failure", e);
            }
            executor.shutdown();
        }
    }
}
