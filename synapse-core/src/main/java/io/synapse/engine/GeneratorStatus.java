package io.synapse.engine;

import java.time.Instant;

/**
 * One generator as the status page shows it.
 *
 * @param failing whether its last update failed (it is retried with backoff)
 * @param lastError the last failure's message, or {@code null}
 * @param lastErrorAt when, or {@code null}
 * @param lastSuccessAt its last successful update, or {@code null}
 */
public record GeneratorStatus(String name, boolean failing, String lastError, Instant lastErrorAt, Instant lastSuccessAt) {}
