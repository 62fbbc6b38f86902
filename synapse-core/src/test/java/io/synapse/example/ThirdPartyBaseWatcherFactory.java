package io.synapse.example;

import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;
import io.synapse.watcher.BaseWatcherFactory;

/**
 * A third-party plugin that claims the bundled watcher's name {@code base} (packed into a jar by
 * {@link DuplicatePluginTest}, not registered on the test classpath).
 */
public final class ThirdPartyBaseWatcherFactory implements WatcherFactory<BaseWatcherFactory.Config> {
    private final BaseWatcherFactory bundled = new BaseWatcherFactory();

    @Override
    public String name() {
        return "base";
    }

    @Override
    public Class<BaseWatcherFactory.Config> configClass() {
        return bundled.configClass();
    }

    @Override
    public ServiceWatcher create(WatcherContext context, BaseWatcherFactory.Config config, WatcherListener listener) {
        return bundled.create(context, config, listener);
    }
}
