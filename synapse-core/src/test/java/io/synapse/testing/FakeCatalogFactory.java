package io.synapse.testing;

import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.Catalog;
import io.synapse.spi.CatalogContext;
import io.synapse.spi.CatalogFactory;
import io.synapse.spi.CatalogListener;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A catalog the test drives by hand: {@code "catalogs": {"c": {"method": "fake", "id": "x"}}},
 * then {@code FakeCatalogFactory.listener("x").onServices(...)}.
 */
public final class FakeCatalogFactory implements CatalogFactory<FakeCatalogFactory.Config> {
    private static final Map<String, CatalogListener> LISTENERS = new ConcurrentHashMap<>();
    private static final Map<String, Boolean> CLOSED = new ConcurrentHashMap<>();

    public record Config(String id) {}

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
    public Catalog create(CatalogContext context, Config config, CatalogListener listener) {
        return new Catalog() {
            @Override
            public void start() {
                CLOSED.put(config.id(), false);
                LISTENERS.put(config.id(), listener);
            }

            @Override
            public void close() {
                CLOSED.put(config.id(), true);
            }
        };
    }

    public static CatalogListener listener(String id) {
        CatalogListener l = LISTENERS.get(id);
        if (l == null) {
            throw new AssertionError("no fake catalog '" + id + "' was started");
        }
        return l;
    }

    public static boolean started(String id) {
        return LISTENERS.containsKey(id);
    }

    public static boolean closed(String id) {
        return CLOSED.getOrDefault(id, false);
    }
}
