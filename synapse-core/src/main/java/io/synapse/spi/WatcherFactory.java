package io.synapse.spi;

import io.synapse.common.config.ConfigProblems;
/**
 * A watcher plugin, found with {@link java.util.ServiceLoader} and chosen by {@code
 * discovery.method}. Register an implementation in {@code
 * META-INF/services/io.synapse.spi.WatcherFactory}.
 *
 * <p>The {@code discovery} section (without {@code method}, {@code label_filters} and {@code
 * label_filter}, which the engine handles) is bound by Jackson onto {@link #configClass()}: a
 * record whose components are named in camelCase for the snake_case keys ({@code ca_file} binds
 * {@code caFile}). Unknown keys are errors. Absent keys bind to {@code null}; apply defaults in
 * the factory. A plugin that wants dependency injection builds its own Guice injector in {@link
 * #create}; the core does not force it on anyone.
 *
 * @param <C> the config record
 */
public interface WatcherFactory<C> {
    /** The {@code discovery.method} this factory serves, for example {@code "zookeeper"}. */
    String name();

    /** The record the {@code discovery} section binds to. */
    Class<C> configClass();

    /**
     * Checks a bound config beyond what its types say (required keys, ranges). Report each problem
     * with a path relative to the {@code discovery} section, e.g. {@code problems.add("hosts",
     * "must not be empty")}.
     */
    default void validate(C config, ConfigProblems problems) {}

    /**
     * Whether the backends this watcher finds carry their real ports. A watcher that cannot know
     * them (EC2 instances have no port) returns false, and the engine then requires the service to
     * set {@code backend_port_override} (or {@code haproxy.server_port_override}).
     */
    default boolean providesPorts(C config) {
        return true;
    }

    /** Creates a watcher; it must not touch the network before {@link ServiceWatcher#start()}. */
    ServiceWatcher create(WatcherContext context, C config, WatcherListener listener);
}
