package io.synapse.ec2tag;

import io.synapse.spi.Backend;
import io.synapse.spi.WatcherListener;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects what a watcher publishes. */
final class RecordingListener implements WatcherListener {
    private final List<List<Backend>> snapshots = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();

    @Override
    public void onBackends(List<Backend> backends) {
        snapshots.add(List.copyOf(backends));
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        failures.add(message);
    }

    List<List<Backend>> snapshots() {
        return List.copyOf(snapshots);
    }

    /** The latest snapshot, or null before the first. */
    List<Backend> last() {
        List<List<Backend>> all = snapshots();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** The latest snapshot as {@code name@host:port} strings, or null before the first. */
    List<String> lastStrings() {
        List<Backend> last = last();
        return last == null ? null : last.stream().map(Backend::toString).toList();
    }

    List<String> failures() {
        return List.copyOf(failures);
    }
}
