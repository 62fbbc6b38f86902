package io.synapse.dns;

import io.synapse.common.concurrent.Backoff;
import io.synapse.common.concurrent.SharedResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;

import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * The resolver of one set of nameservers, shared by every service that asks them ({@link
 * #SHARED}): it keeps one poll per {@link Question} however many services ask it, so a name is
 * queried once per interval. A poll re-asks when the answer's TTL runs out, bounded by the
 * subscribers' shortest {@code min_interval} and {@code max_interval}; after a failure it retries
 * with backoff (from {@code min_interval} up to {@code max_interval}).
 *
 * <p>Nameservers are asked in order: a timeout, an unreachable port, SERVFAIL, REFUSED or any other
 * error code moves on to the next; NOERROR and NXDOMAIN are answers. Truncated UDP answers are
 * asked again over TCP (dnsjava does that).
 *
 * <p>Threading: one daemon thread per client sends, receives and calls the subscribers, so a
 * subscriber is never called concurrently by one client; never while the client's lock is held.
 */
final class DnsClient {
    private static final Logger log = LoggerFactory.getLogger(DnsClient.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    static final Duration MIN_RETRY = Duration.ofMillis(500);

    /** The JVM-wide clients, one per nameserver set and timeout. */
    static final SharedResources<ResolverKey, DnsClient> SHARED =
            new SharedResources<>("dns resolver", DnsClient::new, DnsClient::close);

    /** A watcher fed by polls. Callbacks come from the client's thread and must not throw. */
    interface Subscriber {
        Duration minInterval();

        Duration maxInterval();

        void onAnswer(Question question, Answer answer);

        void onQueryFailure(Question question, String message, Throwable cause);
    }

    private final ResolverKey key;
    private final List<SimpleResolver> resolvers;
    private final ScheduledExecutorService executor;
    private final AtomicLong queries = new AtomicLong();

    private final Object lock = new Object();
    private final Map<Question, Poll> polls = new HashMap<>();
    private boolean closed;

    DnsClient(ResolverKey key) {
        this.key = requireNonNull(key, "key is null");
        List<SimpleResolver> list = new ArrayList<>();
        for (InetSocketAddress address : key.nameservers()) {
            SimpleResolver r = new SimpleResolver(address);
            r.setTimeout(key.timeout());
            list.add(r);
        }
        this.resolvers = List.copyOf(list);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dns-" + THREADS.incrementAndGet() + "-" + key.describe());
            t.setDaemon(true);
            return t;
        });
    }

    ResolverKey key() {
        return key;
    }

    /** Queries sent so far (each nameserver asked counts once). */
    long queriesSent() {
        return queries.get();
    }

    /** How many distinct questions are being polled. */
    int polls() {
        synchronized (lock) {
            return polls.size();
        }
    }

    /**
     * Adds a subscriber to the poll of {@code question}, starting it if needed. A subscriber that
     * joins a poll that already has a result gets it soon after (from the client's thread); a
     * shorter {@code max_interval} brings the poll's next query forward.
     */
    void subscribe(Question question, Subscriber subscriber) {
        requireNonNull(question, "question is null");
        requireNonNull(subscriber, "subscriber is null");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("dns resolver " + key.describe() + " is closed");
            }
            Poll poll = polls.computeIfAbsent(question, Poll::new);
            poll.subscribers.add(subscriber);
            if (!poll.queried && !poll.inFlight && poll.pending == null) {
                schedule(poll, 0);
                return;
            }
            if (poll.last != null || poll.failures > 0) {
                executor.execute(() -> catchUp(poll, subscriber));
            }
            if (!poll.inFlight && poll.pending != null && poll.failures == 0) {
                long due = poll.lastStart + bounds(poll)[1];
                if (due < poll.pendingAt) {
                    poll.pending.cancel(false);
                    schedule(poll, Math.max(0, due - System.nanoTime()));
                }
            }
        }
    }

    /** Removes a subscriber; the poll stops when none is left. */
    void unsubscribe(Question question, Subscriber subscriber) {
        synchronized (lock) {
            Poll poll = polls.get(question);
            if (poll == null) {
                return;
            }
            poll.subscribers.remove(subscriber);
            if (poll.subscribers.isEmpty()) {
                polls.remove(question);
                poll.stopped = true;
                if (poll.pending != null) {
                    poll.pending.cancel(false);
                }
            }
        }
    }

    /** Stops every poll and the thread; idempotent. Called by {@link #SHARED} when the last service lets go. */
    void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            polls.values().forEach(p -> {
                p.stopped = true;
                if (p.pending != null) {
                    p.pending.cancel(false);
                }
            });
            polls.clear();
        }
        executor.shutdownNow();
    }

    private final class Poll {
        final Question question;
        final List<Subscriber> subscribers = new ArrayList<>();
        ScheduledFuture<?> pending;
        long pendingAt;
        long lastStart;
        boolean inFlight;
        boolean queried;
        boolean stopped;
        Answer last;
        int failures;
        String failure;
        Throwable failureCause;

        Poll(Question question) {
            this.question = question;
        }
    }

    /** {@code [min, max]} interval in nanoseconds: the shortest of the subscribers', min never above max. */
    private static long[] bounds(Poll poll) {
        long min = Long.MAX_VALUE;
        long max = Long.MAX_VALUE;
        for (Subscriber s : poll.subscribers) {
            min = Math.min(min, s.minInterval().toNanos());
            max = Math.min(max, s.maxInterval().toNanos());
        }
        if (max == Long.MAX_VALUE) {
            max = TimeUnit.SECONDS.toNanos(30);
        }
        return new long[] {Math.min(min, max), max};
    }

    /** Next query after an answer: its TTL, within the bounds; an answer without TTL waits the maximum. */
    static long refreshNanos(long ttlSeconds, long minNanos, long maxNanos) {
        if (ttlSeconds < 0) {
            return maxNanos;
        }
        long ttl = ttlSeconds > Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE : TimeUnit.SECONDS.toNanos(ttlSeconds);
        return Math.max(minNanos, Math.min(ttl, maxNanos));
    }

    private void schedule(Poll poll, long delayNanos) {
        poll.pendingAt = System.nanoTime() + delayNanos;
        poll.pending = executor.schedule(() -> query(poll), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void catchUp(Poll poll, Subscriber subscriber) {
        Answer answer;
        String failure;
        Throwable cause;
        synchronized (lock) {
            if (poll.stopped || !poll.subscribers.contains(subscriber)) {
                return;
            }
            answer = poll.failures > 0 ? null : poll.last;
            failure = poll.failures > 0 ? poll.failure : null;
            cause = poll.failureCause;
        }
        deliver(List.of(subscriber), poll.question, answer, failure, cause);
    }

    private void query(Poll poll) {
        long start = System.nanoTime();
        synchronized (lock) {
            if (closed || poll.stopped) {
                return;
            }
            poll.pending = null;
            poll.inFlight = true;
            poll.queried = true;
            poll.lastStart = start;
        }
        Message query = Message.newQuery(Record.newRecord(poll.question.name(), poll.question.type(), DClass.IN));
        send(poll.question, query, 0).whenCompleteAsync((outcome, error) -> {
            Responses.Outcome result = error == null ? outcome
                    : Responses.Outcome.failed("dns " + poll.question.describe() + ": " + error, error);
            complete(poll, start, result);
        }, executor);
    }

    /** Asks nameserver {@code index}, and on a failure the next one, until one answers or all failed. */
    private CompletionStage<Responses.Outcome> send(Question question, Message query, int index) {
        SimpleResolver resolver = resolvers.get(index);
        String server = ResolverKey.describe(resolver.getAddress());
        queries.incrementAndGet();
        CompletionStage<Message> sent;
        try {
            sent = resolver.sendAsync(query, executor);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((response, error) -> error == null
                        ? withContext(Responses.classify(question, response), question, server)
                        : Responses.Outcome.failed("dns " + question.describe() + " at " + server + ": " + describe(error), unwrap(error)))
                .thenCompose(outcome -> outcome.answer() != null || index + 1 >= resolvers.size()
                        ? CompletableFuture.completedFuture(outcome)
                        : send(question, query, index + 1));
    }

    private static Responses.Outcome withContext(Responses.Outcome outcome, Question question, String server) {
        if (outcome.answer() != null) {
            return outcome;
        }
        return Responses.Outcome.failed("dns " + question.describe() + " at " + server + ": " + outcome.failure(), outcome.cause());
    }

    private String describe(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof SocketTimeoutException) {
            return "no answer within " + key.timeout().toMillis() + " ms";
        }
        if (e instanceof PortUnreachableException) {
            return "port unreachable (no nameserver listening)";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private void complete(Poll poll, long start, Responses.Outcome outcome) {
        List<Subscriber> targets;
        synchronized (lock) {
            poll.inFlight = false;
            if (closed || poll.stopped) {
                return;
            }
            targets = List.copyOf(poll.subscribers);
            long[] bounds = bounds(poll);
            if (outcome.answer() != null) {
                if (poll.failures > 0) {
                    // the engine logs "discovery recovered" for each service; this is the detail
                    log.debug("dns {} at {}: answered again after {} failed attempt{}: {}", poll.question.describe(), key.describe(),
                            poll.failures, poll.failures == 1 ? "" : "s", outcome.answer().describe());
                }
                poll.failures = 0;
                poll.failure = null;
                poll.failureCause = null;
                poll.last = outcome.answer();
                long delay = refreshNanos(outcome.answer().ttlSeconds(), bounds[0], bounds[1]);
                log.trace("dns {}: {} (TTL {} s), asked again in {} ms", poll.question.describe(), outcome.answer().describe(),
                        outcome.answer().ttlSeconds(), TimeUnit.NANOSECONDS.toMillis(delay));
                schedule(poll, Math.max(0, start + delay - System.nanoTime()));
            } else {
                poll.failures++;
                poll.failure = outcome.failure();
                poll.failureCause = outcome.cause();
                long base = Math.min(Math.max(bounds[0], MIN_RETRY.toNanos()), bounds[1]);
                Duration delay = new Backoff(Duration.ofNanos(base), Duration.ofNanos(bounds[1])).delay(poll.failures);
                // the engine logs the episode once per service; here only the detail
                log.debug("{} (attempt {}, next in {} ms)", outcome.failure(), poll.failures, delay.toMillis());
                schedule(poll, delay.toNanos());
            }
        }
        deliver(targets, poll.question, outcome.answer(), outcome.failure(), outcome.cause());
    }

    private void deliver(List<Subscriber> targets, Question question, Answer answer, String failure, Throwable cause) {
        for (Subscriber s : targets) {
            try {
                if (answer != null) {
                    s.onAnswer(question, answer);
                } else if (failure != null) {
                    s.onQueryFailure(question, failure, cause);
                }
            } catch (RuntimeException e) {
                log.warn("dns {}: a watcher failed to take the result: {}", question.describe(), e.toString(), e);
            }
        }
    }
}
