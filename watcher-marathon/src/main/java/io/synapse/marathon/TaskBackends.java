package io.synapse.marathon;

import io.synapse.spi.Backend;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A service's backends from its app's tasks: tasks that run (started, not staging, killing or
 * gone), that pass Marathon's health checks when the app has any (any check alive, Marathon-LB's
 * rule), reached at the port of {@code port_index}. Named after the task's agent host, as the
 * Ruby watcher does; ordered by host and port; one backend per address.
 *
 * <p>A task without a port at {@code port_index}, or whose address is not a valid host, is
 * skipped, logged and reported to {@link WatcherListener#onRejected} once (until it is gone or
 * fixed).
 */
final class TaskBackends {
    private final String service;
    private final int portIndex;
    private final Logger log;
    private final WatcherListener listener;
    private Set<String> reported = new HashSet<>();

    TaskBackends(String service, int portIndex, Logger log, WatcherListener listener) {
        this.service = service;
        this.portIndex = portIndex;
        this.log = log;
        this.listener = listener;
    }

    /** @param healthChecked whether the app has health checks (unknown apps: false) */
    List<Backend> backends(String appId, List<MarathonApp.Task> tasks, boolean healthChecked) {
        List<Backend> out = new ArrayList<>();
        Set<String> addresses = new HashSet<>();
        Set<String> stillReported = new HashSet<>();
        List<MarathonApp.Task> sorted = new ArrayList<>(tasks);
        sorted.sort(Comparator.comparing(MarathonApp.Task::host).thenComparing(t -> portIndex < t.ports().size() ? t.ports().get(portIndex) : 0)
                .thenComparing(MarathonApp.Task::id));
        for (MarathonApp.Task task : sorted) {
            if (!task.running() || (healthChecked && !Boolean.TRUE.equals(task.alive()))) {
                continue;
            }
            if (portIndex >= task.ports().size()) {
                String problem = "it has no port at port_index " + portIndex + " (ports: " + task.ports() + ")";
                if (reportOnce(task.id() + problem, stillReported)) {
                    log.error("service {}: skipping task {} of app {}: {}", service, task.id(), appId, problem);
                    listener.onRejected("task " + task.id() + " of app " + appId, problem);
                }
                continue;
            }
            Backend backend;
            try {
                backend = Backend.builder(task.host(), task.ports().get(portIndex)).name(task.agentHost().isEmpty() ? null : task.agentHost()).build();
            } catch (IllegalArgumentException e) {
                if (reportOnce(task.id() + e.getMessage(), stillReported)) {
                    log.warn("service {}: skipping task {} of app {}: {}", service, task.id(), appId, e.getMessage());
                    listener.onRejected("task " + task.id() + " of app " + appId, e.getMessage());
                }
                continue;
            }
            if (addresses.add(backend.address())) {
                out.add(backend);
            }
        }
        reported = stillReported;
        return out;
    }

    private boolean reportOnce(String key, Set<String> stillReported) {
        stillReported.add(key);
        return !reported.contains(key);
    }
}
