package io.synapse.ec2tag;

import io.synapse.spi.Backend;
import io.synapse.common.concurrent.SharedResources;
import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.log.Changes;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * The {@code ec2tag} watcher of one service: subscribes to the shared {@link Ec2Poller} of its
 * key and turns each instance list into backends (host from the configured address, port from
 * the port tag or the fixed port, name from the instance id or Name tag, the instance's tags as
 * labels). It publishes only when the set changed (and always the first time). An instance that
 * cannot become a backend is skipped with one warning, repeated only if its reason changes or it
 * comes back after being fine or gone.
 *
 * <p>What is missed: changes between two polls that revert before the next one; while
 * DescribeInstances fails, everything (the engine keeps the last good set).
 */
final class Ec2TagWatcher implements ServiceWatcher, Ec2Poller.Subscriber {
    private static final Logger log = LoggerFactory.getLogger(Ec2TagWatcher.class);

    private enum State { LATENT, STARTED, CLOSED }

    private final String service;
    private final Settings settings;
    private final WatcherListener listener;
    private final SharedResources<PollerKey, Ec2Poller> pollers;
    private Lease<PollerKey, Ec2Poller> poller; // guarded by this
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);

    // touched only from the poller's thread
    private List<Backend> published;
    private Map<String, String> warned = Map.of();
    private Set<String> nameWarned = Set.of();

    Ec2TagWatcher(String service, Settings settings, WatcherListener listener, SharedResources<PollerKey, Ec2Poller> pollers) {
        this.service = requireNonNull(service, "service is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.pollers = requireNonNull(pollers, "pollers is null");
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        if (settings.port() == null && settings.portTag() == null) {
            log.debug("service {}: ec2tag has no port or port_tag; backends carry placeholder port {} for backend_port_override to replace",
                    service, Settings.PLACEHOLDER_PORT);
        }
        try {
            synchronized (this) {
                if (state.get() != State.STARTED) {
                    return; // closed meanwhile
                }
                poller = pollers.acquire(settings.key());
                poller.get().subscribe(this);
            }
        } catch (RuntimeException e) {
            // building the SDK client failed: nothing will be polled; say so instead of throwing
            log.error("service {}: ec2tag {} could not start: {}", service, settings.key().describe(), e.toString());
            log.debug("service {}: start failure", service, e);
            listener.onFailure("ec2tag " + settings.key().describe() + " could not start: " + e, e);
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.STARTED) {
            Lease<PollerKey, Ec2Poller> lease;
            synchronized (this) {
                lease = poller;
                poller = null;
            }
            if (lease != null) {
                lease.get().unsubscribe(this);
                lease.close();
            }
        }
    }

    @Override
    public Duration interval() {
        return settings.interval();
    }

    @Override
    public void onInstances(List<Ec2Instance> instances) {
        if (state.get() != State.STARTED) {
            return;
        }
        List<Backend> backends = toBackends(instances);
        if (backends.equals(published)) {
            return;
        }
        logChange(published == null ? List.of() : published, backends);
        published = backends;
        listener.onBackends(backends);
    }

    @Override
    public void onPollFailure(String message, Throwable cause) {
        if (state.get() != State.STARTED) {
            return;
        }
        listener.onFailure(message, cause);
    }

    List<Backend> toBackends(List<Ec2Instance> instances) {
        Map<String, Backend> byIdentity = new LinkedHashMap<>();
        Map<String, String> problems = new HashMap<>();
        Set<String> badNames = new LinkedHashSet<>();
        for (Ec2Instance instance : instances) {
            String problem;
            try {
                problem = add(instance, byIdentity, badNames);
            } catch (IllegalArgumentException e) {
                problem = e.getMessage();
            }
            if (problem != null) {
                problems.put(instance.instanceId(), problem);
                if (!problem.equals(warned.get(instance.instanceId()))) {
                    log.warn("service {}: skipping instance {}: {}", service, RegistryValues.quote(instance.instanceId()), problem);
                }
            }
        }
        warned = problems;
        nameWarned = badNames;
        return List.copyOf(byIdentity.values());
    }

    /** Adds the instance's backend; returns why it cannot be one, or null. */
    private String add(Ec2Instance instance, Map<String, Backend> byIdentity, Set<String> badNames) {
        String host = switch (settings.address()) {
            case PRIVATE_IP -> instance.privateIp();
            case PUBLIC_IP -> instance.publicIp();
            case PRIVATE_DNS -> instance.privateDns();
            case PUBLIC_DNS -> instance.publicDns();
        };
        if (host == null) {
            return "no " + settings.address().key();
        }
        int port;
        if (settings.portTag() != null) {
            String value = instance.tags().get(settings.portTag());
            if (value == null) {
                return "no tag " + RegistryValues.quote(settings.portTag());
            }
            port = parsePort(value.strip());
            if (port < 0) {
                return "tag " + RegistryValues.quote(settings.portTag()) + " value " + RegistryValues.quote(value)
                        + ": expected an integer 1-65535";
            }
        } else if (settings.port() != null) {
            port = settings.port();
        } else {
            port = Settings.PLACEHOLDER_PORT;
        }
        String name = instance.instanceId();
        if (settings.serverName() == Settings.ServerName.NAME_TAG) {
            String tag = instance.tags().get("Name");
            String problem = tag == null ? "no Name tag" : RegistryValues.checkName(tag);
            if (problem == null) {
                name = tag;
            } else {
                badNames.add(instance.instanceId());
                if (!nameWarned.contains(instance.instanceId())) {
                    log.warn("service {}: instance {}: {}; named after its id instead",
                            service, RegistryValues.quote(instance.instanceId()), problem);
                }
            }
        }
        Map<String, String> labels = new LinkedHashMap<>();
        instance.tags().forEach((k, v) -> {
            if (RegistryValues.checkLabel(k, v) == null) {
                labels.put(k, v);
            }
        });
        Backend backend = Backend.builder(host, port).name(name).labels(labels).build();
        byIdentity.putIfAbsent(backend.identity(), backend);
        return null;
    }

    /** Digits only, 1-65535; else -1. */
    static int parsePort(String value) {
        if (value.isEmpty() || value.length() > 5) {
            return -1;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return -1;
            }
        }
        int port = Integer.parseInt(value);
        return port >= 1 && port <= 65535 ? port : -1;
    }

    private void logChange(List<Backend> before, List<Backend> after) {
        if (log.isDebugEnabled()) {
            // the engine logs the merged change at INFO (with the port override applied); this is the raw view
            log.debug("service {}: ec2tag {}", service, Changes.summary(before, after, "backends"));
        }
    }
}
