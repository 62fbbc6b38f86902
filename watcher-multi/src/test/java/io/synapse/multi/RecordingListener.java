package io.synapse.multi;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.spi.Backend;
import io.synapse.spi.WatcherListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a watcher publishes, in order. */
final class RecordingListener implements WatcherListener {
    final List<List<Backend>> snapshots = new CopyOnWriteArrayList<>();
    final List<Map<String, JsonNode>> configs = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<String> rejected = new CopyOnWriteArrayList<>();
    /** Every call in order: {@code backends [...]}, {@code failure ...}, {@code config ...}. */
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void onBackends(List<Backend> backends) {
        snapshots.add(List.copyOf(backends));
        events.add("backends " + hosts(backends));
    }

    @Override
    public void onGeneratorConfig(Map<String, JsonNode> generatorConfig) {
        configs.add(Map.copyOf(generatorConfig));
        events.add("config " + generatorConfig);
    }

    @Override
    public void onRejected(String registration, String reason) {
        rejected.add(registration + ": " + reason);
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        failures.add(message);
        events.add("failure " + message);
    }

    /** The hosts:ports of the last snapshot, or null before the first. */
    List<String> last() {
        return snapshots.isEmpty() ? null : hosts(snapshots.get(snapshots.size() - 1));
    }

    String lastFailure() {
        return failures.isEmpty() ? null : failures.get(failures.size() - 1);
    }

    /** Whether the last call was a failure (the engine then keeps the last set). */
    boolean failing() {
        return !events.isEmpty() && events.get(events.size() - 1).startsWith("failure ");
    }

    static List<String> hosts(List<Backend> backends) {
        List<String> out = new ArrayList<>();
        for (Backend b : backends) {
            out.add((b.name() == null ? "" : b.name() + "@") + b.host() + ":" + b.port());
        }
        return out;
    }
}
