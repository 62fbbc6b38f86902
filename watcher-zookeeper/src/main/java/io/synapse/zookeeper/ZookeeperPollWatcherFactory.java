package io.synapse.zookeeper;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * {@code discovery.method: zookeeper_poll}: reads the children of {@code path} every {@code
 * polling_interval_sec} (default 60) instead of setting watches; useful when thousands of hosts
 * watching the same path would make a change fan out to all of them at once.
 */
public final class ZookeeperPollWatcherFactory implements WatcherFactory<ZookeeperConfig> {
    private final Supplier<ZooKeeperClients> clients;

    public ZookeeperPollWatcherFactory() {
        this.clients = () -> ZookeeperWatcherFactory.Shared.CLIENTS;
    }

    ZookeeperPollWatcherFactory(ZooKeeperClients clients) {
        requireNonNull(clients, "clients is null");
        this.clients = () -> clients;
    }

    @Override
    public String name() {
        return "zookeeper_poll";
    }

    @Override
    public Class<ZookeeperConfig> configClass() {
        return ZookeeperConfig.class;
    }

    @Override
    public void validate(ZookeeperConfig config, ConfigProblems problems) {
        Settings.validate(config, problems, true);
    }

    @Override
    public ServiceWatcher create(WatcherContext context, ZookeeperConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        return new ZookeeperWatcher(context, Settings.resolve(config, true), listener, clients.get());
    }
}
