package io.synapse.spi;

import io.synapse.common.config.ConfigProblems;

/**
 * A catalog plugin: a source of whole service definitions (Docker containers labelled as
 * services, Marathon apps of a group...), found with {@link java.util.ServiceLoader} under {@code
 * META-INF/services/io.synapse.spi.CatalogFactory} and chosen by {@code catalogs.<name>.method}.
 *
 * <p>The catalog's section, less {@code method} and {@code haproxy} (defaults the engine applies to
 * every service the catalog publishes), binds onto {@link #configClass()} exactly as a watcher's
 * {@code discovery} section does: snake_case keys onto a record, unknown keys are errors.
 *
 * @param <C> the config record
 */
public interface CatalogFactory<C> {
    /** The {@code method} this factory serves, for example {@code "docker"}. */
    String name();

    /** The record the catalog's section binds to. */
    Class<C> configClass();

    /** Checks a bound config beyond its types; paths are relative to the catalog's section. */
    default void validate(C config, ConfigProblems problems) {}

    /** Creates the catalog; it must not touch the network before {@link Catalog#start()}. */
    Catalog create(CatalogContext context, C config, CatalogListener listener);
}
