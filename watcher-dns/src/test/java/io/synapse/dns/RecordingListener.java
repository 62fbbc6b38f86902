package io.synapse.dns;

import io.synapse.spi.Backend;
import io.synapse.spi.WatcherListener;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A listener that keeps every snapshot and failure it receives. */
final class RecordingListener implements WatcherListener {
    final List<List<Backend>> snapshots = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<String> rejected = new CopyOnWriteArrayList<>();

    @Override
    public void onBackends(List<Backend> backends) {
        snapshots.add(backends);
    }

    @Override
    public void onRejected(String registration, String reason) {
        rejected.add(registration + ": " + reason);
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        failures.add(message);
    }

    /** The last snapshot, or null when none arrived. */
    List<Backend> last() {
        return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
    }

    /** {@code name@host:port} of each backend of the last snapshot, in order; null before the first. */
    List<String> lastAddresses() {
        List<Backend> last = last();
        return last == null ? null : last.stream().map(Backend::toString).toList();
    }

    String lastFailure() {
        return failures.isEmpty() ? null : failures.get(failures.size() - 1);
    }
}
