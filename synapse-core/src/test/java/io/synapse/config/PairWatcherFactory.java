package io.synapse.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal composite for testing {@link WatcherFactories}: {@code {"method": "pair", "watchers":
 * {name: child section}}} publishes the concatenation of its children's latest sets. Loaded by
 * {@link WatcherFactoriesTest} only (not listed in this module's services file).
 */
public final class PairWatcherFactory implements WatcherFactory<PairWatcherFactory.Config>, WatcherFactories.Aware {
    public record Config(Map<String, JsonNode> watchers) {}

    private WatcherFactories factories;

    @Override
    public void setWatcherFactories(WatcherFactories factories) {
        this.factories = factories;
    }

    @Override
    public String name() {
        return "pair";
    }

    @Override
    public Class<Config> configClass() {
        return Config.class;
    }

    @Override
    public void validate(Config config, ConfigProblems problems) {
        children(config, problems);
    }

    @Override
    public boolean providesPorts(Config config) {
        return children(config, new ConfigProblems()).values().stream().allMatch(WatcherFactories.Child::providesPorts);
    }

    private Map<String, WatcherFactories.Child> children(Config config, ConfigProblems problems) {
        Map<String, WatcherFactories.Child> out = new LinkedHashMap<>();
        if (config.watchers() == null || config.watchers().isEmpty()) {
            problems.add("watchers", "is required");
            return out;
        }
        config.watchers().forEach((name, section) -> {
            WatcherFactories.Child child = factories.bind(section, problems.at("watchers." + name));
            if (child != null) {
                out.put(name, child);
            }
        });
        return out;
    }

    @Override
    public ServiceWatcher create(WatcherContext context, Config config, WatcherListener listener) {
        Map<String, List<Backend>> latest = new LinkedHashMap<>();
        List<ServiceWatcher> watchers = new ArrayList<>();
        children(config, new ConfigProblems()).forEach((name, child) -> {
            latest.put(name, null);
            watchers.add(child.create(new WatcherContext(context.serviceName(), context.configPath() + ".watchers." + name),
                    new WatcherListener() {
                        @Override
                        public void onBackends(List<Backend> backends) {
                            List<Backend> all = new ArrayList<>();
                            synchronized (latest) {
                                latest.put(name, backends);
                                latest.values().forEach(l -> {
                                    if (l != null) {
                                        all.addAll(l);
                                    }
                                });
                            }
                            listener.onBackends(all);
                        }

                        @Override
                        public void onFailure(String message, Throwable cause) {
                            listener.onFailure(name + ": " + message, cause);
                        }
                    }));
        });
        return new ServiceWatcher() {
            @Override
            public void start() {
                watchers.forEach(ServiceWatcher::start);
            }

            @Override
            public void close() {
                watchers.forEach(ServiceWatcher::close);
            }
        };
    }
}
