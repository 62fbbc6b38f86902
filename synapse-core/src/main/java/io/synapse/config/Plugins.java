package io.synapse.config;

import io.synapse.spi.CatalogFactory;
import io.synapse.spi.GeneratorFactory;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The installed watcher and generator plugins: everything on the classpath plus every jar under a
 * plugins directory, found with {@link ServiceLoader}.
 */
public final class Plugins {
    private static final Logger LOG = LoggerFactory.getLogger(Plugins.class);

    private final Map<String, WatcherFactory<?>> watchers;
    private final Map<String, GeneratorFactory> generators;
    private final Map<String, CatalogFactory<?>> catalogs;
    private final WatcherFactories watcherFactories;

    private Plugins(Map<String, WatcherFactory<?>> watchers, Map<String, GeneratorFactory> generators,
            Map<String, CatalogFactory<?>> catalogs, WatcherFactories watcherFactories) {
        this.watcherFactories = watcherFactories;
        this.watchers = Collections.unmodifiableMap(watchers);
        this.generators = Collections.unmodifiableMap(generators);
        this.catalogs = Collections.unmodifiableMap(catalogs);
    }

    /** Plugins on the classpath only. */
    public static Plugins fromClasspath() {
        return load(Plugins.class.getClassLoader());
    }

    /** Plugins on the classpath plus every {@code *.jar} below {@code dir} (if it exists). */
    public static Plugins fromClasspathAnd(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return fromClasspath();
        }
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".jar")).sorted()::iterator) {
                urls.add(p.toUri().toURL());
            }
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list plugins in " + dir, e);
        }
        if (urls.isEmpty()) {
            return fromClasspath();
        }
        LOG.info("loading {} plugin jar(s) from {}", urls.size(), dir);
        return load(new URLClassLoader(urls.toArray(URL[]::new), Plugins.class.getClassLoader()));
    }

    public static Plugins load(ClassLoader loader) {
        Map<String, WatcherFactory<?>> watchers = new TreeMap<>();
        Map<String, GeneratorFactory> generators = new TreeMap<>();
        Map<String, CatalogFactory<?>> catalogs = new TreeMap<>();
        try {
            for (WatcherFactory<?> f : ServiceLoader.load(WatcherFactory.class, loader)) {
                WatcherFactory<?> previous = watchers.putIfAbsent(f.name(), f);
                if (previous != null && previous.getClass() != f.getClass()) {
                    LOG.warn("two watcher plugins named {}: {} and {}; using the first", f.name(),
                            previous.getClass().getName(), f.getClass().getName());
                }
            }
            for (GeneratorFactory f : ServiceLoader.load(GeneratorFactory.class, loader)) {
                generators.putIfAbsent(f.name(), f);
            }
            for (CatalogFactory<?> f : ServiceLoader.load(CatalogFactory.class, loader)) {
                catalogs.putIfAbsent(f.name(), f);
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("a plugin could not be loaded: " + e.getMessage(), e);
        }
        // composites (multi, zookeeper_dns) build their children with the plugins loaded here
        PluginWatcherFactories all = new PluginWatcherFactories(Collections.unmodifiableMap(watchers));
        for (WatcherFactory<?> f : watchers.values()) {
            if (f instanceof WatcherFactories.Aware aware) {
                aware.setWatcherFactories(all);
            }
        }
        return new Plugins(watchers, generators, catalogs, all);
    }

    public Map<String, WatcherFactory<?>> watchers() {
        return watchers;
    }

    /** The installed watchers as composites see them (see {@link WatcherFactories.Aware}). */
    public WatcherFactories watcherFactories() {
        return watcherFactories;
    }

    public Map<String, GeneratorFactory> generators() {
        return generators;
    }

    public Map<String, CatalogFactory<?>> catalogs() {
        return catalogs;
    }
}
