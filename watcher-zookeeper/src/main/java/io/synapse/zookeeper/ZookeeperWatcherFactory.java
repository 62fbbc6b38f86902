package io.synapse.zookeeper;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.zookeeper.ZooKeeperClientSettings;
import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;
import org.apache.curator.framework.state.ConnectionState;

import java.time.Duration;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * {@code discovery.method: zookeeper}: watches the children of {@code path} with ZooKeeper
 * watches (no polling). All services on the same ensemble share one connection.
 */
public final class ZookeeperWatcherFactory implements WatcherFactory<ZookeeperConfig> {
    /**
     * The watchers' client settings: a 30 s session; a new watcher reports an ensemble it cannot
     * reach after 10 s; reads wait for a lost connection to come back.
     */
    static final ZooKeeperClientSettings CLIENT_SETTINGS = new ZooKeeperClientSettings(
            Duration.ofSeconds(30), Duration.ofSeconds(10), true, null, "synapse-zookeeper");

    /**
     * The connections every factory created by {@link java.util.ServiceLoader} shares. In a holder
     * class, so that Curator is loaded only when a service uses ZooKeeper, not by {@code --check}
     * or other services.
     */
    static final class Shared {
        static final ZooKeeperClients CLIENTS = clients(CLIENT_SETTINGS);
    }

    private final Supplier<ZooKeeperClients> clients;

    public ZookeeperWatcherFactory() {
        this.clients = () -> Shared.CLIENTS;
    }

    /**
     * A factory whose watchers share the connections of {@code clients} instead of the process-wide
     * pool: for embedding several independent synapse instances in one JVM (the fleet simulation
     * runs a thousand, each with its own connection as separate hosts would have). Create the pool
     * with {@link #newClients()}; a connection closes when its last watcher stops.
     */
    public ZookeeperWatcherFactory(ZooKeeperClients clients) {
        requireNonNull(clients, "clients is null");
        this.clients = () -> clients;
    }

    /** A new, empty pool of connections with the watchers' client settings (see {@link #ZookeeperWatcherFactory(ZooKeeperClients)}). */
    public static ZooKeeperClients newClients() {
        return clients(CLIENT_SETTINGS);
    }

    /** A pool of connections whose state changes are logged with what they mean for the watchers. */
    static ZooKeeperClients clients(ZooKeeperClientSettings settings) {
        return new ZooKeeperClients(settings, state -> state == ConnectionState.SUSPENDED
                ? "keeping the last known backends"
                : state == ConnectionState.LOST ? "will re-read everything once reconnected (within resync_jitter)" : null);
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public Class<ZookeeperConfig> configClass() {
        return ZookeeperConfig.class;
    }

    @Override
    public void validate(ZookeeperConfig config, ConfigProblems problems) {
        Settings.validate(config, problems, false);
    }

    @Override
    public ServiceWatcher create(WatcherContext context, ZookeeperConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        return new ZookeeperWatcher(context, Settings.resolve(config, false), listener, clients.get());
    }
}
