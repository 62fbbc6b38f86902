package io.synapse.testing;

import io.synapse.spi.Backend;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A watcher the test drives by hand: {@code "discovery": {"method": "fake", "id": "x"}}, then
 * {@code FakeWatcherFactory.listener("x").onBackends(...)}. A hand-written fake in place of a
 * registry, for engine and generator tests.
 */
public final class FakeWatcherFactory implements WatcherFactory<FakeWatcherFactory.Config> {
    private static final Map<String, WatcherListener> LISTENERS = new ConcurrentHashMap<>();
    private static final Map<String, Boolean> CLOSED = new ConcurrentHashMap<>();

    public record Config(String id, List<String> initial) {}

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public Class<Config> configClass() {
        return Config.class;
    }

    @Override
    public void validate(Config config, ConfigProblems problems) {
        if (config.id() == null) {
            problems.add("id", "is required");
        }
    }

    @Override
    public ServiceWatcher create(WatcherContext context, Config config, WatcherListener listener) {
        return new ServiceWatcher() {
            @Override
            public void start() {
                CLOSED.put(config.id(), false);
                LISTENERS.put(config.id(), listener);
                if (config.initial() != null) {
                    listener.onBackends(config.initial().stream().map(FakeWatcherFactory::parse).toList());
                }
            }

            @Override
            public void close() {
                CLOSED.put(config.id(), true);
            }
        };
    }

    /** The listener of the started fake watcher with this id. */
    public static WatcherListener listener(String id) {
        WatcherListener l = LISTENERS.get(id);
        if (l == null) {
            throw new AssertionError("no fake watcher '" + id + "' was started");
        }
        return l;
    }

    public static boolean started(String id) {
        return LISTENERS.containsKey(id);
    }

    public static boolean closed(String id) {
        return CLOSED.getOrDefault(id, false);
    }

    /** {@code "name@host:port"} or {@code "host:port"}. */
    public static Backend parse(String spec) {
        String name = null;
        int at = spec.indexOf('@');
        if (at >= 0) {
            name = spec.substring(0, at);
            spec = spec.substring(at + 1);
        }
        int colon = spec.lastIndexOf(':');
        return Backend.of(name, spec.substring(0, colon), Integer.parseInt(spec.substring(colon + 1)));
    }

    public static List<Backend> backends(String... specs) {
        return java.util.Arrays.stream(specs).map(FakeWatcherFactory::parse).toList();
    }
}
