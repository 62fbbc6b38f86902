package io.synapse.marathon;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * One Marathon app as read from {@code /v2/apps?embed=apps.tasks}: its definition and its tasks.
 *
 * @param definition what the catalog needs (everything but the tasks)
 * @param tasks the tasks, ordered by id
 */
record MarathonApp(Definition definition, List<Task> tasks) {
    /** Task states that never carry traffic (Marathon-LB's list): starting, stopping, gone, unknown. */
    static final Set<String> EXCLUDED_STATES = Set.of("TASK_STAGING", "TASK_STARTING", "TASK_KILLING", "TASK_FINISHED",
            "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN");

    MarathonApp {
        requireNonNull(definition, "definition is null");
        tasks = List.copyOf(tasks);
    }

    String id() {
        return definition.id();
    }

    /**
     * An app's definition.
     *
     * @param id the absolute app id ({@code /nginx2})
     * @param labels the app's labels
     * @param servicePorts the service ports by port index (null where none is defined)
     * @param healthChecks the health checks
     */
    record Definition(String id, Map<String, String> labels, List<Integer> servicePorts, List<HealthCheck> healthChecks) {
        Definition {
            requireNonNull(id, "id is null");
            labels = Collections.unmodifiableMap(new TreeMap<>(labels));
            servicePorts = Collections.unmodifiableList(new java.util.ArrayList<>(servicePorts));
            healthChecks = List.copyOf(healthChecks);
        }

        String label(String key) {
            return labels.get(key);
        }

        /** The health check for port index {@code n} (one with a fixed {@code port} counts for every index, as in Marathon-LB). */
        HealthCheck healthCheckFor(int n) {
            for (HealthCheck c : healthChecks) {
                if (c.port() != null || (c.portIndex() != null && c.portIndex() == n)) {
                    return c;
                }
            }
            return null;
        }
    }

    /** @param protocol {@code HTTP}, {@code TCP}, {@code MESOS_HTTP}...; portIndex and port may be null */
    record HealthCheck(String protocol, Integer portIndex, Integer port) {}

    /**
     * One task, with the address traffic goes to already chosen: the agent's host name and the
     * host ports, or under IP-per-task networking the task's own IP address and container ports.
     *
     * @param id the task id
     * @param agentHost the agent the task runs on (the Ruby watcher's server name)
     * @param host the address to connect to
     * @param ports the ports to connect to, by port index
     * @param state the Mesos task state, or null when Marathon did not say
     * @param started whether it has a {@code startedAt}
     * @param alive whether a health check result says it is alive; null when there is no result
     */
    record Task(String id, String agentHost, String host, List<Integer> ports, String state, boolean started, Boolean alive) {
        Task {
            requireNonNull(id, "id is null");
            ports = List.copyOf(ports);
        }

        /** Running as far as Marathon says: started, and not in a state that never carries traffic. */
        boolean running() {
            return started && (state == null || !EXCLUDED_STATES.contains(state));
        }
    }
}
