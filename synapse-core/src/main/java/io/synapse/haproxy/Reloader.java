package io.synapse.haproxy;

import io.synapse.output.Commands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
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
        if (scheduled) {
            return;
        }
        scheduled = true;
        long now = System.nanoTime();
        long earliest = everReloaded ? lastReloadNanos + intervalNanos : now;
        if (jitter > 0 && everReloaded) {
            earliest += (long) (intervalNanos * jitter * ThreadLocalRandom.current().nextDouble());
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
