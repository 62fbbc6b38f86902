package io.synapse.engine;

import io.synapse.spi.Backend;

import java.time.Instant;
import java.util.List;

/**
 * One service as the status page shows it: a consistent snapshot.
 *
 * @param method the discovery method
 * @param catalog the catalog that defined the service, or {@code null} for the config file's
 * @param backends the backends the generators get (rules, label filters and leader election applied)
 * @param initialized whether the watcher delivered its first snapshot
 * @param failing whether the watcher's last word was a failure (the last good backends are kept)
 * @param lastError the last failure's message, or {@code null}
 * @param lastErrorAt when it was reported, or {@code null}
 * @param failures how many failures the watcher reported
 * @param lastEventAt the watcher's last snapshot, changed or not, or {@code null}
 * @param lastChangeAt when the backends last changed (the first snapshot counts), or {@code null}
 * @param rejected how many registrations the watcher skipped as invalid
 * @param lastRejected the last skipped registration and why, or {@code null}
 */
public record ServiceStatus(
        String name,
        String method,
        String catalog,
        List<Backend> backends,
        boolean initialized,
        boolean failing,
        String lastError,
        Instant lastErrorAt,
        long failures,
        Instant lastEventAt,
        Instant lastChangeAt,
        long rejected,
        String lastRejected) {
    public ServiceStatus {
        backends = List.copyOf(backends);
    }

    /** {@code up}, {@code failing} or {@code starting} (no first snapshot yet). */
    public String watcherState() {
        return failing ? "failing" : initialized ? "up" : "starting";
    }
}
