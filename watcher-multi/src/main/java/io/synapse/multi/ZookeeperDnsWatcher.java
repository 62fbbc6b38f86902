package io.synapse.multi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One {@code zookeeper_dns} service. The {@code zookeeper} child's sets are host names; each new
 * set replaces the {@code dns} child by one whose {@code servers} are those names (with their
 * names, ports and labels, as Ruby keeps them), and what that child resolves is published. Until
 * the new child has answered, the engine keeps the previous set. An empty set from ZooKeeper is
 * published at once. Failures of either child are the service's failures (prefixed {@code
 * zookeeper:} or {@code dns:}); the generator config comes from ZooKeeper.
 */
final class ZookeeperDnsWatcher implements ServiceWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ZookeeperDnsWatcher.class);

    private final WatcherContext context;
    private final ServiceWatcher zookeeper;
    private final ObjectNode dnsTemplate;
    private final WatcherFactories factories;
    private final WatcherListener listener;
    private final Object lock = new Object();

    // guarded by lock
    private ArrayNode servers;
    private ServiceWatcher dns;
    private long generation;
    private boolean closed;

    ZookeeperDnsWatcher(WatcherContext context, WatcherFactories.Child zookeeper, ObjectNode dnsTemplate,
            WatcherFactories factories, WatcherListener listener) {
        this.context = requireNonNull(context, "context is null");
        this.dnsTemplate = requireNonNull(dnsTemplate, "dnsTemplate is null").deepCopy();
        this.factories = requireNonNull(factories, "factories is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.zookeeper = requireNonNull(zookeeper, "zookeeper is null").create(context, new ZookeeperListener());
    }

    @Override
    public void start() {
        zookeeper.start();
    }

    @Override
    public void close() {
        ServiceWatcher last;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            last = dns;
            dns = null;
        }
        zookeeper.close();
        if (last != null) {
            last.close();
        }
    }

    private final class ZookeeperListener implements WatcherListener {
        @Override
        public void onBackends(List<Backend> backends) {
            ArrayNode next = dnsTemplate.arrayNode();
            for (Backend b : backends) {
                ObjectNode s = next.addObject();
                if (b.name() != null) {
                    s.put("name", b.name());
                }
                s.put("host", b.host()).put("port", b.port());
                if (!b.labels().isEmpty()) {
                    ObjectNode labels = s.putObject("labels");
                    b.labels().forEach(labels::put);
                }
            }
            ServiceWatcher previous;
            ServiceWatcher created = null;
            synchronized (lock) {
                if (closed || next.equals(servers)) {
                    return;
                }
                servers = next;
                generation++;
                previous = dns;
                dns = null;
                if (next.isEmpty()) {
                    listener.onBackends(List.of());
                } else {
                    ObjectNode section = dnsTemplate.deepCopy();
                    section.set("servers", next);
                    ConfigProblems problems = new ConfigProblems().at(context.configPath() + " (hosts from ZooKeeper)");
                    WatcherFactories.Child child = factories.bind(section, problems);
                    if (child == null) {
                        LOG.warn("service {}: cannot resolve the hosts from ZooKeeper: {}", context.serviceName(),
                                String.join("; ", problems.messages()));
                        listener.onFailure("the hosts from ZooKeeper cannot be resolved: " + String.join("; ", problems.messages()), null);
                    } else {
                        created = child.create(context, new DnsListener(generation));
                        dns = created;
                    }
                }
            }
            // outside the lock: closing or starting a dns child may wait for its resolver's thread,
            // which may be waiting for this lock to publish
            if (previous != null) {
                previous.close();
            }
            if (created != null) {
                created.start(); // a no-op if close() closed it meanwhile
            }
        }

        @Override
        public void onGeneratorConfig(Map<String, JsonNode> generatorConfig) {
            listener.onGeneratorConfig(generatorConfig);
        }

        @Override
        public void onRejected(String registration, String reason) {
            listener.onRejected(registration, reason);
        }

        @Override
        public void onFailure(String message, Throwable cause) {
            listener.onFailure("zookeeper: " + message, cause);
        }
    }

    /** Listens to one generation of the dns child; an older generation's calls are ignored. */
    private final class DnsListener implements WatcherListener {
        private final long generation;

        DnsListener(long generation) {
            this.generation = generation;
        }

        private boolean current() {
            return !closed && generation == ZookeeperDnsWatcher.this.generation;
        }

        @Override
        public void onBackends(List<Backend> backends) {
            synchronized (lock) {
                if (current()) {
                    listener.onBackends(backends);
                }
            }
        }

        @Override
        public void onRejected(String registration, String reason) {
            listener.onRejected(registration, reason);
        }

        @Override
        public void onFailure(String message, Throwable cause) {
            synchronized (lock) {
                if (current()) {
                    listener.onFailure("dns: " + message, cause);
                }
            }
        }
    }
}
