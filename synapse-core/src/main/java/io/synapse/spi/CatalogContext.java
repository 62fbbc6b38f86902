package io.synapse.spi;

import static java.util.Objects.requireNonNull;

/**
 * What a catalog knows about where it runs.
 *
 * @param catalogName the catalog's key under {@code catalogs}
 * @param configPath the JSON path of its section, for messages ({@code catalogs.local})
 */
public record CatalogContext(String catalogName, String configPath) {
    public CatalogContext {
        requireNonNull(catalogName, "catalogName is null");
        requireNonNull(configPath, "configPath is null");
    }
}
