package io.synapse.engine;

import java.time.Instant;

/**
 * One catalog as the status page shows it.
 *
 * @param services how many services it defines now
 * @param initialized whether it delivered its first set
 * @param failing whether its last word was a failure (its services keep running)
 * @param lastError the last failure's message, or {@code null}
 * @param lastErrorAt when, or {@code null}
 */
public record CatalogStatus(String name, String method, int services, boolean initialized, boolean failing, String lastError,
        Instant lastErrorAt) {}
