package io.synapse.nerve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import io.synapse.common.concurrent.Backoff;
import io.synapse.common.metrics.StatsdSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * One service: check rounds on a fixed-rate schedule, rise/fall per check, maintenance, and a
 * reconcile loop that makes the registry match the wanted state.
 *
 * <p>A round starts on the shared scheduler's thread. Checks run in order and a round stops at the
 * first check that is down (as the Ruby Nerve does). A {@code tcp} check of an IP address needs no
 * thread (the shared {@link TcpConnector} finishes it, and the round goes on there); the other
 * checks block, so they run on the shared worker pool, where a slow check only delays its own
 * service. A round still running when the next one is due makes that tick be skipped (rounds never
 * overlap, and the schedule does not drift). Rounds and verifications start on a process-wide
 * 50 ms grid (their phases spread over the interval by service name), so that one wake-up of the
 * scheduler starts several: 500 services checked every second cost 20 wake-ups a second, not 500.
 *
 * <p>Reporting is serialized per service and coalesced: the latest wanted state wins. A failed
 * report is retried with exponential backoff (100 ms to 5 s) until it succeeds; every
 * {@code max_repeated_report_failures} failures in a row the reporter is reset. Every
 * {@code verify_interval} (unless the reporter's watch stands in for it: {@link Reporter#watching}),
 * on every ZooKeeper (re)connection and on a watch event the registration is re-read and repaired.
 */
final class ServiceRunner {
    private static final Logger log = LoggerFactory.getLogger(ServiceRunner.class);
    private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    /** Round starts are aligned to this grid (see the class comment). */
    static final long PHASE_GRID_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** The origin of the grid, shared by every service of the process. */
    private static final long GRID_ORIGIN = System.nanoTime();

    private final ServiceConfig config;
    private final ScheduledExecutorService scheduler;
    private final Executor workers;
    private final TcpConnector connector;
    private final Supplier<Path> globalMaintenance;
    private final Duration verifyInterval;
    private final Supplier<StatsdSink> statsd;
    private final List<Check> checks = new ArrayList<>();
    private final List<RiseFall> states = new ArrayList<>();
    /** The last result of each check, for the status page and metrics; replaced, never mutated. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<CheckStatus> results;
    /** Each check's name in metric labels: its name, with #2, #3... when a name repeats. */
    private final List<String> checkLabels = new ArrayList<>();
    private final List<Meter> meters = new ArrayList<>();
    private final Counter reportsOk;
    private final Counter reportsFailed;
    private final Instant createdAt = Instant.now();
    private volatile Instant lastRoundAt;
    private volatile String lastReportError;
    private volatile Instant lastReportErrorAt;
    private volatile int reportFailuresInARow;
    private final RateLimiter rateLimiter;

    private final AtomicBoolean roundRunning = new AtomicBoolean();
    private final AtomicInteger reconcileRequests = new AtomicInteger();
    private final Object reportLock = new Object();
    private final List<ScheduledFuture<?>> schedules = new ArrayList<>();

    private volatile boolean stopped;
    private volatile Boolean desiredUp;
    private volatile boolean verifyRequested;
    private volatile long rounds;
    private volatile long skippedRounds;
    private volatile boolean maintenance;
    // one round at a time (roundRunning); a round may move between threads, each hand-over orders its writes
    private boolean roundMaintenance;
    private long checkStarted;

    private final Reporter reporter;
    /** Periodic verifications skipped because the registry watches the registration for us. */
    private final AtomicLong verificationsSkipped = new AtomicLong();
    // written under reportLock
    private volatile Boolean reportedUp;
    private Boolean lastReportedUp;
    private Boolean lastAttempted;
    private int failures;
    private long backoffUntil;
    private ScheduledFuture<?> retry;

    ServiceRunner(ServiceConfig config, Function<Runnable, Reporter> reporterFactory, ScheduledExecutorService scheduler,
                  Executor workers, TcpConnector connector, Supplier<Path> globalMaintenance, Duration verifyInterval,
                  Supplier<StatsdSink> statsd) {
        this.config = requireNonNull(config, "config is null");
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        this.workers = requireNonNull(workers, "workers is null");
        this.connector = requireNonNull(connector, "connector is null");
        this.globalMaintenance = requireNonNull(globalMaintenance, "globalMaintenance is null");
        this.verifyInterval = requireNonNull(verifyInterval, "verifyInterval is null");
        this.statsd = requireNonNull(statsd, "statsd is null");
        java.util.Map<String, Integer> seen = new java.util.HashMap<>();
        for (CheckConfig c : config.checks()) {
            checks.add(Check.of(c));
            states.add(new RiseFall(c.rise(), c.fall()));
            int n = seen.merge(c.name(), 1, Integer::sum);
            checkLabels.add(n == 1 ? c.name() : c.name() + "#" + n);
        }
        results = new java.util.concurrent.atomic.AtomicReferenceArray<>(checks.size());
        for (int i = 0; i < checks.size(); i++) {
            results.set(i, new CheckStatus(checkLabels.get(i), config.checks().get(i).spec().type(), null, null, null, Double.NaN, null));
        }
        reportsOk = Counter.builder("nerve.reports").tags("service", config.name(), "result", "ok")
                .description("Reports to the registry (a registration made, verified or removed) that succeeded or failed")
                .register(Metrics.globalRegistry);
        reportsFailed = Counter.builder("nerve.reports").tags("service", config.name(), "result", "failed")
                .description("Reports to the registry (a registration made, verified or removed) that succeeded or failed")
                .register(Metrics.globalRegistry);
        this.rateLimiter = config.rateLimit() == null ? null
                : new RateLimiter(config.rateLimit().averageRate(), config.rateLimit().maxBurst(), System::nanoTime);
        this.reporter = requireNonNull(reporterFactory, "reporterFactory is null").apply(this::onDrift);
    }

    String name() {
        return config.name();
    }

    ServiceConfig config() {
        return config;
    }

    /** The last successfully reported state, or {@code null} (none yet, or the last report failed). */
    Boolean reportedUp() {
        return reportedUp;
    }

    Reporter reporter() {
        return reporter;
    }

    /** How many periodic verifications were skipped because a watch stood in for them. */
    long verificationsSkipped() {
        return verificationsSkipped.get();
    }

    long rounds() {
        return rounds;
    }

    long skippedRounds() {
        return skippedRounds;
    }

    /**
     * One check's last result.
     *
     * @param label its name in metric labels and on the status page
     * @param up its rise/fall state, or {@code null} before its first result
     * @param lastPassed whether the last run passed, or {@code null} before it ran
     * @param reason why the last run failed, or {@code null}
     * @param seconds how long the last run took ({@code NaN} before it ran)
     * @param at when the last run finished, or {@code null}
     */
    record CheckStatus(String label, String type, Boolean up, Boolean lastPassed, String reason, double seconds, Instant at) {}

    List<CheckStatus> checkStatuses() {
        List<CheckStatus> out = new ArrayList<>(results.length());
        for (int i = 0; i < results.length(); i++) {
            out.add(results.get(i));
        }
        return out;
    }

    /** The state the checks want reported: up, down, or {@code null} before the first round. */
    Boolean desiredUp() {
        return desiredUp;
    }

    boolean inMaintenance() {
        return maintenance;
    }

    Instant lastRoundAt() {
        return lastRoundAt;
    }

    /** Failed reports since the last success (0: the last report succeeded). */
    int reportFailuresInARow() {
        return reportFailuresInARow;
    }

    String lastReportError() {
        return lastReportError;
    }

    Instant lastReportErrorAt() {
        return lastReportErrorAt;
    }

    /**
     * Why this service's loops are not doing their job, or {@code null}: its reports keep failing,
     * or no check round finished for longer than three intervals plus its checks' time limits.
     */
    String problem(Instant now) {
        if (stopped) {
            return null;
        }
        int failed = reportFailuresInARow;
        if (failed > 0) {
            return "service " + config.name() + ": reporting to " + config.reporter().describe() + " failing (" + failed
                    + (failed == 1 ? " attempt" : " attempts") + "): " + lastReportError;
        }
        Duration limit = config.checkInterval().multipliedBy(3).plusSeconds(1);
        for (CheckConfig c : config.checks()) {
            limit = limit.plus(c.timeout());
        }
        Instant last = lastRoundAt != null ? lastRoundAt : createdAt;
        if (Duration.between(last, now).compareTo(limit) > 0) {
            return "service " + config.name() + ": no check round finished for " + Duration.between(last, now).toSeconds() + " s";
        }
        return null;
    }

    private void registerMeters() {
        String service = config.name();
        meters.add(Gauge.builder("nerve.service.up", () -> desiredUp == null ? Double.NaN : desiredUp ? 1 : 0)
                .tag("service", service)
                .description("1 while the service is up (its checks pass, no maintenance), 0 while down, NaN before the first round")
                .register(Metrics.globalRegistry));
        meters.add(Gauge.builder("nerve.maintenance", () -> maintenance ? 1 : 0)
                .tag("service", service)
                .description("1 while a maintenance file reports the service down")
                .register(Metrics.globalRegistry));
        for (int i = 0; i < checks.size(); i++) {
            int index = i;
            String label = checkLabels.get(i);
            meters.add(Gauge.builder("nerve.check.up", () -> {
                        Boolean up = results.get(index).up();
                        return up == null ? Double.NaN : up ? 1 : 0;
                    })
                    .tags("service", service, "check", label)
                    .description("1 while the check is up (after rise/fall), 0 while down, NaN before its first run")
                    .register(Metrics.globalRegistry));
            meters.add(Gauge.builder("nerve.check.duration.seconds", () -> results.get(index).seconds())
                    .tags("service", service, "check", label)
                    .description("How long the check's last run took")
                    .register(Metrics.globalRegistry));
        }
        meters.add(reportsOk);
        meters.add(reportsFailed);
    }

    /** Runs the first round now, then every check interval (phase spread by name), and verifies periodically. */
    void start() {
        registerMeters();
        long now = System.nanoTime();
        long interval = config.checkInterval().toNanos();
        long phase = onGrid(Math.floorMod(config.name().hashCode(), Math.max(1, interval)), interval);
        long verify = verifyInterval.toNanos();
        long verifyPhase = onGrid(ThreadLocalRandom.current().nextLong(Math.max(1, verify)), verify);
        long firstVerify = delayToPhase(now, verifyPhase, verify);
        if (firstVerify < verify / 2) {
            firstVerify += verify; // not right after the registration
        }
        synchronized (schedules) {
            schedules.add(scheduler.scheduleAtFixedRate(this::tick, delayToPhase(now, phase, interval), interval, TimeUnit.NANOSECONDS));
            schedules.add(scheduler.scheduleAtFixedRate(this::periodicVerify, firstVerify, verify, TimeUnit.NANOSECONDS));
        }
        tick();
    }

    /** {@code phase} rounded down to the grid, when the period spans at least two grid steps. */
    static long onGrid(long phase, long period) {
        return period >= 2 * PHASE_GRID_NANOS ? phase - phase % PHASE_GRID_NANOS : phase;
    }

    /** The delay from {@code now} to the next instant {@code phase} past a multiple of {@code period} from the grid's origin. */
    static long delayToPhase(long now, long phase, long period) {
        return Math.floorMod(GRID_ORIGIN + phase - now, Math.max(1, period));
    }

    private void tick() {
        if (stopped) {
            return;
        }
        if (!roundRunning.compareAndSet(false, true)) {
            skippedRounds++;
            log.debug("service {}: previous check round still running; skipping this one", config.name());
            return;
        }
        try {
            boolean inMaintenance = maintenanceFileExists();
            if (inMaintenance != maintenance) {
                maintenance = inMaintenance;
                log.info(inMaintenance ? "service {}: maintenance file present; reporting down"
                        : "service {}: maintenance file gone; back to its checks", config.name());
            }
            roundMaintenance = inMaintenance;
            runCheck(0);
        } catch (RuntimeException e) {
            log.error("service {}: check round failed unexpectedly", config.name(), e);
            roundRunning.set(false);
        }
    }

    /** Runs check {@code i} of the current round, then the rest (here, or where the check completes). */
    private void runCheck(int i) {
        if (stopped) {
            roundRunning.set(false);
            return;
        }
        if (i == checks.size()) {
            finishRound(null);
            return;
        }
        Check check = checks.get(i);
        checkStarted = System.nanoTime();
        if (check instanceof TcpCheck tcp && tcp.nonBlocking()) {
            tcp.start(connector, failure -> continueRound(i, failure));
        } else if (check instanceof NoopCheck) {
            continueRound(i, null);
        } else {
            try {
                workers.execute(() -> continueRound(i, runBlocking(check)));
            } catch (RejectedExecutionException e) {
                roundRunning.set(false); // stopping
            }
        }
    }

    /** A check that blocks, on a worker: its failure, or {@code null} when it passed. */
    private Exception runBlocking(Check check) {
        try {
            check.run();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        } catch (Exception e) {
            return e;
        } catch (Error e) {
            log.error("service {}: check {} failed with a fatal error", config.name(), check.name(), e);
            roundRunning.set(false);
            throw e;
        }
    }

    /** Check {@code i} passed ({@code failure} null) or failed: record it, then go on or end the round. */
    private void continueRound(int i, Exception failure) {
        try {
            if (failure instanceof InterruptedException || stopped) {
                roundRunning.set(false);
                return;
            }
            Check check = checks.get(i);
            RiseFall state = states.get(i);
            boolean passed = failure == null;
            String reason = passed ? null : Check.reason(failure);
            double seconds = (System.nanoTime() - checkStarted) / 1e9;
            Boolean before = state.state();
            boolean up = state.record(passed);
            CheckStatus last = results.get(i);
            results.set(i, new CheckStatus(last.label(), last.type(), up, passed, reason, seconds, Instant.now()));
            if (!passed) {
                log.debug("service {}: check {} failed ({} in a row): {}", config.name(), check.name(),
                        state.consecutiveFailures(), reason);
            }
            if (before != null && before && !up) {
                log.info("service {}: check {} down after {} failures: {}", config.name(), check.name(),
                        state.consecutiveFailures(), reason);
            } else if (before != null && !before && up) {
                log.info("service {}: check {} up after {} successes", config.name(), check.name(),
                        state.consecutiveSuccesses());
            }
            if (!up) {
                finishRound("check " + check.name() + (reason == null ? " is down (rise " + state.consecutiveSuccesses()
                        + "/" + config.checks().get(i).rise() + ")" : ": " + reason));
                return;
            }
        } catch (RuntimeException e) {
            log.error("service {}: check round failed unexpectedly", config.name(), e);
            roundRunning.set(false);
            return;
        }
        runCheck(i + 1);
    }

    /** The round's outcome ({@code failure} null: every check up): updates the wanted state; ends the round. */
    private void finishRound(String failure) {
        try {
            boolean inMaintenance = roundMaintenance;
            if (stopped) {
                return;
            }
            rounds++;
            lastRoundAt = Instant.now();
            boolean up = failure == null && !inMaintenance;
            Boolean previous = desiredUp;
            desiredUp = up;
            if (previous == null || previous != up) {
                String why = inMaintenance ? "maintenance" : failure;
                if (up) {
                    log.info("service {}: up{}", config.name(), previous == null ? " (first check round)" : "");
                } else {
                    log.info("service {}: down ({})", config.name(), why);
                }
                count(up ? "up" : "down");
                requestReconcile(false);
            }
        } finally {
            roundRunning.set(false);
        }
    }

    private void count(String event) {
        StatsdSink s = statsd.get();
        if (s != null) {
            s.count(StatsdSink.name("nerve", "service", config.name(), event), 1);
        }
    }

    private boolean maintenanceFileExists() {
        Path own = config.maintenanceFile();
        Path global = globalMaintenance.get();
        return (own != null && Files.exists(own)) || (global != null && Files.exists(global));
    }

    /**
     * The {@code verify_interval} re-read, skipped while the reporter's registry watches the
     * registration itself (a ZooKeeper watch is armed on the node: a deletion or rewrite is seen at
     * once, and a reconnection verifies anyway), so a healthy ZooKeeper registration costs no
     * steady-state reads.
     */
    private void periodicVerify() {
        if (reporter.watching()) {
            verificationsSkipped.incrementAndGet();
            return;
        }
        requestReconcile(true);
    }

    /** The reporter saw drift (node deleted, reconnected, lease lost): verify soon. */
    private void onDrift() {
        requestReconcile(true);
    }

    /** Asks for a reconcile; requests made while one runs are coalesced into one more run. */
    void requestReconcile(boolean verify) {
        if (verify) {
            verifyRequested = true;
        }
        if (stopped) {
            return;
        }
        if (reconcileRequests.getAndIncrement() == 0) {
            try {
                workers.execute(this::drain);
            } catch (RejectedExecutionException e) {
                reconcileRequests.set(0);
            }
        }
    }

    private void drain() {
        int seen;
        do {
            seen = reconcileRequests.get();
            try {
                reconcileOnce();
            } catch (RuntimeException e) {
                log.error("service {}: reconcile failed unexpectedly", config.name(), e);
            } catch (Error e) {
                log.error("service {}: reconcile failed with a fatal error", config.name(), e);
                // the next request (the periodic verification at the latest) starts a new drain
                reconcileRequests.set(0);
                throw e;
            }
        } while (reconcileRequests.addAndGet(-seen) != 0);
    }

    private void reconcileOnce() {
        synchronized (reportLock) {
            if (stopped) {
                return;
            }
            Boolean desired = desiredUp;
            if (desired == null) {
                return;
            }
            boolean verify = verifyRequested;
            verifyRequested = false;
            if (!verify && desired.equals(reportedUp)) {
                return;
            }
            if (failures > 0 && desired.equals(lastAttempted) && System.nanoTime() - backoffUntil < 0) {
                // backing off after a failure: the scheduled retry will verify; a changed wanted state goes at once
                verifyRequested = verifyRequested || verify;
                return;
            }
            if (rateLimiter != null && lastReportedUp != null && !desired.equals(lastReportedUp)) {
                long wait = rateLimiter.tryAcquire();
                if (wait > 0) {
                    if (config.rateLimit().shadowMode()) {
                        log.info("service {}: status change would be rate limited (shadow mode: reporting anyway)",
                                config.name());
                    } else {
                        log.info("service {}: status change rate limited; reporting {} in {} ms", config.name(),
                                desired ? "up" : "down", TimeUnit.NANOSECONDS.toMillis(wait));
                        scheduleRetry(wait);
                        return;
                    }
                }
            }
            lastAttempted = desired;
            try {
                if (desired) {
                    reporter.reportUp();
                } else {
                    reporter.reportDown();
                }
                if (failures > 0) {
                    log.info("service {}: reported {} after {} failed attempts", config.name(), desired ? "up" : "down",
                            failures);
                }
                reportedUp = desired;
                lastReportedUp = desired;
                failures = 0;
                reportFailuresInARow = 0;
                reportsOk.increment();
                if (retry != null) {
                    retry.cancel(false);
                    retry = null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                reportedUp = null;
                failures++;
                reportFailuresInARow = failures;
                lastReportError = Check.reason(e);
                lastReportErrorAt = Instant.now();
                reportsFailed.increment();
                long delay = BACKOFF.delay(failures).toNanos();
                backoffUntil = System.nanoTime() + delay;
                String message = "service {}: reporting {} to {} failed ({}); retry {} in {} ms";
                Object[] args = {config.name(), desired ? "up" : "down", reporter.describe(), Check.reason(e), failures,
                        TimeUnit.NANOSECONDS.toMillis(delay)};
                if (failures == 1) {
                    log.warn(message, args);
                } else {
                    log.debug(message, args);
                }
                log.debug("service {}: report failure", config.name(), e);
                count("report_failed");
                if (failures % config.maxRepeatedReportFailures() == 0) {
                    log.warn("service {}: {} report failures in a row; resetting its reporter", config.name(), failures);
                    reporter.reset();
                }
                scheduleRetry(delay);
            }
        }
    }

    private void scheduleRetry(long delayNanos) {
        if (retry != null) {
            retry.cancel(false);
        }
        try {
            retry = scheduler.schedule(() -> requestReconcile(true), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            retry = null;
        }
    }

    /** Stops checking and deregisters (best effort, bounded by the reporter's close timeouts). Idempotent. */
    void stop() {
        stopped = true;
        meters.forEach(Metrics.globalRegistry::remove);
        synchronized (schedules) {
            schedules.forEach(s -> s.cancel(false));
            schedules.clear();
        }
        synchronized (reportLock) {
            if (retry != null) {
                retry.cancel(false);
                retry = null;
            }
            reporter.close();
            reportedUp = null;
        }
    }
}
