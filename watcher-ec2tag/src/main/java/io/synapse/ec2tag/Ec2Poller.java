package io.synapse.ec2tag;

import io.synapse.common.aws.AwsAccess;
import io.synapse.common.concurrent.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Reservation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * One DescribeInstances sequence (all pages) per interval for every watcher with the same {@link
 * PollerKey}, the interval being the shortest among them; each result goes to all of them.
 *
 * <p>On failure (throttling, network, a malformed answer) the subscribers get {@code
 * onPollFailure} and nothing else: they keep their last good set. The next attempt follows a
 * {@link #backoff}; the first failure of an episode is logged as a warning, the recovery as info.
 * A subscriber joining a poller that already has a result gets it at once (on the poller's thread).
 *
 * <p>Threading: one daemon thread per poller runs the calls and the deliveries, so a subscriber
 * is never called concurrently by one poller.
 */
final class Ec2Poller {
    private static final Logger log = LoggerFactory.getLogger(Ec2Poller.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    static final int MAX_RESULTS = 1000;
    static final int MAX_PAGES = 1000;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(20);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    static final Duration NETWORK_BASE = Duration.ofSeconds(1);
    static final Duration MIN_CAP = Duration.ofSeconds(30);

    /** A watcher fed by a poller. Callbacks come from the poller's thread and must not throw. */
    interface Subscriber {
        /** The check interval this subscriber asks for. */
        Duration interval();

        /** All running instances matching the filters, sorted by instance id. */
        void onInstances(List<Ec2Instance> instances);

        void onPollFailure(String message, Throwable cause);
    }

    private final PollerKey key;
    private final Ec2Client client;
    private final SdkHttpClient httpClient;
    private final List<software.amazon.awssdk.services.ec2.model.Filter> requestFilters;
    private final ScheduledExecutorService scheduler;

    private final Object lock = new Object();
    private final List<Subscriber> subscribers = new ArrayList<>();
    private ScheduledFuture<?> pending;
    private long pendingAtNanos;
    private long lastStartNanos;
    private boolean polled;
    private boolean closed;
    private List<Ec2Instance> lastGood;
    private int failures;
    private String failureMessage;
    private Throwable failureCause;

    Ec2Poller(PollerKey key) {
        this.key = requireNonNull(key, "key is null");
        List<software.amazon.awssdk.services.ec2.model.Filter> filters = new ArrayList<>();
        filters.add(Ec2Filter.RUNNING.toSdk());
        key.filters().forEach(f -> filters.add(f.toSdk()));
        this.requestFilters = List.copyOf(filters);
        this.httpClient = UrlConnectionHttpClient.builder()
                .connectionTimeout(CONNECT_TIMEOUT)
                .socketTimeout(SOCKET_TIMEOUT)
                .build();
        try {
            this.client = buildClient(key.client(), httpClient);
        } catch (RuntimeException e) {
            httpClient.close();
            throw e;
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ec2tag-poller-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    private static Ec2Client buildClient(AwsAccess access, SdkHttpClient httpClient) {
        return access.configure(Ec2Client.builder())
                .httpClient(httpClient)
                // our own backoff decides when to try again; SDK retries would multiply the calls
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(CALL_TIMEOUT))
                .build();
    }

    PollerKey key() {
        return key;
    }

    /**
     * Exponential backoff with jitter for failed DescribeInstances sequences: the raw delay starts at
     * the check interval when EC2 throttled us (retrying sooner than the interval would only add to
     * the account's request rate), and at {@code min(interval, 1 s)} for network and other errors
     * (a blip is retried quickly); it doubles up to {@code max(2 * interval, 30 s)}.
     */
    static Backoff backoff(boolean throttled, Duration interval) {
        Duration base = throttled || interval.compareTo(NETWORK_BASE) < 0 ? interval : NETWORK_BASE;
        Duration doubled = interval.multipliedBy(2);
        return new Backoff(base, doubled.compareTo(MIN_CAP) > 0 ? doubled : MIN_CAP);
    }

    /** Adds a subscriber; the first one triggers the first poll, a shorter interval an earlier one. */
    void subscribe(Subscriber subscriber) {
        requireNonNull(subscriber, "subscriber is null");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("poller closed");
            }
            subscribers.add(subscriber);
            if (!polled && pending == null) {
                schedule(0);
                return;
            }
            if (lastGood != null || failures > 0) {
                scheduler.execute(() -> catchUp(subscriber));
            }
            if (failures == 0 && polled && pending != null) {
                // a shorter interval brings the next poll forward, counted from the last start
                long due = lastStartNanos + minInterval().toNanos();
                if (due < pendingAtNanos) {
                    pending.cancel(false);
                    schedule(Math.max(0, due - System.nanoTime()));
                }
            }
        }
    }

    /** Removes a subscriber (the pool closes the poller when its last watcher lets go). */
    void unsubscribe(Subscriber subscriber) {
        synchronized (lock) {
            subscribers.remove(subscriber);
        }
    }

    /** Stops polling and releases the client; idempotent. */
    void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (pending != null) {
                pending.cancel(false);
            }
        }
        scheduler.shutdownNow();
        try {
            client.close();
            httpClient.close();
        } catch (RuntimeException e) {
            log.debug("ec2tag {}: closing the client failed", key.describe(), e);
        }
    }

    private void catchUp(Subscriber subscriber) {
        List<Ec2Instance> good;
        String message;
        Throwable cause;
        synchronized (lock) {
            if (closed || !subscribers.contains(subscriber)) {
                return;
            }
            good = lastGood;
            message = failures > 0 ? failureMessage : null;
            cause = failureCause;
        }
        if (good != null) {
            deliver(subscriber, good);
        }
        if (message != null) {
            deliverFailure(subscriber, message, cause);
        }
    }

    private void schedule(long delayNanos) {
        pendingAtNanos = System.nanoTime() + delayNanos;
        pending = scheduler.schedule(this::poll, delayNanos, TimeUnit.NANOSECONDS);
    }

    private Duration minInterval() {
        return subscribers.stream().map(Subscriber::interval).min(Comparator.naturalOrder()).orElse(Duration.ofSeconds(15));
    }

    private void poll() {
        long start = System.nanoTime();
        synchronized (lock) {
            if (closed) {
                return;
            }
            pending = null;
            polled = true;
            lastStartNanos = start;
        }
        List<Ec2Instance> result = null;
        Failure failure = null;
        try {
            result = fetch();
        } catch (RuntimeException e) {
            failure = Failure.of(key, e);
        }
        List<Subscriber> targets;
        synchronized (lock) {
            if (closed) {
                return;
            }
            targets = List.copyOf(subscribers);
            Duration interval = minInterval();
            if (result != null) {
                if (failures > 0) {
                    log.info("ec2tag {}: DescribeInstances works again after {} failed attempt{}; {} running instance{}",
                            key.describe(), failures, failures == 1 ? "" : "s", result.size(), result.size() == 1 ? "" : "s");
                } else {
                    log.debug("ec2tag {}: {} running instances", key.describe(), result.size());
                }
                failures = 0;
                failureMessage = null;
                failureCause = null;
                lastGood = result;
                schedule(Math.max(0, start + interval.toNanos() - System.nanoTime()));
            } else {
                failures++;
                failureMessage = failure.message();
                failureCause = failure.cause();
                Duration delay = backoff(failure.throttled(), interval).delay(failures);
                String kept = lastGood == null ? "no instances known yet" : "keeping the last " + lastGood.size() + " instances";
                if (failures == 1) {
                    log.warn("{}; {}, retrying with backoff", failure.message(), kept);
                    log.debug("ec2tag {}: failure detail", key.describe(), failure.cause());
                } else {
                    log.debug("{} (attempt {}, next in {} ms)", failure.message(), failures, delay.toMillis());
                }
                schedule(delay.toNanos());
            }
        }
        for (Subscriber subscriber : targets) {
            if (result != null) {
                deliver(subscriber, result);
            } else {
                deliverFailure(subscriber, failure.message(), failure.cause());
            }
        }
    }

    private void deliver(Subscriber subscriber, List<Ec2Instance> instances) {
        try {
            subscriber.onInstances(instances);
        } catch (RuntimeException e) {
            log.warn("ec2tag {}: a watcher failed to take the instances: {}", key.describe(), e.toString(), e);
        }
    }

    private void deliverFailure(Subscriber subscriber, String message, Throwable cause) {
        try {
            subscriber.onPollFailure(message, cause);
        } catch (RuntimeException e) {
            log.warn("ec2tag {}: a watcher failed to take a failure: {}", key.describe(), e.toString(), e);
        }
    }

    /** Reads every page; running instances only, sorted by id, each once. */
    private List<Ec2Instance> fetch() {
        Map<String, Ec2Instance> byId = new LinkedHashMap<>();
        Set<String> tokens = new HashSet<>();
        String token = null;
        int pages = 0;
        do {
            DescribeInstancesRequest request = DescribeInstancesRequest.builder()
                    .filters(requestFilters)
                    .maxResults(MAX_RESULTS)
                    .nextToken(token)
                    .build();
            DescribeInstancesResponse response = client.describeInstances(request);
            pages++;
            String requestId = response.responseMetadata() == null ? null : response.responseMetadata().requestId();
            if (requestId == null || requestId.isEmpty() || "UNKNOWN".equals(requestId)) {
                throw new MalformedAnswerException("the answer to DescribeInstances has no requestId: not an EC2 response");
            }
            for (Reservation reservation : response.reservations()) {
                for (Instance instance : reservation.instances()) {
                    if (instance.instanceId() == null || instance.instanceId().isEmpty()) {
                        continue;
                    }
                    // the filter asks EC2 for running instances; an instance that is not is dropped anyway
                    if (instance.state() == null || instance.state().name() != InstanceStateName.RUNNING) {
                        continue;
                    }
                    byId.putIfAbsent(instance.instanceId(), Ec2Instance.from(instance));
                }
            }
            token = response.nextToken();
            if (token != null && token.isEmpty()) {
                token = null;
            }
            if (token != null && !tokens.add(token)) {
                throw new MalformedAnswerException("DescribeInstances returned the same nextToken twice");
            }
            if (token != null && pages >= MAX_PAGES) {
                throw new MalformedAnswerException("DescribeInstances returned more than " + MAX_PAGES + " pages");
            }
        } while (token != null);
        List<Ec2Instance> sorted = new ArrayList<>(byId.values());
        sorted.sort(Comparator.comparing(Ec2Instance::instanceId));
        return List.copyOf(sorted);
    }

    /** An answer that parsed but cannot be right. */
    static final class MalformedAnswerException extends RuntimeException {
        MalformedAnswerException(String message) {
            super(message);
        }
    }

    /** A failed sequence: the message for logs and listeners, and whether EC2 throttled us. */
    record Failure(String message, Throwable cause, boolean throttled) {
        static Failure of(PollerKey key, RuntimeException e) {
            String prefix = "ec2tag " + key.describe() + ": DescribeInstances failed: ";
            if (e instanceof AwsServiceException service) {
                String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
                String text = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorMessage();
                int status = service.statusCode();
                boolean throttled = service.isThrottlingException() || status == 503 || status == 429
                        || "RequestLimitExceeded".equals(code) || (code != null && code.toLowerCase(Locale.ROOT).contains("throttl"));
                String what = (code == null ? "error" : code) + (text == null ? "" : ": " + firstLine(text)) + " (HTTP " + status + ")";
                return new Failure(prefix + what, e, throttled);
            }
            if (e instanceof SdkClientException || e instanceof MalformedAnswerException) {
                return new Failure(prefix + firstLine(String.valueOf(e.getMessage())), e, false);
            }
            return new Failure(prefix + firstLine(e.toString()), e, false);
        }

        private static String firstLine(String s) {
            int nl = s.indexOf('\n');
            String line = nl < 0 ? s : s.substring(0, nl);
            return line.length() > 300 ? line.substring(0, 300) + "..." : line;
        }
    }
}
