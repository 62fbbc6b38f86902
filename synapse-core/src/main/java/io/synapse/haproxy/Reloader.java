package io.synapse.haproxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * When to reload: at most once per {@code restart_interval} (plus up to {@code restart_jitter}
 * times the interval), with every request that arrives meanwhile coalesced into the next reload. A
 * failed reload is logged and retried after the interval. How to reload is the {@link Action}'s.
 */
final class Reloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reloader.class);

    /** One reload. */
    interface Action {
        /**
         * Reloads; returns what happened for the log line, or null when there was nothing to do.
         * Throws (with a one-line message) when the reload failed.
         */
        String reload() throws Exception;
    }

    private final Action action;
    private final long intervalNanos;
    private final double jitter;
    private final ScheduledExecutorService executor;
    private long lastReloadNanos;
    private boolean scheduled;
    private boolean everReloaded;
    private int failures;
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

    Reloader(double intervalSeconds, double jitter, Action action) {
        this.action = requireNonNull(action, "action is null");
        this.intervalNanos = (long) (intervalSeconds * 1e9);
        this.jitter = jitter;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "haproxy-reloader");
            t.setDaemon(true);
            return t;
        });
    }

    /** Asks for a reload: now if the last one is at least an interval ago, else at the end of the interval. */
    synchronized void request() {
        if (!counted) {
            counted = true;
            List.of("ok", "failed", "rate_limited").forEach(Reloader::reloads);
        }
        if (executor.isShutdown()) {
            return;
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

    private void reload() {
        synchronized (this) {
            scheduled = false;
            lastReloadNanos = System.nanoTime();
            everReloaded = true;
        }
        try {
            String done = action.reload();
            if (done == null) {
                return;
            }
            reloads("ok").increment();
            synchronized (this) {
                if (failures > 0) {
                    LOG.info("haproxy reloaded after {} failed attempt(s): {}", failures, done);
                } else {
                    LOG.info("haproxy reloaded: {}", done);
                }
                failures = 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            synchronized (this) {
                failures++;
                reloads("failed").increment();
                LOG.warn("haproxy reload failed ({}); retrying", e.getMessage());
                LOG.debug("haproxy reload failure detail", e);
                request();
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
