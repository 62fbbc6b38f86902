package io.synapse.config;

import io.synapse.spi.CatalogFactory;
import io.synapse.spi.GeneratorFactory;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The installed watcher, generator and catalog plugins: everything on the classpath plus every
 * jar under a plugins directory, found with {@link ServiceLoader}.
 *
 * <p>Two plugins with the same name are an error naming both, each with the jar (or directory) that
 * registers it: two different classes (a third-party {@code etcd} watcher beside the bundled one),
 * and also the same class registered by two jars (an old and a new version of a plugin jar side by
 * side), which {@link ServiceLoader} would otherwise silently reduce to whichever jar comes first.
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

    /**
     * The plugins {@code loader} can see.
     *
     * @throws PluginException when a plugin cannot be loaded or two plugins have the same name
     */
    public static Plugins load(ClassLoader loader) {
        try {
            @SuppressWarnings({"unchecked", "rawtypes"})
            Map<String, WatcherFactory<?>> watchers = (Map) byName("watcher", WatcherFactory.class, loader, WatcherFactory::name);
            Map<String, GeneratorFactory> generators = byName("generator", GeneratorFactory.class, loader, GeneratorFactory::name);
            @SuppressWarnings({"unchecked", "rawtypes"})
            Map<String, CatalogFactory<?>> catalogs = (Map) byName("catalog", CatalogFactory.class, loader, CatalogFactory::name);
            // composites (multi, zookeeper_dns) build their children with the plugins loaded here
            PluginWatcherFactories all = new PluginWatcherFactories(Collections.unmodifiableMap(watchers));
            for (WatcherFactory<?> f : watchers.values()) {
                if (f instanceof WatcherFactories.Aware aware) {
                    aware.setWatcherFactories(all);
                }
            }
            return new Plugins(watchers, generators, catalogs, all);
        } catch (ServiceConfigurationError e) {
            throw new PluginException("a plugin could not be loaded: " + e.getMessage(), e);
        }
    }

    private static <T> Map<String, T> byName(String kind, Class<T> spi, ClassLoader loader, Function<T, String> name) {
        Map<String, List<String>> sources = registrations(spi, loader);
        Map<String, T> plugins = new TreeMap<>();
        Map<String, List<String>> claims = new TreeMap<>();
        for (T plugin : ServiceLoader.load(spi, loader)) {
            String n = name.apply(plugin);
            plugins.putIfAbsent(n, plugin);
            String type = plugin.getClass().getName();
            List<String> where = sources.getOrDefault(type, List.of(location(plugin.getClass())));
            for (String w : where) {
                claims.computeIfAbsent(n, k -> new ArrayList<>()).add(type + " (" + w + ")");
            }
        }
        List<String> conflicts = new ArrayList<>();
        claims.forEach((n, who) -> {
            if (who.size() > 1) {
                conflicts.add("two " + kind + " plugins named \"" + n + "\": " + String.join(" and ", who));
            }
        });
        if (!conflicts.isEmpty()) {
            throw new PluginException(String.join("; ", conflicts)
                    + "; remove one of the jars (third-party plugins are in the plugins directory)");
        }
        return plugins;
    }

    /** Provider class name to the jars or directories whose {@code META-INF/services} list it. */
    private static Map<String, List<String>> registrations(Class<?> spi, ClassLoader loader) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        String resource = "META-INF/services/" + spi.getName();
        try {
            Enumeration<URL> files = loader.getResources(resource);
            while (files.hasMoreElements()) {
                URL file = files.nextElement();
                String where = origin(file, resource);
                try (BufferedReader r = new BufferedReader(new InputStreamReader(file.openStream(), StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        int hash = line.indexOf('#');
                        String type = (hash >= 0 ? line.substring(0, hash) : line).trim();
                        if (!type.isEmpty()) {
                            out.computeIfAbsent(type, k -> new LinkedHashSet<>()).add(where);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
        return out.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    }

    /** The jar or directory a resource comes from, as a path when it is a local file. */
    private static String origin(URL url, String resource) {
        String s = url.toString();
        if (s.startsWith("jar:") && s.contains("!/")) {
            s = s.substring("jar:".length(), s.indexOf("!/"));
        } else if (s.endsWith("/" + resource)) {
            s = s.substring(0, s.length() - resource.length() - 1);
        }
        return path(s);
    }

    private static String location(Class<?> type) {
        var source = type.getProtectionDomain().getCodeSource();
        return source == null || source.getLocation() == null ? "unknown location" : path(source.getLocation().toString());
    }

    private static String path(String url) {
        try {
            return url.startsWith("file:") ? Path.of(new URL(url).toURI()).toString() : url;
        } catch (MalformedURLException | URISyntaxException | IllegalArgumentException e) {
            return url;
        }
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
