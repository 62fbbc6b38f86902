package io.synapse.zookeeper;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.spi.Backend;
import io.synapse.spi.WatcherListener;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects what a watcher publishes. */
final class RecordingListener implements WatcherListener {
    final List<List<Backend>> snapshots = new CopyOnWriteArrayList<>();
    /** {@link System#nanoTime()} of each snapshot's arrival. */
    final List<Long> arrivals = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<Map<String, JsonNode>> configs = new CopyOnWriteArrayList<>();
    /** {@code registration: reason} of each onRejected. */
    final List<String> rejected = new CopyOnWriteArrayList<>();

    @Override
    public void onRejected(String registration, String reason) {
        rejected.add(registration + ": " + reason);
    }

    @Override
    public void onBackends(List<Backend> backends) {
        arrivals.add(System.nanoTime());
        snapshots.add(backends);
    }

    @Override
    public void onGeneratorConfig(Map<String, JsonNode> generatorConfig) {
        configs.add(generatorConfig);
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        failures.add(message);
    }

    /** The last snapshot, or {@code null} before the first. */
    List<Backend> latest() {
        return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
    }

    /** {@code host:port} of the last snapshot, in published order; empty before the first. */
    List<String> addresses() {
        List<Backend> latest = latest();
        return latest == null ? List.of() : latest.stream().map(Backend::address).toList();
    }

    Map<String, JsonNode> latestConfig() {
        return configs.isEmpty() ? null : configs.get(configs.size() - 1);
    }

    /** Whether an empty snapshot was ever published after a non-empty one. */
    boolean emptiedAfterFirstBackends() {
        boolean seen = false;
        for (List<Backend> s : snapshots) {
            if (!s.isEmpty()) {
                seen = true;
            } else if (seen) {
                return true;
            }
        }
        return false;
    }
}
