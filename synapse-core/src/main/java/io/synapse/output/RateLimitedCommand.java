package io.synapse.output;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Runs a shell command (a {@code reload_command}) on request, at most once per interval (plus
 * jitter): requests that arrive while a run is pending or too soon after the last one are
 * coalesced into the next run. A run that fails (non-zero exit, timeout) is logged and retried
 * after the interval. The first request runs at once.
 *
 * <p>Used by the {@code templates} generator; the HAProxy generator's {@code Reloader} does the
 * same for {@code haproxy.reload_command}.
 */
public final class RateLimitedCommand implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RateLimitedCommand.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final String label;
    private final String command;
    private final long intervalNanos;
    private final double jitter;
    private final ScheduledExecutorService executor;
    private long lastRunNanos;
    private boolean everRun;
    private boolean scheduled;
    private int failures;
    private long runs;

    /**
     * @param label names the command in log lines ({@code "templates[0] reload"})
     * @param command a {@code /bin/sh -c} command line
     * @param interval the least time between the starts of two runs
     * @param jitter 0 or more: each run after the first waits up to {@code jitter x interval} more
     */
    public RateLimitedCommand(String label, String command, Duration interval, double jitter) {
        this.label = requireNonNull(label, "label is null");
        this.command = requireNonNull(command, "command is null");
        requireNonNull(interval, "interval is null");
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval is negative: " + interval);
        }
        if (jitter < 0) {
            throw new IllegalArgumentException("jitter is negative: " + jitter);
        }
        this.intervalNanos = interval.toNanos();
        this.jitter = jitter;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "command-" + label);
            t.setDaemon(true);
            return t;
        });
    }

    /** Asks for a run: at once if none ran within the interval, else at the interval's end; never twice queued. */
    public synchronized void request() {
        if (scheduled || executor.isShutdown()) {
            return;
        }
        scheduled = true;
        long now = System.nanoTime();
        long earliest = now;
        if (everRun) {
            earliest = lastRunNanos + intervalNanos;
            if (jitter > 0) {
                earliest += (long) (intervalNanos * jitter * ThreadLocalRandom.current().nextDouble());
            }
        }
        executor.schedule(this::run, Math.max(0, earliest - now), TimeUnit.NANOSECONDS);
    }

    /** How many runs succeeded. */
    public synchronized long runs() {
        return runs;
    }

    /** Failed runs since the last success. */
    synchronized int failures() {
        return failures;
    }

    /** Whether a run is waiting (requested, or a failed run to be retried). */
    public synchronized boolean pending() {
        return scheduled;
    }

    private void run() {
        synchronized (this) {
            scheduled = false;
            lastRunNanos = System.nanoTime();
            everRun = true;
        }
        String failure;
        try {
            Commands.Result r = Commands.run(command, TIMEOUT);
            if (r.ok()) {
                synchronized (this) {
                    runs++;
                    if (failures > 0) {
                        LOG.info("{}: succeeded after {} failed attempt(s)", label, failures);
                    } else {
                        LOG.info("{}: done", label);
                    }
                    failures = 0;
                }
                return;
            }
            failure = "exit " + r.exitCode() + ": " + oneLine(r.output());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            failure = e.getMessage();
        }
        synchronized (this) {
            failures++;
            if (executor.isShutdown()) {
                return;
            }
            LOG.warn("{}: `{}` failed ({}); retrying in {} ms", label, command, failure, TimeUnit.NANOSECONDS.toMillis(intervalNanos));
            request();
        }
    }

    /** A command's whole output on one line (non-blank lines joined with " | "), for log messages. */
    public static String oneLine(String output) {
        StringBuilder out = new StringBuilder();
        for (String line : output.strip().split("\n")) {
            if (!line.isBlank()) {
                if (out.length() > 0) {
                    out.append(" | ");
                }
                out.append(line.strip());
            }
        }
        return out.toString();
    }

    /** Stops: a pending run is dropped, a running command is left to finish. Idempotent. */
    @Override
    public void close() {
        executor.shutdownNow();
    }
}
