package io.synapse.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.config.DidYouMean;
import io.synapse.common.config.JsonFields;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/** {@link WatcherFactories} over the loaded plugins: binds child sections as {@link ConfigLoader} binds {@code discovery}. */
final class PluginWatcherFactories implements WatcherFactories {
    private final Map<String, WatcherFactory<?>> watchers;
    private final Set<String> methods;

    PluginWatcherFactories(Map<String, WatcherFactory<?>> watchers) {
        this.watchers = requireNonNull(watchers, "watchers is null");
        this.methods = Collections.unmodifiableSet(new TreeSet<>(watchers.keySet()));
    }

    @Override
    public Set<String> methods() {
        return methods;
    }

    @Override
    public Child bind(JsonNode section, ConfigProblems problems) {
        requireNonNull(section, "section is null");
        requireNonNull(problems, "problems is null");
        int before = problems.size();
        if (!section.isObject()) {
            problems.add("", "expected an object with a method, got " + JsonFields.describe(section));
            return null;
        }
        JsonFields fields = JsonFields.of(section, problems);
        String method = fields.requiredString("method");
        List<LabelFilter> filters = ConfigLoader.labelFilters(fields);
        if (method == null) {
            return null;
        }
        WatcherFactory<?> factory = watchers.get(method);
        if (factory == null) {
            problems.add("method", "unknown method \"" + method + "\"" + DidYouMean.suggest(method, methods)
                    + " (installed: " + String.join(", ", methods) + ")");
            return null;
        }
        Object config = ConfigLoader.bindWatcherConfig(factory, section, problems);
        if (config == null || problems.size() > before) {
            return null;
        }
        return new BoundChild<>(cast(factory), config, filters);
    }

    @SuppressWarnings("unchecked")
    private static <C> WatcherFactory<C> cast(WatcherFactory<?> factory) {
        return (WatcherFactory<C>) factory;
    }

    private record BoundChild<C>(WatcherFactory<C> factory, Object config, List<LabelFilter> filters) implements Child {
        BoundChild {
            filters = List.copyOf(filters);
        }

        @Override
        public String method() {
            return factory.name();
        }

        @SuppressWarnings("unchecked")
        @Override
        public boolean providesPorts() {
            return factory.providesPorts((C) config);
        }

        @SuppressWarnings("unchecked")
        @Override
        public ServiceWatcher create(WatcherContext context, WatcherListener listener) {
            requireNonNull(context, "context is null");
            requireNonNull(listener, "listener is null");
            return factory.create(context, (C) config, filters.isEmpty() ? listener : new Filtered(listener, filters));
        }
    }

    /** Applies a child's own label filters before its snapshots reach the composite. */
    private record Filtered(WatcherListener delegate, List<LabelFilter> filters) implements WatcherListener {
        @Override
        public void onBackends(List<Backend> backends) {
            delegate.onBackends(backends.stream().filter(b -> filters.stream().allMatch(f -> f.test(b))).toList());
        }

        @Override
        public void onGeneratorConfig(Map<String, JsonNode> generatorConfig) {
            delegate.onGeneratorConfig(generatorConfig);
        }

        @Override
        public void onRejected(String registration, String reason) {
            delegate.onRejected(registration, reason);
        }

        @Override
        public void onFailure(String message, Throwable cause) {
            delegate.onFailure(message, cause);
        }
    }
}
