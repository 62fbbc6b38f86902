package io.synapse.nerve;

import io.synapse.common.etcd.EtcdClientSettings;
import io.synapse.common.etcd.EtcdClients;
import io.synapse.common.metrics.StatsdSink;
import io.synapse.common.zookeeper.ZooKeeperClientSettings;
import io.synapse.common.zookeeper.ZooKeeperClients;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * The nerve daemon as a library: runs one {@link ServiceRunner} per service, shares registry
 * clients (one per ZooKeeper ensemble, one per etcd connection), touches the heartbeat file and
 * applies reloads. Threads: one scheduler starts every check round and runs nothing that blocks,
 * one {@link TcpConnector} finishes the tcp checks, and a pool grows only for the checks that block
 * (http, exec, redis) and for reports. {@link #close()} removes every registration within about a second.
 */
final class Nerve implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Nerve.class);
    static final Duration DEREGISTER_DEADLINE = Duration.ofMillis(700);
    /**
     * ZooKeeper: a 10 s session (a killed nerve's registrations go within 10 s); operations fail
     * at once without a connection, the reporters retry with their own backoff.
     */
    static final ZooKeeperClientSettings ZOOKEEPER = new ZooKeeperClientSettings(Duration.ofSeconds(10),
            Duration.ofSeconds(2), false, Duration.ofMillis(300), "nerve-zookeeper");
    /** etcd: calls give up after 2 s in all, the reporters retry with their own backoff. */
    static final EtcdClientSettings ETCD = new EtcdClientSettings(Duration.ofSeconds(2), Duration.ofSeconds(10),
            Duration.ofSeconds(3), null, null, Duration.ofSeconds(2), null, null);

    private final ScheduledThreadPoolExecutor scheduler;
    private final ExecutorService workers;
    private final TcpConnector connector = new TcpConnector("nerve-tcp-checks");
    private final ZooKeeperClients zooKeeper = new ZooKeeperClients(ZOOKEEPER, state -> switch (state) {
        case RECONNECTED -> "verifying the registrations";
        case LOST -> "registrations will be re-created on reconnect";
        default -> null;
    }, "nerve");
    private final EtcdClients etcd = new EtcdClients(ETCD, "nerve");
    private final Map<String, ServiceRunner> running = new LinkedHashMap<>();
    /** Services that could not start, with why (for /healthz). */
    private final Map<String, String> startFailures = new LinkedHashMap<>();
    private volatile java.time.Instant startedAt;
    private volatile NerveConfig config;
    private volatile StatsdSink statsd;
    private ScheduledFuture<?> heartbeat;
    private boolean heartbeatWarned;
    private boolean started;
    private boolean closed;

    Nerve(NerveConfig config) {
        this.config = requireNonNull(config, "config is null");
        this.scheduler = new ScheduledThreadPoolExecutor(1, threads("nerve-scheduler"));
        this.scheduler.setRemoveOnCancelPolicy(true);
        this.scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.workers = Executors.newCachedThreadPool(threads("nerve-worker"));
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        startedAt = java.time.Instant.now();
        statsd = openStatsd(config);
        for (ServiceConfig service : config.services().values()) {
            startService(service);
        }
        scheduleHeartbeat();
        log.info("nerve {}: started {} services{}", config.instanceId(), running.size(),
                running.isEmpty() ? "" : " (" + String.join(", ", running.keySet()) + ")");
    }

    private StatsdSink openStatsd(NerveConfig c) {
        if (c.statsd() == null) {
            return null;
        }
        try {
            return new StatsdSink(c.statsd().host(), c.statsd().port());
        } catch (IOException | RuntimeException e) {
            log.warn("statsd {}:{}: disabled ({})", c.statsd().host(), c.statsd().port(), Check.reason(e));
            return null;
        }
    }

    private void startService(ServiceConfig service) {
        ServiceRunner runner;
        try {
            runner = new ServiceRunner(service, onDrift -> reporter(service, onDrift), scheduler, workers, connector,
                    () -> config.maintenanceFile(), config.verifyInterval(), () -> statsd);
        } catch (RuntimeException e) {
            log.error("service {}: cannot start: {}", service.name(), e.getMessage());
            startFailures.put(service.name(), e.getMessage());
            return;
        }
        startFailures.remove(service.name());
        running.put(service.name(), runner);
        log.info("service {}: watching {}:{} with {} checks every {} ms, reporting to {}", service.name(), service.host(),
                service.port(), service.checks().size(), service.checkInterval().toMillis(), service.reporter().describe());
        runner.start();
    }

    private Reporter reporter(ServiceConfig service, Runnable onDrift) {
        String instanceId = config.instanceId();
        ReporterTarget target = service.reporter();
        if (target instanceof ReporterTarget.ZooKeeper zk) {
            return new ZooKeeperReporter(service.name(), zooKeeper, zk, service.registration(instanceId), onDrift);
        }
        return new EtcdReporter(service.name(), etcd, (ReporterTarget.Etcd) target, service.registration(instanceId),
                service.checkInterval(), scheduler, onDrift);
    }

    /** Applies a new config: removed services deregister, new ones start, changed ones are replaced. */
    synchronized void reload(NerveConfig next) {
        requireNonNull(next, "next is null");
        if (closed) {
            return;
        }
        NerveConfig previous = config;
        boolean idChanged = !previous.instanceId().equals(next.instanceId());
        List<String> removed = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        List<ServiceRunner> toStop = new ArrayList<>();
        for (Map.Entry<String, ServiceRunner> e : running.entrySet()) {
            ServiceConfig now = next.services().get(e.getKey());
            if (now == null) {
                removed.add(e.getKey());
                toStop.add(e.getValue());
            } else if (idChanged || !now.equals(e.getValue().config())) {
                changed.add(e.getKey());
                toStop.add(e.getValue());
            }
        }
        stopAll(toStop, Duration.ofSeconds(10));
        toStop.forEach(r -> running.remove(r.name()));
        startFailures.keySet().retainAll(next.services().keySet());
        config = next;
        StatsdSink old = statsd;
        statsd = openStatsd(next);
        if (old != null) {
            old.close();
        }
        for (ServiceConfig service : next.services().values()) {
            if (!running.containsKey(service.name())) {
                if (!changed.contains(service.name())) {
                    added.add(service.name());
                }
                startService(service);
            }
        }
        scheduleHeartbeat();
        log.info("reload: {} added {}, {} removed {}, {} changed {}, {} running", added.size(), added, removed.size(),
                removed, changed.size(), changed, running.size());
    }

    synchronized Map<String, ServiceRunner> services() {
        return Map.copyOf(running);
    }

    /** The running services in config order. */
    synchronized List<ServiceRunner> runners() {
        return List.copyOf(running.values());
    }

    /** When {@link #start()} ran, or null. */
    java.time.Instant startedAt() {
        return startedAt;
    }

    /**
     * Why nerve is not doing its job, one line each: a service that could not start, reports that
     * keep failing, a check loop that stopped finishing rounds. Empty when every loop runs.
     */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        java.time.Instant now = java.time.Instant.now();
        List<ServiceRunner> runners;
        synchronized (this) {
            startFailures.forEach((name, why) -> out.add("service " + name + ": cannot start: " + why));
            runners = List.copyOf(running.values());
        }
        for (ServiceRunner r : runners) {
            String problem = r.problem(now);
            if (problem != null) {
                out.add(problem);
            }
        }
        return out;
    }

    NerveConfig config() {
        return config;
    }

    /** Touches the heartbeat file at the shortest check interval (between 100 ms and 1 s). */
    private void scheduleHeartbeat() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
            heartbeat = null;
        }
        if (config.heartbeatPath() == null) {
            return;
        }
        long period = config.services().values().stream()
                .mapToLong(s -> s.checkInterval().toMillis())
                .min().orElse(1000);
        period = Math.max(100, Math.min(1000, period));
        heartbeatWarned = false;
        touchHeartbeat();
        heartbeat = scheduler.scheduleAtFixedRate(() -> workers.execute(this::touchHeartbeat), period, period,
                TimeUnit.MILLISECONDS);
    }

    private void touchHeartbeat() {
        Path path = config.heartbeatPath();
        if (path == null) {
            return;
        }
        try {
            try {
                Files.setLastModifiedTime(path, FileTime.fromMillis(System.currentTimeMillis()));
            } catch (NoSuchFileException e) {
                Path dir = path.toAbsolutePath().getParent();
                if (dir != null) {
                    Files.createDirectories(dir);
                }
                Files.createFile(path);
            }
            heartbeatWarned = false;
        } catch (IOException | RuntimeException e) {
            if (!heartbeatWarned) {
                heartbeatWarned = true;
                log.warn("heartbeat {}: cannot touch it ({})", path, Check.reason(e));
            }
        }
    }

    /** Stops runners in parallel, waiting at most {@code deadline}; returns how many finished. */
    private int stopAll(List<ServiceRunner> runners, Duration deadline) {
        if (runners.isEmpty()) {
            return 0;
        }
        CountDownLatch done = new CountDownLatch(runners.size());
        for (ServiceRunner r : runners) {
            Thread t = new Thread(() -> {
                try {
                    r.stop();
                } catch (RuntimeException e) {
                    log.warn("service {}: stop failed: {}", r.name(), Check.reason(e));
                } finally {
                    done.countDown();
                }
            }, "nerve-stop-" + r.name());
            t.setDaemon(true);
            t.start();
        }
        try {
            done.await(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return runners.size() - (int) done.getCount();
    }

    /** Deregisters everything (in parallel, within {@link #DEREGISTER_DEADLINE}) and releases all clients. Idempotent. */
    @Override
    public void close() {
        List<ServiceRunner> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
            all = new ArrayList<>(running.values());
            running.clear();
        }
        long start = System.nanoTime();
        int stopped = stopAll(all, DEREGISTER_DEADLINE);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (stopped < all.size()) {
            log.warn("shutdown: {} of {} services not deregistered within {} ms (registry unreachable?); "
                    + "their registrations go with the ZooKeeper session / etcd lease", all.size() - stopped, all.size(),
                    DEREGISTER_DEADLINE.toMillis());
        } else {
            log.info("shutdown: {} services deregistered in {} ms", all.size(), tookMs);
        }
        // closing the clients ends the ZooKeeper sessions, which removes any ephemeral node left
        Thread closer = new Thread(() -> {
            zooKeeper.close();
            etcd.close();
        }, "nerve-close-clients");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scheduler.shutdownNow();
        workers.shutdownNow();
        connector.close();
        if (statsd != null) {
            statsd.close();
        }
    }
}
