package io.synapse.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synapse.common.config.ConfigProblems;
import io.synapse.config.CatalogConfig;
import io.synapse.config.ServiceConfig;
import io.synapse.config.SynapseConfig;
import io.synapse.spi.Catalog;
import io.synapse.spi.CatalogContext;
import io.synapse.spi.CatalogFactory;
import io.synapse.spi.CatalogListener;
import io.synapse.spi.ServiceDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * One catalog: receives its whole sets of service definitions, validates each like a configured
 * service (with the catalog's generator defaults), and tells the engine which services to add,
 * replace and remove. Sets are applied one at a time on the catalog's own thread, in order.
 *
 * <p>A definition with problems is skipped with one warning per distinct content; if an earlier
 * valid version of it runs, that version keeps running. A service named like one of the config
 * file wins over the catalog's, with one warning; so does a service another catalog defined first.
 */
final class CatalogRuntime implements CatalogListener {
    private static final Logger LOG = LoggerFactory.getLogger("io.synapse.catalog");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** What the engine offers a catalog. */
    interface Services {
        /** Whether {@code name} is taken by the config file or by another catalog. */
        boolean isTaken(String name, String catalog);

        /** Stops the services in {@code removeOrReplace} and starts those in {@code add}. */
        void replace(String catalog, Map<String, ServiceConfig> removeOrReplace, Map<String, ServiceConfig> add);

        /** The catalog delivered its first set (readiness may have changed). */
        void initialized();
    }

    private final CatalogConfig catalogConfig;
    private final SynapseConfig config;
    private final Services services;
    private final ExecutorService executor;
    private final Map<String, JsonNode> activeNodes = new HashMap<>();
    private final Map<String, JsonNode> rejectedNodes = new HashMap<>();
    private final Set<String> shadowed = new HashSet<>();
    private volatile boolean initialized;
    private volatile boolean closed;
    private volatile boolean failing;
    private volatile String lastError;
    private volatile java.time.Instant lastErrorAt;
    private volatile int serviceCount;
    private Catalog catalog;

    CatalogRuntime(CatalogConfig catalogConfig, SynapseConfig config, Services services) {
        this.catalogConfig = catalogConfig;
        this.config = config;
        this.services = services;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "synapse-catalog-" + catalogConfig.name());
            t.setDaemon(true);
            return t;
        });
    }

    String name() {
        return catalogConfig.name();
    }

    boolean initialized() {
        return initialized;
    }

    CatalogStatus status() {
        return new CatalogStatus(name(), catalogConfig.factory().name(), serviceCount, initialized, failing, lastError, lastErrorAt);
    }

    void start() {
        try {
            catalog = create(catalogConfig.factory(), catalogConfig.config());
            catalog.start();
        } catch (RuntimeException e) {
            onFailure("catalog " + catalogConfig.factory().name() + " failed to start: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private <C> Catalog create(CatalogFactory<C> factory, Object cfg) {
        return factory.create(new CatalogContext(catalogConfig.name(), "catalogs." + catalogConfig.name()), (C) cfg, this);
    }

    @Override
    public void onServices(List<ServiceDefinition> definitions) {
        Objects.requireNonNull(definitions, "services is null");
        List<ServiceDefinition> copy = List.copyOf(definitions);
        try {
            executor.execute(() -> apply(copy));
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private void apply(List<ServiceDefinition> definitions) {
        if (closed) {
            return;
        }
        if (failing) {
            LOG.info("catalog {}: recovered", name());
            failing = false;
        }
        Map<String, JsonNode> next = new LinkedHashMap<>();
        for (ServiceDefinition d : definitions) {
            if (next.containsKey(d.name())) {
                LOG.warn("catalog {}: service {} is defined twice; using the first definition", name(), d.name());
                continue;
            }
            if (services.isTaken(d.name(), name())) {
                if (shadowed.add(d.name())) {
                    LOG.warn("catalog {}: service {} is already defined (in services or by another catalog); that one wins",
                            name(), d.name());
                }
                continue;
            }
            next.put(d.name(), MAPPER.valueToTree(d.config()));
        }
        shadowed.retainAll(definitions.stream().map(ServiceDefinition::name).toList());
        Map<String, ServiceConfig> removeOrReplace = new LinkedHashMap<>();
        Map<String, ServiceConfig> add = new LinkedHashMap<>();
        for (String name : new ArrayList<>(activeNodes.keySet())) {
            if (!next.containsKey(name)) {
                removeOrReplace.put(name, null);
                activeNodes.remove(name);
                LOG.info("catalog {}: service {} removed", name(), name);
            }
        }
        rejectedNodes.keySet().retainAll(next.keySet());
        for (Map.Entry<String, JsonNode> e : next.entrySet()) {
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (node.equals(activeNodes.get(name))) {
                continue;
            }
            ConfigProblems problems = new ConfigProblems().at("services." + name);
            ServiceConfig sc = config.catalogParser().parse(name, node, catalogConfig, config.generators(), problems);
            if (sc == null) {
                if (!node.equals(rejectedNodes.put(name, node))) {
                    LOG.warn("catalog {}: skipping service {}{}: {}", name(), name,
                            activeNodes.containsKey(name) ? " (its previous definition keeps running)" : "",
                            String.join("; ", problems.messages()));
                }
                continue;
            }
            rejectedNodes.remove(name);
            boolean replaced = activeNodes.put(name, node) != null;
            if (replaced) {
                removeOrReplace.put(name, sc);
            }
            add.put(name, sc);
            LOG.info("catalog {}: service {} {}", name(), name, replaced ? "updated" : "added");
        }
        if (!removeOrReplace.isEmpty() || !add.isEmpty()) {
            services.replace(name(), removeOrReplace, add);
        }
        serviceCount = activeNodes.size();
        if (!initialized) {
            initialized = true;
            LOG.info("catalog {}: {} service(s)", name(), activeNodes.size());
            services.initialized();
        }
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        try {
            executor.execute(() -> {
                lastError = message;
                lastErrorAt = java.time.Instant.now();
                if (!failing) {
                    LOG.warn("catalog {}: {}; keeping its {} service(s)", name(), message, activeNodes.size());
                    failing = true;
                } else {
                    LOG.debug("catalog {}: still failing: {}", name(), message);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed
        }
        if (cause != null) {
            LOG.debug("catalog {}: failure detail", name(), cause);
        }
    }

    void close() {
        closed = true;
        if (catalog != null) {
            try {
                catalog.close();
            } catch (RuntimeException e) {
                LOG.warn("catalog {}: closing failed: {}", name(), e.getMessage());
            }
        }
        executor.shutdownNow();
    }
}
