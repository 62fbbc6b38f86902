package io.synapse.engine;

import io.synapse.config.ServiceConfig;
import io.synapse.config.SynapseConfig;
import io.synapse.spi.ConfigGenerator;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * Runs one watcher per service and feeds the merged state to the generators.
 *
 * <p>Watchers call in on their own threads; each change marks its service dirty. One dispatcher
 * thread renders: it waits a short settle window after the first change so that a burst of
 * snapshots becomes one render, then hands every generator the whole state with the set of
 * services that changed since that generator's last success. A generator that fails is retried
 * with backoff; its pending changes accumulate meanwhile.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    static final long STARTUP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(30);

    private enum State { LATENT, STARTED, CLOSED }

    private final SynapseConfig config;
    private final Map<String, ServiceRuntime> runtimes = new LinkedHashMap<>();
    private final List<ServiceWatcher> watchers = new ArrayList<>();
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final Object lock = new Object();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, Set<String>> pending = new LinkedHashMap<>();
    private final Map<String, Long> retryAt = new LinkedHashMap<>();
    private final Map<String, Long> backoff = new LinkedHashMap<>();
    private final CountDownLatch watchersReady;
    private final CountDownLatch outputsReady = new CountDownLatch(1);
    private final Thread dispatcher;
    private volatile long renders;
    private final Statsd statsd;

    public Engine(SynapseConfig config) {
        this.config = requireNonNull(config, "config is null");
        for (ServiceConfig sc : config.services().values()) {
            runtimes.put(sc.name(), new ServiceRuntime(sc, config.generators(), this::markDirty, this::watcherReady));
        }
        for (String g : config.generators().keySet()) {
            pending.put(g, new HashSet<>(runtimes.keySet()));
        }
        watchersReady = new CountDownLatch(runtimes.size());
        Statsd metrics = null;
        if (config.statsd() != null) {
            try {
                metrics = new Statsd(config.statsd());
            } catch (java.io.IOException e) {
                LOG.warn("statsd: cannot open a UDP socket: {}; no metrics", e.getMessage());
            }
        }
        statsd = metrics;
        dispatcher = new Thread(this::dispatchLoop, "synapse-dispatcher");
        dispatcher.setDaemon(true);
    }

    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("engine already started");
        }
        LOG.info("starting {} service(s) with generators {}", runtimes.size(), config.generators().keySet());
        dispatcher.start();
        for (ServiceRuntime rt : runtimes.values()) {
            ServiceWatcher w = create(rt.config(), rt);
            synchronized (watchers) {
                watchers.add(w);
            }
            try {
                w.start();
            } catch (RuntimeException e) {
                rt.onFailure("watcher " + rt.config().method() + " failed to start: " + e.getMessage(), e);
            }
        }
        if (runtimes.isEmpty()) {
            markDirty(null);
        }
    }

    @SuppressWarnings("unchecked")
    private static <C> ServiceWatcher create(ServiceConfig sc, ServiceRuntime listener) {
        WatcherFactory<C> factory = (WatcherFactory<C>) sc.watcherFactory();
        return factory.create(new WatcherContext(sc.name(), "services." + sc.name() + ".discovery"), (C) sc.watcherConfig(), listener);
    }

    /**
     * Waits until every watcher has delivered its first snapshot and every generator has written
     * the outputs that include them.
     */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!watchersReady.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return false;
        }
        return outputsReady.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Services whose watcher has not delivered a first snapshot yet. */
    public List<String> uninitializedServices() {
        List<String> out = new ArrayList<>();
        runtimes.values().forEach(rt -> {
            if (!rt.initialized()) {
                out.add(rt.name());
            }
        });
        return out;
    }

    public long renders() {
        return renders;
    }

    private void watcherReady() {
        watchersReady.countDown();
    }

    private void markDirty(String service) {
        synchronized (lock) {
            if (service != null) {
                dirty.add(service);
            }
            dirty.add("");
            lock.notifyAll();
        }
    }

    private void dispatchLoop() {
        try {
            // Do not write a config that lacks services whose registry has not answered yet (it
            // would drop their traffic); give them a grace period, then write what is known.
            long graceEnd = System.nanoTime() + STARTUP_GRACE_NANOS;
            while (state.get() != State.CLOSED && watchersReady.getCount() > 0 && System.nanoTime() < graceEnd) {
                watchersReady.await(Math.min(100_000_000L, graceEnd - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            if (watchersReady.getCount() > 0) {
                LOG.warn("no first snapshot after {} s from: {}; writing the outputs with what is known",
                        TimeUnit.NANOSECONDS.toSeconds(STARTUP_GRACE_NANOS), String.join(", ", uninitializedServices()));
            }
            while (state.get() != State.CLOSED) {
                Set<String> changed;
                synchronized (lock) {
                    while (dirty.isEmpty() && state.get() != State.CLOSED && !retryDue()) {
                        long wait = nextRetryWaitMillis();
                        lock.wait(wait);
                    }
                    if (state.get() == State.CLOSED) {
                        return;
                    }
                }
                // settle: let a burst of snapshots arrive, then render once
                long settleUntil = System.nanoTime() + SETTLE_NANOS;
                synchronized (lock) {
                    long left;
                    while ((left = settleUntil - System.nanoTime()) > 0 && state.get() != State.CLOSED) {
                        TimeUnit.NANOSECONDS.timedWait(lock, left);
                    }
                    changed = new HashSet<>(dirty);
                    changed.remove("");
                    dirty.clear();
                }
                render(changed);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean retryDue() {
        long now = System.nanoTime();
        return retryAt.values().stream().anyMatch(t -> t <= now);
    }

    private long nextRetryWaitMillis() {
        long now = System.nanoTime();
        return retryAt.values().stream().mapToLong(t -> Math.max(1, TimeUnit.NANOSECONDS.toMillis(t - now) + 1)).min().orElse(0);
    }

    private void render(Set<String> changed) {
        boolean allOk = true;
        boolean ready = watchersReady.getCount() == 0;
        long now = System.nanoTime();
        for (Map.Entry<String, ConfigGenerator> g : config.generators().entrySet()) {
            String name = g.getKey();
            Set<String> todo = pending.get(name);
            todo.addAll(changed);
            Long due;
            synchronized (lock) {
                due = retryAt.get(name);
            }
            if (due != null && due > now) {
                allOk = false;
                continue;
            }
            Map<String, ServiceView> views = new LinkedHashMap<>();
            for (ServiceRuntime rt : runtimes.values()) {
                views.put(rt.name(), rt.view(name));
            }
            try {
                g.getValue().update(new GeneratorState(views, todo));
                todo.clear();
                synchronized (lock) {
                    if (retryAt.remove(name) != null) {
                        LOG.info("generator {}: recovered", name);
                    }
                }
                backoff.remove(name);
            } catch (Exception e) {
                allOk = false;
                long delay = Math.min(MAX_BACKOFF_NANOS, backoff.getOrDefault(name, TimeUnit.MILLISECONDS.toNanos(500)) * 2);
                backoff.put(name, delay);
                synchronized (lock) {
                    retryAt.put(name, System.nanoTime() + delay);
                }
                LOG.warn("generator {}: update failed: {}; retrying in {} ms", name, e.getMessage(), TimeUnit.NANOSECONDS.toMillis(delay));
                LOG.debug("generator {}: failure detail", name, e);
            } catch (Error e) {
                LOG.error("generator {}: update failed", name, e);
                throw e;
            }
        }
        renders++;
        if (statsd != null) {
            statsd.count("synapse.renders", 1);
            statsd.count(allOk ? "synapse.renders.ok" : "synapse.renders.failed", 1);
            for (String service : changed) {
                statsd.gauge("synapse.service." + service + ".backends", runtimes.get(service).backends().size());
            }
        }
        if (allOk && ready) {
            outputsReady.countDown();
        }
    }

    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        synchronized (lock) {
            lock.notifyAll();
        }
        List<ServiceWatcher> toClose;
        synchronized (watchers) {
            toClose = new ArrayList<>(watchers);
        }
        for (ServiceWatcher w : toClose) {
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.warn("closing a watcher failed: {}", e.getMessage());
            }
        }
        if (previous == State.STARTED) {
            try {
                dispatcher.join(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        config.generators().values().forEach(ConfigGenerator::close);
        if (statsd != null) {
            statsd.close();
        }
    }
}
