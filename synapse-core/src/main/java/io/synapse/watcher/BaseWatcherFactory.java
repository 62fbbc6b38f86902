package io.synapse.watcher;

import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.util.List;

/** {@code base}: no registry, only the service's {@code default_servers}. */
public final class BaseWatcherFactory implements WatcherFactory<BaseWatcherFactory.Config> {
    /** {@code base} takes no options. */
    public record Config() {}

    @Override
    public String name() {
        return "base";
    }

    @Override
    public Class<Config> configClass() {
        return Config.class;
    }

    @Override
    public ServiceWatcher create(WatcherContext context, Config config, WatcherListener listener) {
        return new BaseWatcher(listener);
    }

    private static final class BaseWatcher implements ServiceWatcher {
        private final WatcherListener listener;

        BaseWatcher(WatcherListener listener) {
            this.listener = listener;
        }

        @Override
        public void start() {
            // discovery finds nothing, so the default servers apply
            listener.onBackends(List.of());
        }

        @Override
        public void close() {}
    }
}
