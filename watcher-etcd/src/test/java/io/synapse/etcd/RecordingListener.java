package io.synapse.etcd;

import io.synapse.spi.Backend;
import io.synapse.spi.WatcherListener;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A listener that keeps every snapshot and failure it receives. */
final class RecordingListener implements WatcherListener {
    final List<List<Backend>> snapshots = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<Throwable> causes = new CopyOnWriteArrayList<>();
    /** {@code registration: reason} of each onRejected. */
    final List<String> rejected = new CopyOnWriteArrayList<>();

    @Override
    public void onRejected(String registration, String reason) {
        rejected.add(registration + ": " + reason);
    }

    @Override
    public void onBackends(List<Backend> backends) {
        snapshots.add(backends);
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        failures.add(message);
        if (cause != null) {
            causes.add(cause);
        }
    }

    /** The last snapshot, or null when none arrived. */
    List<Backend> last() {
        return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
    }

    /** {@code host:port} (with {@code name@} when named) of each backend of the last snapshot, in order. */
    List<String> lastAddresses() {
        List<Backend> last = last();
        return last == null ? null : last.stream().map(Backend::toString).toList();
    }
}
