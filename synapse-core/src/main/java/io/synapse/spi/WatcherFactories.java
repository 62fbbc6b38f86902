package io.synapse.spi;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.ConfigProblems;

import java.util.Set;

/**
 * The installed watcher plugins, for a watcher made of other watchers ({@code multi}, {@code
 * zookeeper_dns}): it binds a child section with the plugin of its {@code method} and creates the
 * child watcher, so that the composite needs no compile-time dependency on any other plugin.
 *
 * <p>A {@link WatcherFactory} that builds children also implements {@link Aware}; the plugin loader
 * calls {@link Aware#setWatcherFactories} once, with every installed plugin (the factory itself
 * included), before any {@code validate}, {@code providesPorts} or {@code create}. Factories that
 * do not implement {@link Aware} see nothing of this.
 */
public interface WatcherFactories {
    /** The installed {@code method}s, sorted. */
    Set<String> methods();

    /**
     * Binds a child section exactly as the engine binds a service's {@code discovery} section:
     * {@code method} chooses the installed plugin, the other keys bind onto its config record
     * (unknown keys are errors) and its {@code validate} runs. The section's {@code label_filters}
     * (or {@code label_filter}) apply to what this child publishes. Problems are reported with
     * paths relative to {@code problems}: pass {@code problems.at("watchers.primary")} and a bad
     * host reads {@code services.api.discovery.watchers.primary.hosts: ...}.
     *
     * @return the bound child, or null when there were problems (all of them reported)
     */
    Child bind(JsonNode section, ConfigProblems problems);

    /** A bound and validated child section; immutable, may be used for any number of watchers. */
    interface Child {
        /** The child's {@code method}. */
        String method();

        /** As {@link WatcherFactory#providesPorts}, for this child's config. */
        boolean providesPorts();

        /**
         * Creates the child watcher as {@link WatcherFactory#create} does; it publishes to {@code
         * listener} (through the child's label filters) and does nothing before {@code start()}.
         */
        ServiceWatcher create(WatcherContext context, WatcherListener listener);
    }

    /** Implemented by a {@link WatcherFactory} that builds child watchers. */
    interface Aware {
        /** Called once by the plugin loader, before the factory is used. */
        void setWatcherFactories(WatcherFactories factories);
    }
}
