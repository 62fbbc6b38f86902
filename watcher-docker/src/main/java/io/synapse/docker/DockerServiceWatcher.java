package io.synapse.docker;

import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * Publishes the containers of one or more Docker engines that a {@link Selector} picks, as one
 * service's backends. The engines are shared {@link DockerHost}s: this watcher only subscribes to
 * their copies of the containers, so a change reaches it from the engine's event stream without
 * any API call of its own.
 *
 * <p>The first snapshot waits until every engine was either read or found unreachable; after that
 * each change of one engine publishes the union (engines in config order, containers oldest first)
 * when the backends changed. An unreachable engine contributes its last good containers and is
 * reported with {@link WatcherListener#onFailure}; the other engines keep working.
 */
final class DockerServiceWatcher implements ServiceWatcher, DockerHost.Subscriber {
    private static final Logger LOG = LoggerFactory.getLogger(DockerServiceWatcher.class);

    private enum State { LATENT, STARTED, CLOSED }

    /**
     * One engine of the service.
     *
     * @param name the backends' name (Ruby {@code servers[].name}), or null for container names
     */
    record Target(Endpoint endpoint, String name) {
        Target {
            requireNonNull(endpoint, "endpoint is null");
        }
    }

    private final String service;
    private final List<Target> targets;
    private final Selector selector;
    private final double checkIntervalSeconds;
    private final WatcherListener listener;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final HostLeases leases = new HostLeases(this);

    // guarded by `this`
    private final Map<Endpoint, DockerHost.HostState> states = new HashMap<>();
    private final Set<String> warned = new HashSet<>();
    private List<Backend> published;
    private String reportedFailure;

    DockerServiceWatcher(String service, List<Target> targets, Selector selector, double checkIntervalSeconds, WatcherListener listener) {
        this.service = requireNonNull(service, "service is null");
        this.targets = List.copyOf(requireNonNull(targets, "targets is null"));
        this.selector = requireNonNull(selector, "selector is null");
        this.checkIntervalSeconds = checkIntervalSeconds;
        this.listener = requireNonNull(listener, "listener is null");
        if (this.targets.isEmpty()) {
            throw new IllegalArgumentException("no docker engine to watch");
        }
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        LOG.info("service {}: watching docker {} for {}", service,
                String.join(", ", targets.stream().map(t -> t.endpoint().uri().toString()).distinct().toList()), describeSelector());
        leases.subscribe(targets.stream().map(Target::endpoint).toList());
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        leases.close();
    }

    @Override
    public double checkIntervalSeconds() {
        return checkIntervalSeconds;
    }

    @Override
    public void onHostState(DockerHost.HostState hostState) {
        if (state.get() != State.STARTED) {
            return;
        }
        List<Backend> backends;
        boolean report;
        String failure;
        List<String[]> rejected = new ArrayList<>();
        synchronized (this) {
            states.put(hostState.endpoint(), hostState);
            failure = failures();
            boolean allTried = targets.stream().allMatch(t -> states.containsKey(t.endpoint()));
            boolean anyRead = states.values().stream().anyMatch(s -> s.containers() != null);
            backends = null;
            if (allTried && anyRead) {
                List<Backend> next = compute(rejected);
                boolean recovered = reportedFailure != null && failure == null;
                if (!next.equals(published) || recovered) {
                    published = next;
                    backends = next;
                }
            }
            // report a failure when it starts or changes, and again after a publish (which the engine
            // takes as the end of an episode) while an engine is still unreachable
            report = failure != null && (!failure.equals(reportedFailure) || backends != null);
            reportedFailure = failure;
        }
        for (String[] r : rejected) {
            listener.onRejected(r[0], r[1]);
        }
        if (backends != null) {
            listener.onBackends(backends);
        }
        if (report) {
            listener.onFailure(failure, null);
        }
    }

    /** Every current failure of this service's engines, or null. */
    private String failures() {
        List<String> failures = new ArrayList<>();
        for (Endpoint e : targets.stream().map(Target::endpoint).distinct().toList()) {
            DockerHost.HostState s = states.get(e);
            if (s != null && s.failure() != null) {
                failures.add(s.failure());
            }
        }
        return failures.isEmpty() ? null : String.join("; ", failures);
    }

    private List<Backend> compute(List<String[]> rejected) {
        Map<String, Backend> byIdentity = new LinkedHashMap<>();
        Set<String> skippedNow = new HashSet<>();
        for (Target t : targets) {
            DockerHost.HostState s = states.get(t.endpoint());
            if (s == null || s.containers() == null) {
                continue;
            }
            List<Backend> found = selector.backends(s.containers().values(), t.name(), t.endpoint().host(), (c, reason, warn) -> {
                String key = c.id() + " " + reason;
                skippedNow.add(key);
                if (!warn) {
                    LOG.debug("service {}: container {} ({}) on {} is not a backend: {}", service, c.name(), c.shortId(),
                            t.endpoint().uri(), reason);
                } else if (warned.add(key)) {
                    LOG.warn("service {}: skipping container {} ({}) on {}: {}", service, c.name(), c.shortId(),
                            t.endpoint().uri(), reason);
                    rejected.add(new String[] {"container " + c.name() + " (" + c.shortId() + ") on " + t.endpoint().uri(), reason});
                }
            });
            for (Backend b : found) {
                byIdentity.putIfAbsent(b.identity(), b);
            }
        }
        warned.retainAll(skippedNow);
        return List.copyOf(byIdentity.values());
    }

    private String describeSelector() {
        List<String> parts = new ArrayList<>();
        if (selector.image() != null) {
            parts.add("image " + selector.image());
        }
        selector.labels().forEach((k, v) -> parts.add("label " + (v == null ? k : k + "=" + RegistryValues.quote(v))));
        if (selector.containerPortLabel() != null) {
            parts.add("port from label " + selector.containerPortLabel()
                    + (selector.containerPort() == null ? "" : " (else " + selector.containerPort() + ")"));
        } else {
            parts.add("port " + selector.containerPort());
        }
        if (selector.network() != null) {
            parts.add("on network " + selector.network());
        }
        return String.join(", ", parts);
    }
}
