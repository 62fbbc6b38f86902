package io.synapse.multi;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.concurrent.SharedResources;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * One {@code multi} service: its children publish to it, and after every change it resolves their
 * states into one snapshot for the engine.
 *
 * <p>A child is <em>settled</em> once it has published a set or reported a failure; it is
 * <em>failing</em> from a failure until its next set, and keeps its last set meanwhile.
 *
 * <ul>
 *   <li>{@code union} waits until every child is settled, then publishes the union of every set
 *       (a failing child's last set included), the first of equal (host, port, name) kept; the
 *       generator config is the first non-empty one in {@code watchers} order. It reports a
 *       failure only when every child is failing.
 *   <li>{@code sequential} publishes the set of the first child in {@code sequential_order} that
 *       is not failing and has backends, but never jumps over a child that has not settled yet;
 *       when no child has backends it publishes the (empty) set of the first child that is not
 *       failing, and it reports a failure only when every child is failing.
 *   <li>a toggle publishes the picked child's set and generator config, and that child's failure.
 *       Until the toggle file has been read, the child named {@code primary} (Ruby's default) is
 *       used if there is one; otherwise nothing is published and the file's problem is reported.
 *       A toggle file that cannot be read or is invalid later keeps the current pick.
 * </ul>
 *
 * Everything is published under one lock, so snapshots reach the engine in order.
 */
final class MultiWatcher implements ServiceWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(MultiWatcher.class);

    private final String service;
    private final String configPath;
    private final MultiWatcherFactory.Plan plan;
    private final WatcherListener listener;
    private final Supplier<String> hostName;
    private final Map<String, ChildState> states = new LinkedHashMap<>();
    private final List<ServiceWatcher> watchers = new ArrayList<>();
    private final Object lock = new Object();

    // guarded by lock
    private boolean started;
    private boolean closed;
    private String toggled;
    private String toggleProblem;
    private Weights lastWeights;
    private String winner;
    private List<Backend> published;
    private Map<String, JsonNode> publishedConfig = Map.of();
    private String publishedFailure;
    private SharedResources.Lease<ToggleSpec, TogglePoller> toggleLease;
    private TogglePoller.Subscriber toggleSubscriber;

    /** What one child has told us. */
    private static final class ChildState {
        List<Backend> backends;
        Map<String, JsonNode> generatorConfig = Map.of();
        String failure;

        boolean settled() {
            return backends != null || failure != null;
        }

        boolean good() {
            return failure == null && backends != null;
        }
    }

    MultiWatcher(WatcherContext context, MultiWatcherFactory.Plan plan, WatcherListener listener, Supplier<String> hostName) {
        this.service = requireNonNull(context, "context is null").serviceName();
        this.configPath = context.configPath();
        this.plan = requireNonNull(plan, "plan is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.hostName = requireNonNull(hostName, "hostName is null");
        for (Map.Entry<String, WatcherFactories.Child> e : plan.children().entrySet()) {
            String name = e.getKey();
            states.put(name, new ChildState());
            WatcherContext childContext = new WatcherContext(service, configPath + ".watchers." + name);
            watchers.add(e.getValue().create(childContext, new ChildListener(name)));
        }
    }

    @Override
    public void start() {
        synchronized (lock) {
            if (started || closed) {
                return;
            }
            started = true;
        }
        LOG.info("service {}: multi watcher with {} ({} resolver)", service, String.join(", ", plan.children().keySet()),
                plan.resolver().method());
        for (ServiceWatcher w : watchers) {
            w.start();
        }
        if (plan.resolver() instanceof Resolver.Toggle toggle) {
            SharedResources.Lease<ToggleSpec, TogglePoller> lease = TogglePoller.POLLERS.acquire(toggle.source());
            TogglePoller.Subscriber subscriber = this::onToggle;
            synchronized (lock) {
                if (closed) {
                    lease.close();
                    return;
                }
                toggleLease = lease;
                toggleSubscriber = subscriber;
            }
            lease.get().subscribe(subscriber);
        }
    }

    @Override
    public void close() {
        SharedResources.Lease<ToggleSpec, TogglePoller> lease;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lease = toggleLease;
            toggleLease = null;
        }
        if (lease != null) {
            lease.get().unsubscribe(toggleSubscriber);
            lease.close();
        }
        for (ServiceWatcher w : watchers) {
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.warn("service {}: closing a child watcher failed: {}", service, e.toString());
            }
        }
    }

    private final class ChildListener implements WatcherListener {
        private final String name;

        ChildListener(String name) {
            this.name = name;
        }

        @Override
        public void onBackends(List<Backend> backends) {
            requireNonNull(backends, "backends is null");
            synchronized (lock) {
                if (closed) {
                    return;
                }
                ChildState s = states.get(name);
                if (s.failure != null) {
                    LOG.info("service {}: watcher {} recovered", service, name);
                }
                s.failure = null;
                s.backends = List.copyOf(backends);
                resolve();
            }
        }

        @Override
        public void onGeneratorConfig(Map<String, JsonNode> generatorConfig) {
            requireNonNull(generatorConfig, "generatorConfig is null");
            synchronized (lock) {
                if (closed) {
                    return;
                }
                states.get(name).generatorConfig = Map.copyOf(generatorConfig);
                resolve();
            }
        }

        @Override
        public void onRejected(String registration, String reason) {
            listener.onRejected(registration, reason);
        }

        @Override
        public void onFailure(String message, Throwable cause) {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                ChildState s = states.get(name);
                if (s.failure == null) {
                    LOG.warn("service {}: watcher {} failing: {}{}", service, name, message,
                            s.backends == null ? "" : "; its last " + s.backends.size() + " backends are kept");
                }
                s.failure = message == null ? "failed" : message;
                resolve();
            }
        }
    }

    private void onToggle(Weights weights, String problem) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (weights != null && !weights.equals(lastWeights)) {
                lastWeights = weights;
                List<String> unknown = weights.weights().keySet().stream().filter(n -> !states.containsKey(n)).toList();
                if (!unknown.isEmpty()) {
                    LOG.warn("service {}: toggle {} names unknown watcher{} {} (watchers: {}); keeping {}", service,
                            describeToggle(), unknown.size() > 1 ? "s" : "", String.join(", ", unknown.stream().map(RegistryValues::quote).toList()),
                            String.join(", ", states.keySet()), toggled == null ? "no pick" : "watcher " + toggled);
                    toggleProblem = "names unknown watcher " + String.join(", ", unknown);
                } else {
                    String pick = weights.pick(hostName.get());
                    if (!pick.equals(toggled)) {
                        LOG.info("service {}: toggle {} picks watcher {}{}", service, describeToggle(), pick,
                                toggled == null ? "" : " (was " + toggled + ")");
                        toggled = pick;
                    }
                    toggleProblem = null;
                }
            }
            if (problem != null) {
                toggleProblem = problem;
            } else if (lastWeights != null && lastWeights.weights().keySet().stream().allMatch(states::containsKey)) {
                toggleProblem = null;
            }
            resolve();
        }
    }

    private String describeToggle() {
        return ((Resolver.Toggle) plan.resolver()).source().describe();
    }

    /** Recomputes the service's snapshot from the children's states and publishes what changed. */
    private void resolve() {
        Resolver resolver = plan.resolver();
        if (resolver instanceof Resolver.Union) {
            union();
        } else if (resolver instanceof Resolver.Sequential sequential) {
            sequential(sequential.order());
        } else {
            toggle();
        }
    }

    private void union() {
        if (!states.values().stream().allMatch(ChildState::settled)) {
            return;
        }
        if (states.values().stream().allMatch(s -> s.failure != null)) {
            fail("every watcher is failing: " + failures());
            return;
        }
        Map<String, Backend> merged = new LinkedHashMap<>();
        Map<String, JsonNode> config = Map.of();
        for (ChildState s : states.values()) {
            if (s.backends != null) {
                s.backends.forEach(b -> merged.putIfAbsent(b.identity(), b));
            }
            if (config.isEmpty()) {
                config = s.generatorConfig;
            }
        }
        publish(null, new ArrayList<>(merged.values()), config);
    }

    private void sequential(List<String> order) {
        String fallback = null;
        for (String name : order) {
            ChildState s = states.get(name);
            if (!s.settled()) {
                return; // never jump over a child that has not answered yet
            }
            if (!s.good()) {
                continue;
            }
            if (!s.backends.isEmpty()) {
                publish(name, s.backends, s.generatorConfig);
                return;
            }
            if (fallback == null) {
                fallback = name;
            }
        }
        if (fallback != null) {
            ChildState s = states.get(fallback);
            publish(fallback, s.backends, s.generatorConfig);
        } else {
            fail("every watcher is failing: " + failures());
        }
    }

    private void toggle() {
        String pick = toggled;
        if (pick == null && states.containsKey("primary")) {
            pick = "primary";
        }
        if (pick == null) {
            if (toggleProblem != null) {
                fail("toggle " + describeToggle() + ": " + toggleProblem);
            }
            return;
        }
        ChildState s = states.get(pick);
        if (s.failure != null) {
            fail("watcher " + pick + ": " + s.failure);
        } else if (s.backends != null) {
            publish(pick, s.backends, s.generatorConfig);
        }
    }

    private String failures() {
        List<String> parts = new ArrayList<>();
        states.forEach((name, s) -> parts.add(name + ": " + s.failure));
        return String.join("; ", parts);
    }

    private void publish(String from, List<Backend> backends, Map<String, JsonNode> config) {
        if (from != null && !from.equals(winner)) {
            if (winner != null) {
                LOG.info("service {}: now using watcher {} (was {}: {})", service, from, winner, why(winner));
            } else {
                LOG.info("service {}: using watcher {}", service, from);
            }
            winner = from;
        }
        if (!config.equals(publishedConfig)) {
            publishedConfig = config;
            listener.onGeneratorConfig(config);
        }
        if (published == null || publishedFailure != null || !published.equals(backends)) {
            published = List.copyOf(backends);
            publishedFailure = null;
            listener.onBackends(published);
        }
    }

    private String why(String name) {
        ChildState s = states.get(name);
        if (s.failure != null) {
            return "failing";
        }
        if (s.backends != null && s.backends.isEmpty()) {
            return "no backends";
        }
        return plan.resolver() instanceof Resolver.Toggle ? "toggled" : "an earlier watcher is back";
    }

    private void fail(String message) {
        if (!message.equals(publishedFailure)) {
            publishedFailure = message;
            listener.onFailure(message, null);
        }
    }
}
