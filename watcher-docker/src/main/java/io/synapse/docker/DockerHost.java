package io.synapse.docker;

import io.synapse.common.tls.TlsFiles;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.synapse.common.concurrent.Backoff;
import io.synapse.common.concurrent.SharedResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * One Docker engine, shared by every service and catalog that names it (see {@link #HOSTS}): one
 * client, one event stream, one copy of the engine's eligible containers (running, not paused, and
 * healthy when they have a health check), handed to every {@link Subscriber} after each change.
 *
 * <p>How the copy stays exact: on (re)connect the engine's clock is read ({@code /info}), the event
 * stream is opened from that instant ({@code since}, so events between subscribing and listing are
 * replayed rather than lost), and then the containers are listed in full. After that each event
 * updates one container: {@code die}, {@code stop}, {@code pause}, {@code destroy} and a health
 * status other than healthy remove it without an API call; {@code start}, {@code unpause} and {@code
 * health_status: healthy} inspect that one container (one API call), and so do {@code rename} and
 * network {@code connect}/{@code disconnect} of an eligible container. A full list every {@code
 * check_interval} seconds is the safety net; a broken stream is re-opened at once, followed by a full
 * list. The engine updates its container list a moment after it sends an event, so for 10 s after an
 * event decided a container's state, a full list's word on that container is ignored (a stopped
 * container cannot come back, nor an unpaused one go, through a list taken in between).
 *
 * <p>While the engine is unreachable, subscribers get the last good containers with the failure
 * message, and the connection is retried with jittered exponential backoff (100 ms to 5 s).
 *
 * <p>All state is confined to the host's own thread; docker-java's stream thread only enqueues.
 */
final class DockerHost {
    private static final Logger LOG = LoggerFactory.getLogger(DockerHost.class);

    /** The shared hosts, one per endpoint, alive while a service or catalog uses them. */
    static final SharedResources<Endpoint, DockerHost> HOSTS = new SharedResources<>("docker host", DockerHost::new, DockerHost::close);

    static final Backoff BACKOFF = Backoff.ofMillis(100, 5_000);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(15);
    /** Container and network events that can change which containers are eligible, or their addresses. */
    static final List<String> EVENTS = List.of("start", "die", "stop", "pause", "unpause", "health_status", "destroy",
            "rename", "connect", "disconnect");
    private static final long QUICK_STREAM_END_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long an event's word on a container outranks the engine's container list. */
    private static final long EVENT_GUARD_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final List<String> RUNNING = List.of("running");
    private static final List<String> HEALTHY_OR_NONE = List.of("healthy", "none");

    /** A user of the host's containers. Its callbacks run on the host's thread and must be quick. */
    interface Subscriber {
        /** Seconds between full re-reads this subscriber wants ({@code check_interval}). */
        double checkIntervalSeconds();

        /** The host's state changed (or this subscriber just subscribed to a host that has a state). */
        void onHostState(HostState state);
    }

    /**
     * What a subscriber sees.
     *
     * @param containers the eligible containers by id; null until the engine was read once
     * @param failure why the engine cannot be read right now, or null when it can
     */
    record HostState(Endpoint endpoint, Map<String, ContainerInfo> containers, String failure) {}

    private final Endpoint endpoint;
    private final ScheduledExecutorService executor;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicLong apiCalls = new AtomicLong();
    private final AtomicLong fullReads = new AtomicLong();
    private volatile boolean closed;

    // confined to `executor`
    private DockerClient requests;
    private DockerClient events;
    private boolean started;
    private Map<String, ContainerInfo> containers;
    private String failure;
    private int failures;
    private long generation;
    private EventStream stream;
    private long streamOpenedAt;
    private int quickStreamEnds;
    private final Map<String, String> imageNames = new HashMap<>();
    /** When an event last decided each container's state: see {@link #readAll}. */
    private final Map<String, Long> decidedByEvent = new HashMap<>();
    private ScheduledFuture<?> retry;
    private ScheduledFuture<?> poll;
    private double pollSeconds = Double.NaN;

    DockerHost(Endpoint endpoint) {
        this.endpoint = requireNonNull(endpoint, "endpoint is null");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "docker-host " + endpoint.uri());
            t.setDaemon(true);
            return t;
        });
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** Docker API calls made so far (info, event stream, container lists); for tests and the benchmark. */
    long apiCalls() {
        return apiCalls.get();
    }

    /** Full container lists so far (first read, re-syncs, polls). */
    long fullReads() {
        return fullReads.get();
    }

    /** Adds a subscriber; it gets the current state at once when there is one. Connects on first use. */
    void subscribe(Subscriber subscriber) {
        requireNonNull(subscriber, "subscriber is null");
        subscribers.add(subscriber);
        run(() -> {
            reschedulePoll();
            if (!started) {
                started = true;
                LOG.info("docker host {}: connecting", endpoint);
                connect();
            } else if (containers != null || failure != null) {
                deliver(subscriber, new HostState(endpoint, containers, failure));
            }
        });
    }

    void unsubscribe(Subscriber subscriber) {
        subscribers.remove(subscriber);
        run(this::reschedulePoll);
    }

    /** Closes the stream and the clients; called by {@link #HOSTS} when the last user lets go. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            executor.execute(() -> {
                generation++;
                closeStream();
                cancel(retry);
                cancel(poll);
                closeQuietly(requests);
                closeQuietly(events);
            });
        } catch (RejectedExecutionException e) {
            // already shut down
        }
        executor.shutdown();
        if (!Thread.currentThread().getName().equals("docker-host " + endpoint.uri())) {
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- connecting and reading

    private void connect() {
        if (closed) {
            return;
        }
        cancel(retry);
        retry = null;
        try {
            if (requests == null) {
                SSLContext ssl = endpoint.tls() == null ? null : tlsFiles(endpoint.tls()).sslContext();
                requests = client(endpoint, ssl, RESPONSE_TIMEOUT);
                events = client(endpoint, ssl, null);
            }
            decidedByEvent.clear(); // a new stream: the full read below is the truth
            apiCalls.incrementAndGet();
            Info info = requests.infoCmd().exec();
            openStream(since(info.getSystemTime()));
            readAll("connected");
        } catch (TlsFiles.TlsException e) {
            connectionFailed("TLS files: " + TLS_KEYS.of(e.role()) + ": " + e.getMessage(), null);
        } catch (RuntimeException e) {
            connectionFailed(describe(e), e);
        }
    }

    /** The names of the {@code tls} keys, for problem paths. */
    static final TlsFiles.Keys TLS_KEYS = new TlsFiles.Keys("ca", "cert", "key");

    static TlsFiles tlsFiles(DockerConfig.Tls tls) {
        return new TlsFiles(tls.ca(), tls.cert(), tls.key());
    }

    static DockerClient client(Endpoint endpoint, SSLContext ssl, Duration responseTimeout) {
        ApacheDockerHttpClient.Builder http = new ApacheDockerHttpClient.Builder()
                .dockerHost(endpoint.uri())
                .maxConnections(4)
                .connectionTimeout(CONNECT_TIMEOUT);
        if (responseTimeout != null) {
            http.responseTimeout(responseTimeout);
        }
        if (ssl != null) {
            http.sslConfig(() -> ssl);
        }
        DefaultDockerClientConfig config = new DefaultDockerClientConfig.Builder()
                .withDockerHost(endpoint.uri().toString())
                .build(); // TLS is the transport's (sslConfig above)
        return DockerClientImpl.getInstance(config, http.build());
    }

    /** The engine's {@code SystemTime} as the events API's {@code since}: {@code seconds.nanos}. */
    static String since(String systemTime) {
        if (systemTime == null || systemTime.isBlank()) {
            return null;
        }
        try {
            OffsetDateTime t = OffsetDateTime.parse(systemTime);
            return t.toEpochSecond() + "." + String.format("%09d", t.getNano());
        } catch (RuntimeException e) {
            LOG.debug("cannot parse the docker engine's SystemTime {}: {}", systemTime, e.toString());
            return null;
        }
    }

    /** Lists every eligible container; the result replaces the copy. Throws when the engine cannot be read. */
    private void readAll(String why) {
        apiCalls.incrementAndGet();
        fullReads.incrementAndGet();
        List<Container> list = requests.listContainersCmd()
                .withStatusFilter(RUNNING)
                .withFilter("health", HEALTHY_OR_NONE)
                .exec();
        long now = System.nanoTime();
        decidedByEvent.values().removeIf(at -> now - at >= EVENT_GUARD_NANOS);
        Map<String, ContainerInfo> next = new LinkedHashMap<>();
        for (Container c : list) {
            if (c.getId() == null) {
                continue;
            }
            if (decidedByEvent.containsKey(c.getId())) {
                continue; // decided below
            }
            ContainerInfo info = ContainerInfo.of(c);
            if (c.getImageId() != null && c.getImageId().equals(c.getImage())) {
                // the list shows the image id once the container's tag moved to another image (a new
                // version pulled): the container still runs what it was started as, so ask for that name once
                String image = imageNames.get(c.getId());
                if (image == null) {
                    image = imageNameOf(c.getId());
                    if (image != null) {
                        imageNames.put(c.getId(), image);
                    }
                }
                if (image != null) {
                    info = new ContainerInfo(info.id(), info.name(), image, info.created(), info.labels(), info.ports(), info.networks());
                }
            }
            next.put(c.getId(), info);
        }
        // The engine updates its container list a moment after it sends an event ("die", "unpause", a health
        // change...): a list taken in between shows the old state. For a container an event decided recently,
        // the event's word stands.
        if (containers != null) {
            for (String id : decidedByEvent.keySet()) {
                if (containers.containsKey(id)) {
                    next.put(id, containers.get(id));
                }
            }
        }
        imageNames.keySet().retainAll(next.keySet());
        next = Map.copyOf(next);
        boolean first = containers == null;
        boolean recovered = failure != null;
        boolean changed = !next.equals(containers);
        if (!first && changed && why.equals("poll")) {
            LOG.info("docker host {}: the periodic full read changed the containers ({} -> {}): the event stream had not "
                    + "delivered these changes (yet)", endpoint, containers.size(), next.size());
        }
        containers = next;
        failures = 0;
        if (recovered) {
            LOG.info("docker host {}: reachable again, {} eligible containers", endpoint, next.size());
            failure = null;
        } else if (first) {
            LOG.info("docker host {}: {} eligible containers", endpoint, next.size());
        }
        if (first || recovered || changed) {
            publish();
        }
    }

    /** The image a container was started as, from its inspection; null when it is gone. */
    private String imageNameOf(String id) {
        apiCalls.incrementAndGet();
        try {
            InspectContainerResponse inspected = requests.inspectContainerCmd(id).exec();
            return inspected.getConfig() == null ? null : inspected.getConfig().getImage();
        } catch (NotFoundException e) {
            return null;
        }
    }

    /**
     * Inspects one container and puts it into the copy, or removes it when it is no longer eligible.
     * Inspection reads the container itself, which the engine has updated before it sends the event;
     * its container list is a view updated a little later (right after {@code unpause} it may still
     * show the container paused).
     */
    private void refresh(String id) {
        apiCalls.incrementAndGet();
        InspectContainerResponse inspected;
        try {
            inspected = requests.inspectContainerCmd(id).exec();
        } catch (NotFoundException e) {
            update(id, null); // removed meanwhile
            return;
        }
        update(id, ContainerInfo.eligible(inspected) ? ContainerInfo.of(inspected) : null);
    }

    /** An event decided the container's state: {@code info}, or not eligible ({@code null}). */
    private void update(String id, ContainerInfo info) {
        if (containers == null) {
            return; // the first full read is under way and will include it
        }
        decidedByEvent.put(id, System.nanoTime());
        ContainerInfo before = containers.get(id);
        if (info == null ? before == null : info.equals(before)) {
            return;
        }
        Map<String, ContainerInfo> next = new HashMap<>(containers);
        if (info == null) {
            next.remove(id);
        } else {
            next.put(id, info);
        }
        containers = Map.copyOf(next);
        publish();
    }

    // ---------------------------------------------------------------- the event stream

    private void openStream(String since) {
        closeStream();
        long gen = ++generation;
        EventStream s = new EventStream(gen);
        var cmd = events.eventsCmd()
                .withEventTypeFilter(EventType.CONTAINER, EventType.NETWORK)
                .withEventFilter(EVENTS.toArray(String[]::new));
        if (since != null) {
            cmd.withSince(since);
        }
        apiCalls.incrementAndGet();
        cmd.exec(s);
        stream = s;
        streamOpenedAt = System.nanoTime();
    }

    private void onEvent(long gen, Event event) {
        if (gen != generation || closed) {
            return;
        }
        String action = event.getAction() != null ? event.getAction() : event.getStatus();
        if (action == null) {
            return;
        }
        String id;
        if (event.getType() == EventType.NETWORK) {
            id = event.getActor() == null || event.getActor().getAttributes() == null ? null
                    : event.getActor().getAttributes().get("container");
        } else if (event.getType() == EventType.CONTAINER || event.getType() == null) {
            id = event.getActor() != null && event.getActor().getId() != null ? event.getActor().getId() : event.getId();
        } else {
            return;
        }
        if (id == null) {
            return;
        }
        int colon = action.indexOf(':');
        String verb = colon < 0 ? action : action.substring(0, colon);
        String detail = colon < 0 ? "" : action.substring(colon + 1).strip();
        LOG.debug("docker host {}: event {} {}", endpoint, action, id);
        try {
            switch (verb) {
                case "start", "unpause" -> refresh(id);
                // a new container connects before it starts, a stopped one disconnects after it died: only an
                // eligible container's addresses or name can change (and a list right after "die" may still show
                // the dead container running, so it must not be re-added from these events)
                case "rename", "connect", "disconnect" -> {
                    if (containers != null && containers.containsKey(id)) {
                        refresh(id);
                    }
                }
                case "health_status" -> {
                    if (detail.equals("healthy")) {
                        refresh(id);
                    } else {
                        update(id, null);
                    }
                }
                case "die", "stop", "pause", "destroy" -> update(id, null);
                default -> { }
            }
        } catch (RuntimeException e) {
            connectionFailed(describe(e), e);
        }
    }

    private void onStreamEnd(long gen, Throwable error) {
        if (gen != generation || closed) {
            return;
        }
        generation++;
        stream = null;
        String why = error == null ? "was closed by the engine" : "broke: " + describe(error);
        if (System.nanoTime() - streamOpenedAt < QUICK_STREAM_END_NANOS) {
            // a stream that ends as soon as it is opened (a proxy that cuts it, say) must not make a tight loop
            long delay = BACKOFF.delay(++quickStreamEnds).toMillis();
            LOG.info("docker host {}: event stream {} right after it was opened; reconnecting in {} ms", endpoint, why, delay);
            cancel(retry);
            retry = executor.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
            return;
        }
        quickStreamEnds = 0;
        LOG.info("docker host {}: event stream {}; reconnecting and reading every container again", endpoint, why);
        connect();
    }

    private void closeStream() {
        EventStream s = stream;
        stream = null;
        if (s != null) {
            s.close();
        }
    }

    /** The events of one stream, handed to the host's thread tagged with the stream's generation. */
    private final class EventStream implements ResultCallback<Event> {
        private final long gen;
        private Closeable handle;
        private boolean closeRequested;

        EventStream(long gen) {
            this.gen = gen;
        }

        @Override
        public void onStart(Closeable closeable) {
            boolean closeNow;
            synchronized (this) {
                handle = closeable;
                closeNow = closeRequested;
            }
            if (closeNow) {
                closeQuietly(closeable);
            }
        }

        @Override
        public void onNext(Event event) {
            run(() -> onEvent(gen, event));
        }

        @Override
        public void onError(Throwable error) {
            run(() -> onStreamEnd(gen, error));
        }

        @Override
        public void onComplete() {
            run(() -> onStreamEnd(gen, null));
        }

        @Override
        public void close() {
            Closeable h;
            synchronized (this) {
                closeRequested = true;
                h = handle;
            }
            if (h != null) {
                closeQuietly(h);
            }
        }
    }

    // ---------------------------------------------------------------- failures, polls, subscribers

    private void connectionFailed(String message, Throwable cause) {
        generation++;
        closeStream();
        failures++;
        String text = "cannot read docker engine " + endpoint.uri() + ": " + message;
        if (!text.equals(failure)) {
            failure = text;
            LOG.warn("docker host {}: {}; keeping the last {} containers and retrying", endpoint, message,
                    containers == null ? 0 : containers.size());
            if (cause != null) {
                LOG.debug("docker host {}: failure detail", endpoint, cause);
            }
            publish();
        } else {
            LOG.debug("docker host {}: still failing: {}", endpoint, message);
        }
        cancel(retry);
        long delay = BACKOFF.delay(failures).toMillis();
        retry = executor.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    private void reschedulePoll() {
        double seconds = subscribers.stream().mapToDouble(Subscriber::checkIntervalSeconds).min().orElse(Double.NaN);
        if (Double.compare(seconds, pollSeconds) == 0 && poll != null) {
            return;
        }
        cancel(poll);
        poll = null;
        pollSeconds = seconds;
        if (!Double.isNaN(seconds) && !closed) {
            long millis = Math.max(1, Math.round(seconds * 1000));
            poll = executor.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    private void poll() {
        if (closed || stream == null || containers == null) {
            return; // not connected: a retry is pending and will read everything
        }
        try {
            readAll("poll");
        } catch (RuntimeException e) {
            connectionFailed(describe(e), e);
        }
    }

    private void publish() {
        HostState state = new HostState(endpoint, containers, failure);
        for (Subscriber s : subscribers) {
            deliver(s, state);
        }
    }

    private void deliver(Subscriber s, HostState state) {
        try {
            s.onHostState(state);
        } catch (RuntimeException e) {
            LOG.error("docker host {}: a subscriber failed", endpoint, e);
        }
    }

    private void run(Runnable task) {
        if (closed) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("docker host {}: unexpected error", endpoint, e);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    private static void closeQuietly(Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing {}: {}", c, e.toString());
        }
    }

    /** A one-line reason: the innermost message, with the exception's name when it has none. */
    static String describe(Throwable t) {
        Throwable c = t;
        String message = null;
        while (c != null) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                message = c.getClass().getSimpleName() + ": " + c.getMessage();
            } else if (message == null) {
                message = c.getClass().getSimpleName();
            }
            if (c.getCause() == c) {
                break;
            }
            c = c.getCause();
        }
        String line = message == null ? t.toString() : message;
        int nl = line.indexOf('\n');
        line = (nl < 0 ? line : line.substring(0, nl)).strip();
        return line.endsWith(".") ? line.substring(0, line.length() - 1) : line;
    }
}
