package io.synapse.zookeeper;

import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import static java.util.Objects.requireNonNull;

/**
 * {@code discovery.method: zookeeper}: watches the children of {@code path} with ZooKeeper
 * watches (no polling). All services on the same ensemble share one connection.
 */
public final class ZookeeperWatcherFactory implements WatcherFactory<ZookeeperConfig> {
    private final Ensembles ensembles;

    public ZookeeperWatcherFactory() {
        this(Ensembles.SHARED);
    }

    ZookeeperWatcherFactory(Ensembles ensembles) {
        this.ensembles = requireNonNull(ensembles, "ensembles is null");
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
        return new ZookeeperWatcher(context, Settings.resolve(config, false), listener, ensembles);
    }
}
