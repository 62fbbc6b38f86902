package io.synapse.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.concurrent.Backoff;
import io.synapse.common.concurrent.SharedResources;
import io.synapse.common.registry.RegistryValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * One Marathon (a set of URLs with its credentials), shared by every service and catalog that
 * uses it: one event stream, one poller, one copy of the apps.
 *
 * <p>How it stays current. The event stream ({@code /v2/events}, server-sent events) is used as
 * Marathon's documentation advises, as cache invalidation: an event about an app (a task's status
 * update, a health change, a deployment step naming it, an API change) makes the client re-read
 * that app ({@code GET /v2/apps/<id>?embed=app.tasks}), so the result never depends on the order
 * events arrive in. Events that arrive while a read runs are coalesced into the next one. Every
 * time the stream (re)attaches, everything is read again ({@code GET /v2/apps?embed=apps.tasks}),
 * since events may have been missed while it was down. As a safety net the full read also runs
 * when none ran for {@code check_interval} (the smallest of the subscribers') while the stream is
 * down, and for {@code max(check_interval, 60 s)} while it is attached. A stream silent for five
 * minutes is reconnected (a connection that died without a word looks like that).
 *
 * <p>When Marathon cannot be read through any URL, every subscriber gets {@code onFailure} and
 * keeps what it has; reads are retried with backoff (250 ms doubling to 30 s); once a read works,
 * every subscriber gets its current state again.
 *
 * <p>All state is confined to one scheduler thread; subscribers are called on it.
 */
final class MarathonClient {
    private static final Logger LOG = LoggerFactory.getLogger(MarathonClient.class);

    /** The JVM-wide pool: one client per {@link Endpoints.Key}. */
    static final SharedResources<Endpoints.Key, MarathonClient> CLIENTS =
            new SharedResources<>("marathon client", MarathonClient::new, MarathonClient::close);

    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    static final Duration RESYNC_WHILE_ATTACHED = Duration.ofSeconds(60);
    /** How long the first full read waits for the stream to attach or fail (a connection may hang). */
    static final Duration ATTACH_GRACE = Duration.ofSeconds(5);
    /** A stream silent this long is reconnected (Marathon-LB's limit); tests shorten it for clients created after. */
    static volatile Duration streamIdle = Duration.ofMinutes(5);
    static final Backoff READ_BACKOFF = Backoff.ofMillis(250, 30_000);
    static final Backoff STREAM_BACKOFF = Backoff.ofMillis(250, 30_000);
    /** Past this many apps to re-read at once, one full read is cheaper. */
    static final int TARGETED_LIMIT = 16;

    /** The event types that can change what subscribers see (the stream is filtered to these). */
    static final List<String> EVENT_TYPES = List.of("event_stream_attached", "status_update_event",
            "health_status_changed_event", "instance_health_changed_event", "app_terminated_event", "api_post_event",
            "deployment_info", "deployment_success", "deployment_failed", "deployment_step_success",
            "deployment_step_failure", "group_change_success");

    /** Receives one app: its current state, or null when Marathon has no such app. */
    interface AppListener {
        void onApp(MarathonApp app);

        void onFailure(String message, Throwable cause);
    }

    /** Receives the definitions of all apps (not their tasks), sorted by id. */
    interface DefinitionsListener {
        void onDefinitions(List<MarathonApp.Definition> definitions);

        void onFailure(String message, Throwable cause);
    }

    /** Ends a subscription; idempotent. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private final Endpoints.Key key;
    private final MarathonHttp http;
    private final ScheduledExecutorService worker;
    private volatile boolean closed;

    // confined to `worker`
    private Map<String, MarathonApp> apps;
    private final Set<String> stale = new HashSet<>();
    private final Map<String, Boolean> health = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    private boolean fullPending = true;
    private ScheduledFuture<?> drain;
    private long drainAt;
    private long notBefore;
    private int readFailures;
    private String failure;
    private long lastFullRead = System.nanoTime();
    private ScheduledFuture<?> resync;
    private final List<Sub<MarathonApp>> appSubs = new ArrayList<>();
    private final List<Sub<List<MarathonApp.Definition>>> definitionSubs = new ArrayList<>();
    private List<MarathonApp.Definition> definitions = List.of();

    // the event stream, confined to `worker` too (its callbacks only enqueue)
    private Stream stream;
    private boolean attached;
    private int streamTarget;
    private int streamFailures;
    private boolean streamDownLogged;
    private long streamGeneration;
    private final Duration idleLimit = streamIdle;

    MarathonClient(Endpoints.Key key) {
        this.key = requireNonNull(key, "key is null");
        this.http = new MarathonHttp(key.targets());
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "marathon-client " + key);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.worker = executor;
        LOG.info("marathon {}: connecting", key);
        run(() -> {
            streamTarget = http.preferred();
            connectStream();
            // the first full read waits for the stream to attach (or fail), so that no event is missed
            // between the read and the attach, and the attach does not cause a second read
            requestDrain(System.nanoTime() + ATTACH_GRACE.toNanos());
            scheduleWatchdog();
        });
    }

    /** Subscribes to one app ({@code /nginx2}); the listener gets the current state as soon as it is known. */
    Subscription subscribe(String appId, Duration interval, AppListener listener) {
        requireNonNull(listener, "listener is null");
        Sub<MarathonApp> sub = new Sub<>(requireNonNull(appId, "appId is null"), requireNonNull(interval, "interval is null"),
                listener::onApp, listener::onFailure);
        run(() -> {
            appSubs.add(sub);
            intervalChanged();
            if (apps != null) {
                // during an outage a new subscriber still gets the last known state, then the failure
                sub.deliver(apps.get(appId), failure);
                if (stale.remove(appId)) {
                    requestApp(appId);
                }
            }
        });
        return () -> {
            sub.closed = true;
            run(() -> {
                appSubs.remove(sub);
                intervalChanged();
            });
        };
    }

    /** Subscribes to every app's definition (a catalog). */
    Subscription subscribeDefinitions(Duration interval, DefinitionsListener listener) {
        requireNonNull(listener, "listener is null");
        Sub<List<MarathonApp.Definition>> sub = new Sub<>(null, requireNonNull(interval, "interval is null"), listener::onDefinitions,
                listener::onFailure);
        run(() -> {
            definitionSubs.add(sub);
            intervalChanged();
            if (apps != null) {
                sub.deliver(definitions, failure);
                if (!stale.isEmpty()) {
                    // apps changed that nobody followed: read them all
                    requestFull();
                }
            }
        });
        return () -> {
            sub.closed = true;
            run(() -> {
                definitionSubs.remove(sub);
                intervalChanged();
            });
        };
    }

    /** {@code r} for the worker: skipped once closed, an unexpected exception logged (never lost in a future). */
    private Runnable guarded(Runnable r) {
        return () -> {
            if (closed) {
                return;
            }
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("marathon {}: unexpected error: {}", key, e.toString(), e);
            }
        };
    }

    private void run(Runnable r) {
        if (closed) {
            return;
        }
        try {
            worker.execute(guarded(r));
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    void close() {
        closed = true;
        try {
            worker.execute(() -> {
                if (stream != null) {
                    stream.cancel();
                    stream = null;
                }
            });
        } catch (RejectedExecutionException e) {
            // already shut down
        }
        worker.shutdown();
        LOG.info("marathon {}: closed", key);
    }

    // ---- reads ----------------------------------------------------------------------------

    private Duration interval() {
        Duration min = null;
        for (List<? extends Sub<?>> subs : List.of(appSubs, definitionSubs)) {
            for (Sub<?> s : subs) {
                min = min == null || s.interval.compareTo(min) < 0 ? s.interval : min;
            }
        }
        return min == null ? DEFAULT_INTERVAL : min;
    }

    private void intervalChanged() {
        scheduleResync();
    }

    private boolean interested(String appId) {
        if (!definitionSubs.isEmpty()) {
            return true;
        }
        for (Sub<MarathonApp> s : appSubs) {
            if (s.appId.equals(appId)) {
                return true;
            }
        }
        return false;
    }

    private void requestApp(String appId) {
        if (!Endpoints.isAppId(appId)) {
            LOG.debug("marathon {}: ignoring an event about app {}", key, RegistryValues.quote(appId));
            return;
        }
        if (apps != null && !interested(appId)) {
            // nobody follows it: remember that the copy is stale, read it when someone subscribes
            stale.add(appId);
            return;
        }
        dirty.add(appId);
        requestDrain(System.nanoTime());
    }

    private void requestFull() {
        fullPending = true;
        requestDrain(System.nanoTime());
    }

    /** Makes sure a drain runs at {@code at} (nanoTime) or earlier, but not before the backoff allows. */
    private void requestDrain(long at) {
        at = Math.max(at, notBefore);
        if (drain != null && !drain.isDone() && drainAt - at <= 0) {
            return;
        }
        if (drain != null) {
            drain.cancel(false);
        }
        drainAt = at;
        drain = schedule(this::drain, at - System.nanoTime());
    }

    private void drain() {
        if (closed) {
            return;
        }
        drain = null;
        boolean full = fullPending || apps == null || dirty.size() > TARGETED_LIMIT;
        List<String> targeted = full ? List.of() : new ArrayList<>(dirty);
        try {
            if (full) {
                fullPending = false;
                dirty.clear();
                fullRead();
            } else {
                for (String id : targeted) {
                    refresh(id);
                    dirty.remove(id);
                }
            }
            readSucceeded();
        } catch (MarathonHttp.MarathonException e) {
            if (full) {
                fullPending = true;
            }
            readFailed(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (fullPending || !dirty.isEmpty()) {
            requestDrain(System.nanoTime());
        }
    }

    private void fullRead() throws MarathonHttp.MarathonException, InterruptedException {
        long started = System.nanoTime();
        JsonNode answer = http.get("/v2/apps?embed=apps.tasks");
        if (answer == null || !answer.path("apps").isArray()) {
            throw new MarathonHttp.MarathonException("GET /v2/apps?embed=apps.tasks answered without an \"apps\" list", null);
        }
        Map<String, MarathonApp> next = new TreeMap<>();
        Set<String> taskIds = new HashSet<>();
        for (JsonNode a : answer.get("apps")) {
            try {
                MarathonApp app = AppDecoder.app(a, health);
                next.put(app.id(), app);
                app.tasks().forEach(t -> taskIds.add(t.id()));
            } catch (IllegalArgumentException e) {
                LOG.warn("marathon {}: skipping an app: {}", key, e.getMessage());
            }
        }
        health.keySet().retainAll(taskIds);
        boolean first = apps == null;
        Map<String, MarathonApp> before = first ? Map.of() : apps;
        apps = next;
        stale.clear();
        lastFullRead = started;
        scheduleResync();
        if (first) {
            LOG.info("marathon {}: {} apps, {} tasks", key, next.size(), taskIds.size());
        } else {
            LOG.debug("marathon {}: full read, {} apps, {} tasks", key, next.size(), taskIds.size());
        }
        Set<String> ids = new HashSet<>(before.keySet());
        ids.addAll(next.keySet());
        publish(first ? null : ids);
    }

    private void refresh(String appId) throws MarathonHttp.MarathonException, InterruptedException {
        JsonNode answer = http.get("/v2/apps" + appId + "?embed=app.tasks");
        MarathonApp before = apps.get(appId);
        MarathonApp app = null;
        if (answer != null) {
            if (!answer.path("app").isObject()) {
                throw new MarathonHttp.MarathonException("GET /v2/apps" + appId + " answered without an \"app\" object", null);
            }
            try {
                app = AppDecoder.app(answer.get("app"), health);
            } catch (IllegalArgumentException e) {
                throw new MarathonHttp.MarathonException("GET /v2/apps" + appId + " answered an unusable app: " + e.getMessage(), e);
            }
        }
        if (app != null && !app.id().equals(appId)) {
            LOG.warn("marathon {}: asked for app {}, got {}; ignoring it", key, appId, app.id());
            return;
        }
        if (before != null) {
            Set<String> now = app == null ? Set.of() : app.tasks().stream().map(MarathonApp.Task::id).collect(Collectors.toSet());
            before.tasks().forEach(t -> {
                if (!now.contains(t.id())) {
                    health.remove(t.id());
                }
            });
        }
        if (app == null) {
            apps.remove(appId);
        } else {
            apps.put(appId, app);
        }
        publish(Set.of(appId));
    }

    /** Tells subscribers of {@code changed} apps (all when null) what they now look like. */
    private void publish(Set<String> changed) {
        for (Sub<MarathonApp> s : List.copyOf(appSubs)) {
            if (changed == null || changed.contains(s.appId) || s.failed) {
                s.deliver(apps.get(s.appId), null);
            }
        }
        definitions = apps.values().stream().map(MarathonApp::definition).toList();
        for (Sub<List<MarathonApp.Definition>> s : List.copyOf(definitionSubs)) {
            s.deliver(definitions, null);
        }
    }

    private void readSucceeded() {
        readFailures = 0;
        notBefore = 0;
        if (failure != null) {
            LOG.info("marathon {}: reachable again", key);
            failure = null;
            publish(null);
        }
    }

    private void readFailed(String message, Throwable cause) {
        readFailures++;
        long delay = READ_BACKOFF.delay(readFailures).toNanos();
        notBefore = System.nanoTime() + delay;
        if (failure == null) {
            LOG.warn("marathon {}: {}; keeping what is known, retrying with backoff", key, message);
        } else {
            LOG.debug("marathon {}: still failing: {}", key, message);
        }
        failure = message;
        for (List<? extends Sub<?>> subs : List.of(appSubs, definitionSubs)) {
            for (Sub<?> s : List.copyOf(subs)) {
                s.fail(message, cause);
            }
        }
    }

    private void scheduleResync() {
        if (resync != null) {
            resync.cancel(false);
        }
        long period = attached ? Math.max(RESYNC_WHILE_ATTACHED.toNanos(), interval().toNanos()) : interval().toNanos();
        long delay = lastFullRead + period - System.nanoTime();
        resync = schedule(this::requestFull, delay);
    }

    // ---- the event stream -----------------------------------------------------------------

    private void connectStream() {
        if (closed) {
            return;
        }
        Endpoints.Target target = key.targets().get(streamTarget % key.targets().size());
        String query = EVENT_TYPES.stream().map(t -> "event_type=" + URLEncoder.encode(t, StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        URI uri = target.resolve("/v2/events?" + query);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(MarathonHttp.REQUEST_TIMEOUT)
                .header("Accept", "text/event-stream")
                .header("User-Agent", MarathonHttp.USER_AGENT)
                .GET();
        if (target.authorization() != null) {
            request.header("Authorization", target.authorization());
        }
        Stream s = new Stream(++streamGeneration, target);
        stream = s;
        http.client().sendAsync(request.build(), s::handle)
                .whenComplete((response, error) -> run(() -> streamEnded(s, response, error)));
    }

    private void streamAttached(Stream s) {
        if (s != stream) {
            return;
        }
        attached = true;
        streamFailures = 0;
        if (streamDownLogged) {
            LOG.info("marathon {}: event stream attached at {} again", key, s.target);
            streamDownLogged = false;
        } else {
            LOG.info("marathon {}: event stream attached at {}", key, s.target);
        }
        // anything may have happened while no stream was attached
        requestFull();
        scheduleResync();
    }

    private void streamEnded(Stream s, HttpResponse<Void> response, Throwable error) {
        if (s != stream || closed) {
            return;
        }
        stream = null;
        s.cancel();
        boolean wasAttached = attached;
        attached = false;
        String reason;
        if (error != null) {
            reason = MarathonHttp.describe(error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error);
        } else if (s.refusal != null) {
            reason = s.refusal;
        } else {
            reason = "the stream ended";
        }
        long delay;
        if (wasAttached) {
            LOG.info("marathon {}: event stream from {} ended ({}); reconnecting", key, s.target, reason);
            delay = 0;
        } else {
            streamFailures++;
            streamTarget++;
            if (!streamDownLogged) {
                LOG.warn("marathon {}: no event stream from {} ({}); reading every {} s until it is back", key, s.target, reason,
                        interval().toMillis() / 1000.0);
                streamDownLogged = true;
            } else {
                LOG.debug("marathon {}: no event stream from {}: {}", key, s.target, reason);
            }
            delay = streamFailures < key.targets().size() ? 0 : STREAM_BACKOFF.delay(streamFailures - key.targets().size() + 1).toNanos();
        }
        if (apps == null) {
            // the first read was waiting for the stream: it need not wait any longer
            requestDrain(System.nanoTime());
        }
        scheduleResync();
        schedule(this::connectStream, delay);
    }

    /** Schedules on the worker; null once closed. */
    private ScheduledFuture<?> schedule(Runnable r, long delayNanos) {
        try {
            return worker.schedule(guarded(r), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private void scheduleWatchdog() {
        long period = Math.min(TimeUnit.SECONDS.toNanos(30), idleLimit.toNanos() / 2);
        worker.scheduleWithFixedDelay(guarded(() -> {
            Stream s = stream;
            if (s != null && attached && System.nanoTime() - s.lastData > idleLimit.toNanos()) {
                LOG.info("marathon {}: nothing on the event stream for {} s; reconnecting", key, idleLimit.toMillis() / 1000.0);
                streamEnded(s, null, null);
            }
        }), period, period, TimeUnit.NANOSECONDS);
    }

    private void onEvent(Stream s, JsonNode event) {
        if (s != stream) {
            return;
        }
        String type = event.path("eventType").asText("");
        switch (type) {
            case "status_update_event", "health_status_changed_event", "app_terminated_event" -> requestApp(event.path("appId").asText(""));
            case "instance_health_changed_event" -> requestApp(event.path("runSpecId").asText(""));
            case "api_post_event" -> {
                String id = event.path("appDefinition").path("id").asText("");
                if (id.isEmpty()) {
                    requestFull();
                } else {
                    requestApp(Endpoints.absoluteAppId(id));
                }
            }
            case "deployment_info", "deployment_success", "deployment_failed", "deployment_step_success", "deployment_step_failure" -> {
                Set<String> ids = new LinkedHashSet<>();
                for (JsonNode app : event.path("plan").findValues("app")) {
                    ids.add(Endpoints.absoluteAppId(app.asText()));
                }
                for (JsonNode app : event.path("currentStep").findValues("app")) {
                    ids.add(Endpoints.absoluteAppId(app.asText()));
                }
                if (ids.isEmpty()) {
                    requestFull();
                } else {
                    ids.forEach(this::requestApp);
                }
            }
            case "group_change_success" -> requestFull();
            default -> LOG.trace("marathon {}: ignoring event {}", key, type);
        }
    }

    /**
     * One connection to {@code /v2/events}. Lines arrive on the HTTP client's threads and only
     * enqueue work; a {@code data:} line holds one JSON event (Marathon sometimes puts several
     * JSON objects on consecutive lines of one event: each is taken on its own).
     */
    private final class Stream implements Flow.Subscriber<String> {
        final long generation;
        final Endpoints.Target target;
        volatile long lastData = System.nanoTime();
        volatile Flow.Subscription subscription;
        volatile boolean cancelled;
        volatile String refusal;

        Stream(long generation, Endpoints.Target target) {
            this.generation = generation;
            this.target = target;
        }

        HttpResponse.BodySubscriber<Void> handle(HttpResponse.ResponseInfo info) {
            String type = info.headers().firstValue("Content-Type").orElse("");
            if (info.statusCode() == 200 && type.startsWith("text/event-stream")) {
                run(() -> streamAttached(this));
                return HttpResponse.BodySubscribers.fromLineSubscriber(this);
            }
            refusal = info.statusCode() == 200 ? "answered with " + RegistryValues.quote(type) + ", not text/event-stream"
                    : "HTTP " + info.statusCode();
            return HttpResponse.BodySubscribers.replacing(null);
        }

        void cancel() {
            cancelled = true;
            Flow.Subscription sub = subscription;
            if (sub != null) {
                sub.cancel();
            }
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (cancelled) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(String line) {
            lastData = System.nanoTime();
            String data = line;
            if (data.startsWith("data:")) {
                data = data.substring(5);
            }
            data = data.strip();
            if (!data.startsWith("{")) {
                return; // "event: ...", comments, blank lines
            }
            try {
                JsonNode event = MarathonHttp.JSON.readTree(data);
                run(() -> onEvent(this, event));
            } catch (java.io.IOException e) {
                LOG.debug("marathon {}: ignoring an event that is not JSON: {}", key, RegistryValues.quote(data));
            }
        }

        @Override
        public void onError(Throwable t) {
            // the response future completes exceptionally: streamEnded handles it
        }

        @Override
        public void onComplete() {
            // the response future completes: streamEnded handles it
        }
    }

    // ---- subscribers ----------------------------------------------------------------------

    /**
     * One subscriber: gets a value when it differs from the last it got, or when it is the first,
     * or after a failure (so that it sees the outage end); a failure always.
     */
    private static final class Sub<T> {
        final String appId;
        final Duration interval;
        final java.util.function.Consumer<T> onValue;
        final FailureListener onFailure;
        volatile boolean closed;
        boolean delivered;
        boolean failed;
        T last;

        Sub(String appId, Duration interval, java.util.function.Consumer<T> onValue, FailureListener onFailure) {
            this.appId = appId;
            this.interval = interval;
            this.onValue = onValue;
            this.onFailure = onFailure;
        }

        /** Delivers {@code value} if needed, then {@code failure} if not null. */
        void deliver(T value, String failure) {
            if (closed) {
                return;
            }
            if (!delivered || failed || !Objects.equals(value, last)) {
                delivered = true;
                failed = false;
                last = value;
                try {
                    onValue.accept(value);
                } catch (RuntimeException e) {
                    LOG.warn("marathon: a subscriber {} failed: {}", appId == null ? "of every app" : "of app " + appId, e.toString(), e);
                }
            }
            if (failure != null) {
                fail(failure, null);
            }
        }

        void fail(String message, Throwable cause) {
            if (closed) {
                return;
            }
            failed = true;
            onFailure.onFailure(message, cause);
        }
    }

    private interface FailureListener {
        void onFailure(String message, Throwable cause);
    }

    @Override
    public String toString() {
        return "MarathonClient[" + key + "]";
    }
}
