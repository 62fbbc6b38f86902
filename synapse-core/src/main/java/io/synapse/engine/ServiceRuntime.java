package io.synapse.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.config.ServiceConfig;
import io.synapse.spi.Backend;
import io.synapse.spi.ConfigGenerator;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.ServiceView;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/** One service's state: the merged set, the registry's generator overrides, first-snapshot flag. */
final class ServiceRuntime implements WatcherListener {
    private static final Logger LOG = LoggerFactory.getLogger("io.synapse.service");

    private final ServiceConfig config;
    private final Map<String, ConfigGenerator> generators;
    private final Consumer<String> onChange;
    private final Runnable onInitialized;

    private List<Backend> backends;
    private final Map<String, JsonNode> overrides = new HashMap<>();
    private boolean initialized;
    private boolean failing;
    // for the status page and metrics; guarded by this
    private Instant lastEventAt;
    private Instant lastChangeAt;
    private String lastError;
    private Instant lastErrorAt;
    private long failures;
    private String lastRejected;

    private volatile boolean detached;
    private final java.util.concurrent.atomic.AtomicLong rejected = new java.util.concurrent.atomic.AtomicLong();
    private final EngineMetrics metrics;

    /**
     * @param previous the backends of the service this one replaces (a catalog changed its
     *     definition), kept until the new watcher reports; null for a new service
     */
    ServiceRuntime(ServiceConfig config, Map<String, ConfigGenerator> generators, Consumer<String> onChange, Runnable onInitialized,
            List<Backend> previous, EngineMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.generators = generators;
        this.onChange = onChange;
        this.onInitialized = onInitialized;
        this.backends = previous != null ? List.copyOf(previous) : Merge.fallback(config);
    }

    /** The service was removed or replaced: later callbacks of its old watcher are ignored. */
    void detach() {
        detached = true;
    }

    String name() {
        return config.name();
    }

    ServiceConfig config() {
        return config;
    }

    synchronized boolean initialized() {
        return initialized;
    }

    @Override
    public void onBackends(List<Backend> discovered) {
        Objects.requireNonNull(discovered, "backends is null");
        if (detached) {
            return;
        }
        boolean changed;
        boolean first;
        synchronized (this) {
            if (failing) {
                LOG.info("service {}: discovery recovered", config.name());
                failing = false;
            }
            List<Backend> before = backends;
            var next = Merge.next(config, before, discovered);
            changed = next.isPresent();
            lastEventAt = Instant.now();
            if (changed || !initialized) {
                lastChangeAt = lastEventAt;
            }
            if (changed) {
                backends = next.get();
                LOG.info("service {}: {} -> {} backends{}", config.name(), before.size(), backends.size(), Merge.diff(before, backends));
            } else if (discovered.isEmpty() && !before.isEmpty() && config.defaultServers().isEmpty()) {
                LOG.warn("service {}: discovery returned no backends; keeping the previous {} (use_previous_backends)", config.name(), before.size());
            }
            first = !initialized;
            initialized = true;
            if (first && !changed) {
                LOG.info("service {}: {} backends", config.name(), backends.size());
            }
        }
        if (changed || first) {
            onChange.accept(config.name());
        }
        if (first) {
            onInitialized.run();
        }
    }

    @Override
    public void onGeneratorConfig(Map<String, JsonNode> generatorConfig) {
        if (detached) {
            return;
        }
        boolean changed = false;
        synchronized (this) {
            for (Map.Entry<String, ConfigGenerator> g : generators.entrySet()) {
                JsonNode section = generatorConfig.get(g.getKey());
                if (section == null) {
                    changed |= overrides.remove(g.getKey()) != null;
                    continue;
                }
                ConfigProblems problems = new ConfigProblems().at("services." + config.name() + "." + g.getKey() + " (from the registry)");
                if (!section.isObject()) {
                    problems.add("", "expected an object");
                } else {
                    g.getValue().checkServiceConfig(config.name(), section, problems);
                }
                if (!problems.isEmpty()) {
                    LOG.warn("service {}: ignoring invalid {} settings from the registry: {}", config.name(), g.getKey(),
                            String.join("; ", problems.messages()));
                    continue;
                }
                if (!section.equals(overrides.get(g.getKey()))) {
                    overrides.put(g.getKey(), section);
                    LOG.info("service {}: {} settings from the registry applied", config.name(), g.getKey());
                    changed = true;
                }
            }
        }
        if (changed) {
            onChange.accept(config.name());
        }
    }

    @Override
    public void onRejected(String registration, String reason) {
        rejected.incrementAndGet();
        metrics.rejected(config.name());
        synchronized (this) {
            lastRejected = registration + ": " + reason;
        }
    }

    /** How many registrations the watcher skipped as invalid. */
    long rejected() {
        return rejected.get();
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        if (detached) {
            return;
        }
        metrics.watcherFailed(config.name());
        synchronized (this) {
            failures++;
            lastError = message;
            lastErrorAt = Instant.now();
            if (!failing) {
                LOG.warn("service {}: discovery failed: {}; keeping the last {} backends", config.name(), message, backends.size());
                failing = true;
            } else {
                LOG.debug("service {}: discovery still failing: {}", config.name(), message);
            }
        }
        if (cause != null) {
            LOG.debug("service {}: failure detail", config.name(), cause);
        }
    }

    synchronized ServiceView view(String generator) {
        // every installed generator's section, configured or not: a templates-only setup still
        // reads the services' haproxy.port
        Map<String, JsonNode> sections = new HashMap<>(config.generatorSections());
        sections.putAll(overrides);
        JsonNode own = sections.get(generator);
        return new ServiceView(config.name(), Merge.visible(config, backends),
                own != null ? own : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), sections);
    }

    synchronized List<Backend> backends() {
        return backends;
    }

    /** The backends the generators get (label filters and leader election applied). */
    synchronized List<Backend> visibleBackends() {
        return Merge.visible(config, backends);
    }

    synchronized boolean failing() {
        return failing;
    }

    synchronized Instant lastEventAt() {
        return lastEventAt;
    }

    synchronized Instant lastChangeAt() {
        return lastChangeAt;
    }

    /** A consistent snapshot for the status page. */
    synchronized ServiceStatus status(String catalog) {
        return new ServiceStatus(config.name(), config.method(), catalog, Merge.visible(config, backends), initialized, failing,
                lastError, lastErrorAt, failures, lastEventAt, lastChangeAt, rejected.get(), lastRejected);
    }
}
