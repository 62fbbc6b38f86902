package io.synapse.docker;

import io.synapse.common.log.Changes;
import io.synapse.spi.Catalog;
import io.synapse.spi.CatalogListener;
import io.synapse.spi.ServiceDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * Services from container labels. A container labelled {@code <prefix>.service=web} belongs to the
 * service {@code web}; {@code <prefix>.port} is its container port (read per container by the
 * service's watcher), {@code <prefix>.frontend_port} the service's HAProxy port and {@code
 * <prefix>.mode} ({@code http} or {@code tcp}) its mode. A service exists while at least one of its
 * containers is eligible (running, not paused, healthy when it has a health check) on one of the
 * catalog's engines.
 *
 * <p>Each service is defined as
 * <pre>{"discovery": {"method": "docker", &lt;the catalog's engines&gt;, "labels": ["&lt;prefix&gt;.service=web"],
 *                "container_port_label": "&lt;prefix&gt;.port"},
 * "haproxy": {"port": &lt;frontend_port&gt;, "listen": ["mode &lt;mode&gt;"]}}</pre>
 * so its backends come from the same shared engine connection and event stream as the catalog. A
 * new set is published only when a definition changes (a service appears or goes, or its frontend
 * port or mode changes), not on every container change. When the containers of one service
 * disagree on the frontend port or mode, the oldest container's labels win (with one warning).
 */
final class DockerCatalog implements Catalog, DockerHost.Subscriber {
    private static final Logger LOG = LoggerFactory.getLogger(DockerCatalog.class);

    private enum State { LATENT, STARTED, CLOSED }

    private final String name;
    private final DockerCatalogConfig config;
    private final List<DockerServiceWatcher.Target> targets;
    private final CatalogListener listener;
    private final String prefix;
    private final LabelServices definitions;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final HostLeases leases = new HostLeases(this);

    // guarded by `this`
    private final Map<Endpoint, DockerHost.HostState> states = new HashMap<>();
    private final Set<String> warned = new HashSet<>();
    private List<ServiceDefinition> published;
    private String reportedFailure;

    DockerCatalog(String name, DockerCatalogConfig config, List<DockerServiceWatcher.Target> targets, CatalogListener listener) {
        this.name = requireNonNull(name, "name is null");
        this.config = requireNonNull(config, "config is null");
        this.targets = List.copyOf(requireNonNull(targets, "targets is null"));
        this.listener = requireNonNull(listener, "listener is null");
        this.prefix = config.labelPrefix() == null ? DockerCatalogFactory.DEFAULT_PREFIX : config.labelPrefix();
        this.definitions = new LabelServices(prefix, this.targets, config.checkInterval(), config.network());
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        LOG.info("catalog {}: services from labels {}.service and {}.port of the containers of docker {}", name, prefix, prefix,
                String.join(", ", targets.stream().map(t -> t.endpoint().uri().toString()).distinct().toList()));
        leases.subscribe(targets.stream().map(DockerServiceWatcher.Target::endpoint).toList());
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
        return config.checkInterval() == null ? DockerWatcherFactory.DEFAULT_CHECK_INTERVAL : config.checkInterval();
    }

    @Override
    public void onHostState(DockerHost.HostState hostState) {
        if (state.get() != State.STARTED) {
            return;
        }
        List<ServiceDefinition> services = null;
        boolean report;
        String failure;
        synchronized (this) {
            states.put(hostState.endpoint(), hostState);
            List<String> failures = new ArrayList<>();
            for (Endpoint e : targets.stream().map(DockerServiceWatcher.Target::endpoint).distinct().toList()) {
                DockerHost.HostState s = states.get(e);
                if (s != null && s.failure() != null) {
                    failures.add(s.failure());
                }
            }
            failure = failures.isEmpty() ? null : String.join("; ", failures);
            boolean allTried = targets.stream().allMatch(t -> states.containsKey(t.endpoint()));
            boolean anyRead = states.values().stream().anyMatch(s -> s.containers() != null);
            if (allTried && anyRead) {
                List<ServiceDefinition> next = definitions();
                boolean recovered = reportedFailure != null && failure == null;
                if (!next.equals(published) || recovered) {
                    if (published != null && !next.equals(published)) {
                        LOG.info("catalog {}: {}", name, Changes.summary(published.stream().map(ServiceDefinition::name).toList(),
                                next.stream().map(ServiceDefinition::name).toList(), "services"));
                    }
                    published = next;
                    services = next;
                }
            }
            report = failure != null && (!failure.equals(reportedFailure) || services != null);
            reportedFailure = failure;
        }
        if (services != null) {
            listener.onServices(services);
        }
        if (report) {
            listener.onFailure(failure, null);
        }
    }

    private List<ServiceDefinition> definitions() {
        Set<String> problemsNow = new HashSet<>();
        List<ServiceDefinition> out = definitions.define(states.values(), problem -> {
            problemsNow.add(problem);
            if (warned.add(problem)) {
                LOG.warn("catalog {}: {}", name, problem);
            }
        });
        warned.retainAll(problemsNow);
        return out;
    }
}
