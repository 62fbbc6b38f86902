package io.synapse.multi;

import io.synapse.common.concurrent.Backoff;
import io.synapse.common.concurrent.SharedResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Reads one toggle file every interval for all the services that use it (one thread, one read per
 * interval whatever the number of services), and tells them its last good weights and whether it
 * is readable and valid right now. After a failed read (unreachable, 403, 404, throttled, invalid
 * YAML) it tries again with backoff, from half a second up to the interval; subscribers keep their
 * choice meanwhile.
 */
final class TogglePoller {
    private static final Logger LOG = LoggerFactory.getLogger(TogglePoller.class);

    /** One poller per file (and interval and credentials), JVM-wide. */
    static final SharedResources<ToggleSpec, TogglePoller> POLLERS =
            new SharedResources<>("toggle poller", TogglePoller::new, TogglePoller::close);

    /** Told the poller's state on subscribing and on every change; called on the poller's thread. */
    interface Subscriber {
        /**
         * @param weights the last valid weights read, or null when none was ever read
         * @param problem why the last read failed or was invalid, or null when it was good
         */
        void onToggle(Weights weights, String problem);
    }

    private final ToggleSpec spec;
    private final ToggleReader reader;
    private final ScheduledExecutorService scheduler;
    private final Backoff backoff;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    // confined to the scheduler's thread
    private boolean polled;
    private Weights weights;
    private String problem;
    private String text;
    private String textProblem;
    private String etag;
    private int failures;
    private long reads;
    private volatile boolean closed;

    private TogglePoller(ToggleSpec spec) {
        this.spec = requireNonNull(spec, "spec is null");
        this.reader = spec.open();
        Duration interval = spec.interval();
        Duration base = interval.compareTo(Duration.ofMillis(500)) < 0 ? interval : Duration.ofMillis(500);
        this.backoff = new Backoff(base, interval);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "toggle " + spec.describe());
            t.setDaemon(true);
            return t;
        });
        scheduler.execute(this::poll);
    }

    ToggleSpec spec() {
        return spec;
    }

    void subscribe(Subscriber subscriber) {
        requireNonNull(subscriber, "subscriber is null");
        subscribers.add(subscriber);
        run(() -> {
            if (polled && subscribers.contains(subscriber)) {
                subscriber.onToggle(weights, problem);
            }
        });
    }

    void unsubscribe(Subscriber subscriber) {
        subscribers.remove(subscriber);
    }

    /** How many reads were made (for tests and the benchmark). */
    long reads() {
        return call(() -> reads);
    }

    private void poll() {
        reads++;
        String before = problem;
        Weights beforeWeights = weights;
        String readProblem = null;
        try {
            ToggleReader.Fetched fetched = reader.read(etag);
            failures = 0;
            if (fetched != null) {
                etag = fetched.etag();
                if (!fetched.text().equals(text)) {
                    text = fetched.text();
                    try {
                        Weights parsed = Weights.parse(text);
                        if (!parsed.equals(weights)) {
                            LOG.info("toggle {}: weights {}", spec.describe(), parsed.weights());
                        }
                        weights = parsed;
                        textProblem = null;
                    } catch (IllegalArgumentException e) {
                        textProblem = "invalid: " + e.getMessage();
                    }
                }
            }
        } catch (ToggleReader.ToggleReadException e) {
            failures++;
            readProblem = e.getMessage();
            LOG.debug("toggle {}: read failed", spec.describe(), e);
        } catch (RuntimeException e) {
            failures++;
            readProblem = "cannot read: " + e;
            LOG.debug("toggle {}: read failed", spec.describe(), e);
        }
        if (closed) {
            return; // a read interrupted by close() is no problem of the file's
        }
        problem = readProblem != null ? readProblem : textProblem;
        if (problem != null && !problem.equals(before)) {
            LOG.warn("toggle {}: {}; {}", spec.describe(), problem,
                    weights == null ? "no watcher picked yet" : "keeping the last weights " + weights.weights());
        } else if (problem == null && before != null) {
            LOG.info("toggle {}: readable and valid again", spec.describe());
        }
        boolean changed = !polled || weights != beforeWeights || !java.util.Objects.equals(problem, before);
        polled = true;
        if (changed) {
            for (Subscriber s : subscribers) {
                try {
                    s.onToggle(weights, problem);
                } catch (RuntimeException e) {
                    LOG.warn("toggle {}: a subscriber failed: {}", spec.describe(), e.toString());
                }
            }
        }
        Duration next = failures > 0 ? backoff.delay(failures) : spec.interval();
        try {
            scheduler.schedule(this::poll, next.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            // closed meanwhile
        }
    }

    private void run(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException closed) {
            // closed meanwhile
        }
    }

    private <T> T call(java.util.concurrent.Callable<T> task) {
        try {
            return scheduler.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private void close() {
        closed = true;
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reader.close();
    }
}
