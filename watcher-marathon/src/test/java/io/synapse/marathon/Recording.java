package io.synapse.marathon;

import io.synapse.spi.Backend;
import io.synapse.spi.CatalogListener;
import io.synapse.spi.ServiceDefinition;
import io.synapse.spi.WatcherListener;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a watcher or a catalog publishes. */
final class Recording implements WatcherListener, CatalogListener {
    final List<List<Backend>> snapshots = new CopyOnWriteArrayList<>();
    final List<List<ServiceDefinition>> sets = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<String> rejected = new CopyOnWriteArrayList<>();

    @Override
    public void onBackends(List<Backend> backends) {
        snapshots.add(List.copyOf(backends));
    }

    @Override
    public void onServices(List<ServiceDefinition> services) {
        sets.add(List.copyOf(services));
    }

    @Override
    public void onRejected(String registration, String reason) {
        rejected.add(registration + ": " + reason);
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        failures.add(message);
    }

    /** The last snapshot as {@code name@host:port} strings; empty before the first. */
    List<String> last() {
        if (snapshots.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        snapshots.get(snapshots.size() - 1).forEach(b -> out.add(b.toString()));
        return out;
    }

    /** The last set's service names. */
    List<String> names() {
        if (sets.isEmpty()) {
            return List.of();
        }
        return sets.get(sets.size() - 1).stream().map(ServiceDefinition::name).toList();
    }

    ServiceDefinition service(String name) {
        return sets.get(sets.size() - 1).stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no service " + name + " in " + names()));
    }
}
