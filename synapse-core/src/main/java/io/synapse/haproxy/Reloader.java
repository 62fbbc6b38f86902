package io.synapse.haproxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.synapse.output.Commands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code reload_command} at most once per {@code restart_interval} (plus jitter): requests
 * that arrive meanwhile are coalesced into the next reload. A failed reload is logged and retried.
 */
final class Reloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reloader.class);

    private final String command;
    private final long intervalNanos;
    private final double jitter;
    private final ScheduledExecutorService executor;
    private long lastReloadNanos;
    private boolean scheduled;
    private boolean everReloaded;
    private int failures;
    private volatile long reloads;
    private boolean counted;

    /**
     * synapse_haproxy_reloads_total{result}: reloads run (ok, failed), and requests that had to wait
     * for restart_interval or joined a pending reload (rate_limited). Registered at the first
     * request (after a status endpoint started), all three at once so that each series exists.
     */
    private static Counter reloads(String result) {
        return Counter.builder("synapse.haproxy.reloads").tag("result", result)
                .description("HAProxy reloads run (ok, failed) and reload requests delayed or coalesced by restart_interval (rate_limited)")
                .register(Metrics.globalRegistry);
    }

    Reloader(String command, double intervalSeconds, double jitter) {
        this.command = command;
        this.intervalNanos = (long) (intervalSeconds * 1e9);
        this.jitter = jitter;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "haproxy-reloader");
            t.setDaemon(true);
            return t;
        });
    }

    synchronized void request() {
        if (!counted) {
            counted = true;
            List.of("ok", "failed", "rate_limited").forEach(Reloader::reloads);
        }
        if (scheduled) {
            reloads("rate_limited").increment();
            return;
        }
        scheduled = true;
        long now = System.nanoTime();
        long earliest = everReloaded ? lastReloadNanos + intervalNanos : now;
        if (jitter > 0 && everReloaded) {
            earliest += (long) (intervalNanos * jitter * ThreadLocalRandom.current().nextDouble());
        }
        if (earliest > now) {
            reloads("rate_limited").increment();
        }
        executor.schedule(this::reload, Math.max(0, earliest - now), TimeUnit.NANOSECONDS);
    }

    long reloads() {
        return reloads;
    }

    private void reload() {
        synchronized (this) {
            scheduled = false;
            lastReloadNanos = System.nanoTime();
            everReloaded = true;
        }
        try {
            Commands.Result r = Commands.run(command, Duration.ofSeconds(60));
            if (r.ok()) {
                reloads++;
                reloads("ok").increment();
                synchronized (this) {
                    if (failures > 0) {
                        LOG.info("haproxy reloaded after {} failed attempt(s)", failures);
                    } else {
                        LOG.info("haproxy reloaded");
                    }
                    failures = 0;
                }
                return;
            }
            fail("exit " + r.exitCode() + ": " + r.summary());
        } catch (Exception e) {
            fail(e.getMessage());
        }
    }

    private synchronized void fail(String why) {
        failures++;
        reloads("failed").increment();
        LOG.warn("haproxy reload failed ({}); retrying", why);
        if (!executor.isShutdown()) {
            request();
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
