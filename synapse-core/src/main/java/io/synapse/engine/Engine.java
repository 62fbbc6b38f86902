package io.synapse.engine;

import io.micrometer.core.instrument.Metrics;
import io.synapse.common.metrics.StatsdSink;
import io.synapse.config.CatalogConfig;
import io.synapse.config.ServiceConfig;
import io.synapse.config.SynapseConfig;
import io.synapse.spi.Backend;
import io.synapse.spi.ConfigGenerator;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>Catalogs add, replace and remove services at run time (see {@link CatalogRuntime}); the
 * services of the config file come first, in file order, then the catalogs' services by name.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    static final long STARTUP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(30);

    private enum State { LATENT, STARTED, CLOSED }

    private final SynapseConfig config;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    /** Guards everything below that is not final, and is the dispatcher's monitor. */
    private final Object lock = new Object();
    private final Map<String, ServiceRuntime> staticRuntimes = new LinkedHashMap<>();
    private final Map<String, ServiceRuntime> dynamicRuntimes = new HashMap<>();
    private final Map<String, ServiceWatcher> watchers = new HashMap<>();
    /** Which catalog defined each dynamic service. */
    private final Map<String, String> owners = new HashMap<>();
    private final List<CatalogRuntime> catalogs = new ArrayList<>();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, Set<String>> pending = new LinkedHashMap<>();
    private final Map<String, Long> retryAt = new LinkedHashMap<>();
    private final Map<String, Long> backoff = new LinkedHashMap<>();
    private boolean outputsReady;
    private final Thread dispatcher;
    /** Where the second and later generators of a render run; made by the dispatcher when first needed. */
    private ExecutorService generatorThreads;
    /** Where {@link #discoveryReady} starts its scan (only a hint: any value is correct); dispatcher thread. */
    private int readyScanFrom;
    private volatile long renders;
    private volatile long rendersFailed;
    private volatile Instant lastRenderAt;
    private volatile Instant startedAt;
    /** Per generator: the last failure and when, the last success; guarded by lock. */
    private final Map<String, GeneratorStatus> generatorStatus = new LinkedHashMap<>();
    private final StatsdSink statsd;
    private final EngineMetrics metrics = new EngineMetrics(Metrics.globalRegistry, this::runtimeNamed);

    public Engine(SynapseConfig config) {
        this.config = requireNonNull(config, "config is null");
        for (ServiceConfig sc : config.services().values()) {
            staticRuntimes.put(sc.name(), newRuntime(sc, null));
        }
        for (String g : config.generators().keySet()) {
            pending.put(g, new HashSet<>(staticRuntimes.keySet()));
            generatorStatus.put(g, new GeneratorStatus(g, false, null, null, null));
        }
        for (CatalogConfig cc : config.catalogs()) {
            catalogs.add(new CatalogRuntime(cc, config, new CatalogRuntime.Services() {
                @Override
                public boolean isTaken(String name, String catalog) {
                    synchronized (lock) {
                        String owner = owners.get(name);
                        return staticRuntimes.containsKey(name) || owner != null && !owner.equals(catalog);
                    }
                }

                @Override
                public void replace(String catalog, Map<String, ServiceConfig> removeOrReplace, Map<String, ServiceConfig> add) {
                    applyCatalogChange(catalog, removeOrReplace, add);
                }

                @Override
                public void initialized() {
                    markDirty(null);
                }
            }));
        }
        StatsdSink metrics = null;
        if (config.statsd() != null) {
            try {
                metrics = new StatsdSink(config.statsd().host(), config.statsd().port());
            } catch (java.io.IOException e) {
                LOG.warn("statsd: cannot open a UDP socket: {}; no metrics", e.getMessage());
            }
        }
        statsd = metrics;
        dispatcher = new Thread(this::dispatchLoop, "synapse-dispatcher");
        dispatcher.setDaemon(true);
    }

    private ServiceRuntime newRuntime(ServiceConfig sc, List<Backend> previous) {
        return new ServiceRuntime(sc, config.generators(), this::markDirty, () -> markDirty(null), previous, metrics);
    }

    /** The runtime of the service called {@code name} now, or null. */
    private ServiceRuntime runtimeNamed(String name) {
        synchronized (lock) {
            ServiceRuntime rt = staticRuntimes.get(name);
            return rt != null ? rt : dynamicRuntimes.get(name);
        }
    }

    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("engine already started");
        }
        startedAt = Instant.now();
        metrics.start(List.copyOf(staticRuntimes.keySet()));
        LOG.info("starting {} service(s){} with generators {}", staticRuntimes.size(),
                catalogs.isEmpty() ? "" : " and " + catalogs.size() + " catalog(s)", config.generators().keySet());
        dispatcher.start();
        for (ServiceRuntime rt : staticRuntimes.values()) {
            startWatcher(rt);
        }
        for (CatalogRuntime c : catalogs) {
            c.start();
        }
        markDirty(null);
    }

    private void startWatcher(ServiceRuntime rt) {
        ServiceWatcher w;
        try {
            w = create(rt.config(), rt);
        } catch (RuntimeException e) {
            rt.onFailure("watcher " + rt.config().method() + " could not be created: " + e.getMessage(), e);
            return;
        }
        synchronized (lock) {
            if (state.get() == State.CLOSED) {
                w.close();
                return;
            }
            watchers.put(rt.name(), w);
        }
        try {
            w.start();
        } catch (RuntimeException e) {
            rt.onFailure("watcher " + rt.config().method() + " failed to start: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(ServiceWatcher w) {
        if (w == null) {
            return;
        }
        try {
            w.close();
        } catch (RuntimeException e) {
            LOG.warn("closing a watcher failed: {}", e.getMessage());
        }
    }

    /**
     * Applies a catalog's change on the catalog's thread: services in {@code removeOrReplace} stop
     * (a replaced one keeps its backends until its new watcher reports), those in {@code add}
     * start.
     */
    private void applyCatalogChange(String catalog, Map<String, ServiceConfig> removeOrReplace, Map<String, ServiceConfig> add) {
        List<ServiceWatcher> toClose = new ArrayList<>();
        List<ServiceRuntime> toStart = new ArrayList<>();
        // meters are registered and removed outside the lock: a scrape reads the gauges under Micrometer's locks
        add.keySet().forEach(metrics::add);
        synchronized (lock) {
            if (state.get() == State.CLOSED) {
                return;
            }
            Map<String, List<Backend>> kept = new HashMap<>();
            for (String name : removeOrReplace.keySet()) {
                ServiceRuntime old = dynamicRuntimes.remove(name);
                owners.remove(name);
                if (old != null) {
                    old.detach();
                    kept.put(name, old.backends());
                }
                toClose.add(watchers.remove(name));
                dirty.add(name);
            }
            for (ServiceConfig sc : add.values()) {
                ServiceRuntime rt = newRuntime(sc, kept.get(sc.name()));
                dynamicRuntimes.put(sc.name(), rt);
                owners.put(sc.name(), catalog);
                pending.values().forEach(p -> p.add(sc.name()));
                toStart.add(rt);
                dirty.add(sc.name());
            }
            dirty.add("");
            lock.notifyAll();
        }
        for (String name : removeOrReplace.keySet()) {
            if (!add.containsKey(name)) {
                metrics.remove(name);
            }
        }
        toClose.forEach(Engine::closeQuietly);
        toStart.forEach(this::startWatcher);
    }

    @SuppressWarnings("unchecked")
    private static <C> ServiceWatcher create(ServiceConfig sc, ServiceRuntime listener) {
        WatcherFactory<C> factory = (WatcherFactory<C>) sc.watcherFactory();
        return factory.create(new WatcherContext(sc.name(), "services." + sc.name() + ".discovery"), (C) sc.watcherConfig(), listener);
    }

    /** Every service in output order: the file's first, then the catalogs' by name. */
    private List<ServiceRuntime> runtimesLocked() {
        List<ServiceRuntime> all = new ArrayList<>(staticRuntimes.size() + dynamicRuntimes.size());
        all.addAll(staticRuntimes.values());
        if (!dynamicRuntimes.isEmpty()) {
            dynamicRuntimes.keySet().stream().sorted().forEach(n -> all.add(dynamicRuntimes.get(n)));
        }
        return all;
    }

    private List<ServiceRuntime> runtimes() {
        synchronized (lock) {
            return runtimesLocked();
        }
    }

    /**
     * Whether every catalog delivered its first set and every service its first snapshot. Called
     * by the dispatcher at each snapshot of a start: the scan starts at the service it stopped at
     * last time (services report about in order), so a start of n services costs n checks, not n².
     */
    private boolean discoveryReady() {
        for (CatalogRuntime c : catalogs) {
            if (!c.initialized()) {
                return false;
            }
        }
        List<ServiceRuntime> all = runtimes();
        int n = all.size();
        int from = readyScanFrom;
        for (int k = 0; k < n; k++) {
            int i = (from + k) % n;
            if (!all.get(i).initialized()) {
                readyScanFrom = i;
                return false;
            }
        }
        return true;
    }

    /**
     * Waits until every catalog delivered its first set, every watcher its first snapshot, and
     * every generator wrote the outputs that include them.
     */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!outputsReady) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return true;
        }
    }

    /** Services whose watcher has not delivered a first snapshot yet, and catalogs without a first set. */
    public List<String> uninitializedServices() {
        List<String> out = new ArrayList<>();
        for (CatalogRuntime c : catalogs) {
            if (!c.initialized()) {
                out.add("catalog " + c.name());
            }
        }
        for (ServiceRuntime rt : runtimes()) {
            if (!rt.initialized()) {
                out.add(rt.name());
            }
        }
        return out;
    }

    /** The names of the services running now, in output order. */
    public List<String> serviceNames() {
        return runtimes().stream().map(ServiceRuntime::name).toList();
    }

    public long renders() {
        return renders;
    }

    /** Renders in which a generator failed. */
    public long rendersFailed() {
        return rendersFailed;
    }

    /** When the last render finished, or null. */
    public Instant lastRenderAt() {
        return lastRenderAt;
    }

    /** When {@link #start()} was called, or null. */
    public Instant startedAt() {
        return startedAt;
    }

    /** Every service now, in output order, as the status page shows it. */
    public List<ServiceStatus> serviceStatuses() {
        List<ServiceRuntime> all;
        Map<String, String> ownersNow;
        synchronized (lock) {
            all = runtimesLocked();
            ownersNow = new HashMap<>(owners);
        }
        return all.stream().map(rt -> rt.status(ownersNow.get(rt.name()))).toList();
    }

    /** Every generator, in config order. */
    public List<GeneratorStatus> generatorStatuses() {
        synchronized (lock) {
            return List.copyOf(generatorStatus.values());
        }
    }

    /** Every catalog, in config order. */
    public List<CatalogStatus> catalogStatuses() {
        return catalogs.stream().map(CatalogRuntime::status).toList();
    }

    /**
     * Why the engine is not doing its job, one line each: a watcher failing or without a first
     * snapshot, a catalog failing or without a first set, a generator failing, the render thread
     * gone. Empty when all is well.
     */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        if (state.get() == State.STARTED && !dispatcher.isAlive()) {
            out.add("the render thread stopped");
        }
        for (CatalogStatus c : catalogStatuses()) {
            if (c.failing()) {
                out.add("catalog " + c.name() + ": failing: " + c.lastError());
            } else if (!c.initialized()) {
                out.add("catalog " + c.name() + ": no first set of services yet");
            }
        }
        for (ServiceStatus s : serviceStatuses()) {
            if (s.failing()) {
                out.add("service " + s.name() + ": watcher failing: " + s.lastError());
            } else if (!s.initialized()) {
                out.add("service " + s.name() + ": no first snapshot yet");
            }
        }
        for (GeneratorStatus g : generatorStatuses()) {
            if (g.failing()) {
                out.add("generator " + g.name() + ": last update failed: " + g.lastError());
            }
        }
        return out;
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
            synchronized (lock) {
                while (state.get() != State.CLOSED && !discoveryReady() && System.nanoTime() < graceEnd) {
                    TimeUnit.NANOSECONDS.timedWait(lock, Math.min(TimeUnit.MILLISECONDS.toNanos(100), graceEnd - System.nanoTime()));
                }
            }
            if (!discoveryReady()) {
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

    private void render(Set<String> changed) throws InterruptedException {
        long startNanos = System.nanoTime();
        boolean anyFailed = false;
        boolean allOk = true;
        boolean ready = discoveryReady();
        long now = System.nanoTime();
        List<ServiceRuntime> all = runtimes();
        List<Update> updates = new ArrayList<>();
        for (Map.Entry<String, ConfigGenerator> g : config.generators().entrySet()) {
            String name = g.getKey();
            Set<String> todo;
            Long due;
            synchronized (lock) {
                todo = pending.get(name);
                todo.addAll(changed);
                due = retryAt.get(name);
            }
            if (due != null && due > now) {
                allOk = false;
                continue;
            }
            Map<String, ServiceView> views = new LinkedHashMap<>();
            for (ServiceRuntime rt : all) {
                views.put(rt.name(), rt.view(name));
            }
            Set<String> sent;
            synchronized (lock) {
                sent = new HashSet<>(todo);
            }
            updates.add(new Update(name, g.getValue(), new GeneratorState(views, sent)));
        }
        runAll(updates);
        for (Update u : updates) {
            String name = u.name;
            if (u.failure == null) {
                synchronized (lock) {
                    pending.get(name).removeAll(u.state.changed());
                    if (retryAt.remove(name) != null) {
                        LOG.info("generator {}: recovered", name);
                    }
                    GeneratorStatus before = generatorStatus.get(name);
                    generatorStatus.put(name, new GeneratorStatus(name, false, before.lastError(), before.lastErrorAt(), Instant.now()));
                }
                backoff.remove(name);
                continue;
            }
            Exception e = u.failure;
            allOk = false;
            anyFailed = true;
            synchronized (lock) {
                GeneratorStatus before = generatorStatus.get(name);
                generatorStatus.put(name, new GeneratorStatus(name, true, e.getMessage(), Instant.now(), before.lastSuccessAt()));
            }
            long delay = Math.min(MAX_BACKOFF_NANOS, backoff.getOrDefault(name, TimeUnit.MILLISECONDS.toNanos(500)) * 2);
            backoff.put(name, delay);
            synchronized (lock) {
                retryAt.put(name, System.nanoTime() + delay);
            }
            LOG.warn("generator {}: update failed: {}; retrying in {} ms", name, e.getMessage(), TimeUnit.NANOSECONDS.toMillis(delay));
            LOG.debug("generator {}: failure detail", name, e);
        }
        renders++;
        lastRenderAt = Instant.now();
        if (anyFailed) {
            rendersFailed++;
        }
        metrics.rendered(anyFailed, System.nanoTime() - startNanos);
        if (statsd != null) {
            statsd.count("synapse.renders", 1);
            statsd.count(allOk ? "synapse.renders.ok" : "synapse.renders.failed", 1);
            for (ServiceRuntime rt : all) {
                if (changed.contains(rt.name())) {
                    statsd.gauge(StatsdSink.name("synapse", "service", rt.name(), "backends"), rt.backends().size());
                }
            }
        }
        if (allOk && ready) {
            synchronized (lock) {
                outputsReady = true;
                lock.notifyAll();
            }
        }
    }

    /** One generator's update in a render, and how it ended (null: it succeeded). */
    private static final class Update {
        final String name;
        final ConfigGenerator generator;
        final GeneratorState state;
        Exception failure;

        Update(String name, ConfigGenerator generator, GeneratorState state) {
            this.name = name;
            this.generator = generator;
            this.state = state;
        }

        void run() throws InterruptedException {
            try {
                generator.update(state);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                failure = e;
            } catch (Error e) {
                LOG.error("generator {}: update failed", name, e);
                throw e;
            }
        }
    }

    /**
     * Runs the updates of a render at the same time: the first on the dispatcher, each other one
     * on a generator thread (outputs are independent: file_output writing its files need not wait
     * for haproxy's render). A generator is still called once at a time.
     */
    private void runAll(List<Update> updates) throws InterruptedException {
        if (updates.isEmpty()) {
            return;
        }
        List<Future<?>> others = new ArrayList<>();
        for (Update u : updates.subList(1, updates.size())) {
            others.add(generatorThreads().submit(() -> {
                u.run();
                return null;
            }));
        }
        try {
            updates.get(0).run();
            for (Future<?> f : others) {
                f.get();
            }
        } catch (InterruptedException e) {
            others.forEach(f -> f.cancel(true));
            throw e;
        } catch (ExecutionException e) {
            others.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new InterruptedException("a generator was interrupted"); // the engine is closing
        }
    }

    private ExecutorService generatorThreads() {
        if (generatorThreads == null) {
            AtomicInteger n = new AtomicInteger();
            generatorThreads = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "synapse-generator-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return generatorThreads;
    }

    /**
     * Stops the catalogs and watchers, waits for the dispatcher to finish its current render (a
     * running {@code check_command} or reload is interrupted and killed), then closes the
     * generators. Idempotent.
     */
    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        synchronized (lock) {
            lock.notifyAll();
        }
        for (CatalogRuntime c : catalogs) {
            c.close();
        }
        List<ServiceWatcher> toClose;
        synchronized (lock) {
            toClose = new ArrayList<>(watchers.values());
            watchers.clear();
        }
        toClose.forEach(Engine::closeQuietly);
        if (previous == State.STARTED) {
            try {
                dispatcher.join(1500);
                while (dispatcher.isAlive()) {
                    LOG.info("waiting for the current render to stop");
                    dispatcher.interrupt();
                    dispatcher.join(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (generatorThreads != null) {
            // after the dispatcher: it cancelled what it waited for; let those calls end before closing
            generatorThreads.shutdownNow();
            try {
                if (!generatorThreads.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.warn("a generator did not stop within 5 s of being interrupted");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        config.generators().values().forEach(ConfigGenerator::close);
        if (statsd != null) {
            statsd.close();
        }
        metrics.close();
    }
}
