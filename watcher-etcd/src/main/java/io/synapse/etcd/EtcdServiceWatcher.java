package io.synapse.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.synapse.spi.Backend;
import io.synapse.common.concurrent.Backoff;
import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.etcd.EtcdClients;
import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.etcd.SharedEtcdClient;
import io.synapse.common.registry.RegistryValues;
import io.synapse.common.tls.TlsFiles;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * Watches one key prefix of an etcd v3 cluster and publishes the backends its values describe.
 *
 * <p>How no event is missed: the prefix is read (in pages, all at one revision R), then watched from
 * R + 1; every applied event advances the last seen revision, and a broken watch resumes from the
 * revision after it. When that revision has been compacted (or the cluster's revision went
 * backwards, as after a restore), the prefix is read again and a fresh, exact set is published.
 *
 * <p>What happens while etcd is unreachable: nothing is published (the engine keeps the last good
 * set), {@link WatcherListener#onFailure} is called when the episode starts (and when its reason
 * changes), and the watcher retries with exponential backoff (100 ms to 5 s, equal jitter) across all
 * endpoints. When a retry succeeds the current set is published again, so the engine sees the
 * episode end. Changes made during the outage arrive with the resumed watch (or the re-read).
 *
 * <p>All state is confined to a {@link SerialExecutor}; jetcd's callbacks only enqueue work on it.
 */
final class EtcdServiceWatcher implements ServiceWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdServiceWatcher.class);
    static final int PAGE_SIZE = 10_000;
    private static final long READ_TIMEOUT_MILLIS = 30_000;
    private static final Backoff BACKOFF = Backoff.ofMillis(100, 5_000);
    private static final long RECOVERY_CONFIRM_MILLIS = 500;

    private enum State { LATENT, STARTED, CLOSED }

    /** What a watcher watches, normalized by the factory. */
    record Settings(EtcdConnection connection, String prefix, String decodeMethod, Decoder decoder, int pageSize) {
        Settings {
            if (pageSize < 1) {
                throw new IllegalArgumentException("pageSize " + pageSize + ": expected a positive integer");
            }
            requireNonNull(connection, "connection is null");
            requireNonNull(prefix, "prefix is null");
            requireNonNull(decodeMethod, "decodeMethod is null");
            requireNonNull(decoder, "decoder is null");
        }
    }

    private final String service;
    private final Settings settings;
    private final WatcherListener listener;
    private final EtcdClients clients;
    private final SerialExecutor serial;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final ByteSequence prefixKey;
    private final ByteSequence prefixEnd;

    // confined to `serial`
    private final PrefixState prefixState;
    private Lease<EtcdConnection, SharedEtcdClient> handle;
    private long revision;
    private long generation;
    private long resetCheckedAt = -1;
    private Watch.Watcher watch;
    private List<Backend> published;
    private boolean publishScheduled;
    private String failure;
    private long failureSince;
    private int failures;
    private ScheduledFuture<?> retry;
    private volatile long reads;

    EtcdServiceWatcher(String service, Settings settings, WatcherListener listener, EtcdClients clients) {
        this.service = requireNonNull(service, "service is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.clients = requireNonNull(clients, "clients is null");
        this.serial = new SerialExecutor("etcd watcher of service " + service);
        this.prefixKey = ByteSequence.from(settings.prefix(), StandardCharsets.UTF_8);
        this.prefixEnd = prefixEnd(prefixKey);
        this.prefixState = new PrefixState(settings.decoder(), (key, reason) -> {
            LOG.warn("service {}: skipping etcd key {}: {}", service, RegistryValues.quote(key), reason);
            try {
                listener.onRejected(key, reason);
            } catch (RuntimeException e) {
                LOG.error("service {}: the listener failed", service, e);
            }
        });
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        LOG.info("service {}: watching etcd {} prefix {} (decode {})", service, settings.connection().describe(),
                RegistryValues.quote(settings.prefix()), settings.decodeMethod());
        serial.execute(this::connect);
    }

    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        if (previous == State.LATENT) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        serial.execute(() -> {
            try {
                cancelWatch();
                cancelRetry();
                if (handle != null) {
                    handle.close();
                    handle = null;
                }
            } catch (RuntimeException e) {
                LOG.debug("service {}: closing the etcd watcher: {}", service, e.toString());
            } finally {
                done.countDown();
            }
        });
        if (!serial.inside()) {
            try {
                // after close() returns, nothing more is published
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Number of full reads of the prefix so far (the initial one included); for tests. */
    long reads() {
        return reads;
    }

    private boolean closed() {
        return state.get() == State.CLOSED;
    }

    // ---------------------------------------------------------------- connecting and reading

    private void connect() {
        if (closed()) {
            return;
        }
        try {
            handle = clients.acquire(settings.connection());
        } catch (TlsFiles.TlsException | RuntimeException e) {
            failed("cannot create an etcd client for " + settings.connection().describe() + ": " + e.getMessage(), e);
            retryLater(this::connect);
            return;
        }
        sync();
    }

    /** Reads the whole prefix (in pages at one revision), publishes it, then watches from the next revision. */
    private void sync() {
        if (closed()) {
            return;
        }
        cancelWatch();
        readPage(generation, prefixState.reread(), prefixKey, 0, System.nanoTime());
    }

    private void readPage(long gen, PrefixState.Reread reread, ByteSequence from, long atRevision, long started) {
        GetOption option = GetOption.builder()
                .withRange(prefixEnd)
                .withLimit(settings.pageSize())
                .withRevision(atRevision)
                .build();
        handle.get().client().getKVClient().get(from, option)
                .orTimeout(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .whenCompleteAsync((response, error) -> onPage(gen, reread, atRevision, started, response, error), serial);
    }

    private void onPage(long gen, PrefixState.Reread reread, long atRevision, long started, GetResponse response, Throwable error) {
        if (gen != generation || closed()) {
            return;
        }
        if (error != null) {
            Throwable cause = unwrap(error);
            if (isCompacted(cause)) {
                // the revision of the first page was compacted while reading the next: start over
                LOG.info("service {}: revision {} was compacted while reading {}; reading again", service, atRevision,
                        RegistryValues.quote(settings.prefix()));
                sync();
                return;
            }
            failed("cannot read prefix " + RegistryValues.quote(settings.prefix()) + " from etcd "
                    + settings.connection().describe() + ": " + describe(cause, settings.connection().user()), cause);
            retryLater(this::sync);
            return;
        }
        long rev = atRevision == 0 ? response.getHeader().getRevision() : atRevision;
        List<KeyValue> kvs = response.getKvs();
        boolean more = response.isMore() && !kvs.isEmpty();
        if (more) {
            // ask for the next page first, so that etcd serves it while this one is decoded
            byte[] last = kvs.get(kvs.size() - 1).getKey().getBytes();
            byte[] next = Arrays.copyOf(last, last.length + 1); // the smallest key after `last`
            readPage(gen, reread, ByteSequence.from(next), rev, started);
        }
        for (KeyValue kv : kvs) {
            reread.add(kv.getKey().toString(StandardCharsets.UTF_8), kv.getCreateRevision(), kv.getValue().getBytes());
        }
        if (more) {
            return;
        }
        reads++;
        boolean first = published == null;
        boolean changed = reread.commit();
        revision = rev;
        LOG.debug("service {}: read {} keys under {} at revision {} in {} ms", service, reread.size(), settings.prefix(), rev,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        boolean wasFailing = recovered();
        if (first || changed || wasFailing) {
            publish(true);
        }
        startWatch();
    }

    // ---------------------------------------------------------------- watching

    private void startWatch() {
        if (closed()) {
            return;
        }
        cancelWatch();
        long gen = generation;
        WatchOption option = WatchOption.builder()
                .isPrefix(true)
                .withRevision(revision + 1)
                .withCreateNotify(true)
                .withProgressNotify(true)
                .withRequireLeader(true)
                .build();
        try {
            watch = handle.get().client().getWatchClient().watch(prefixKey, option, new Watch.Listener() {
                @Override
                public void onNext(WatchResponse response) {
                    serial.execute(() -> onWatchResponse(gen, response));
                }

                @Override
                public void onError(Throwable error) {
                    serial.execute(() -> onWatchError(gen, error));
                }

                @Override
                public void onCompleted() {
                    serial.execute(() -> onWatchError(gen, null));
                }
            });
        } catch (RuntimeException e) {
            onWatchError(gen, e);
        }
    }

    private void onWatchResponse(long gen, WatchResponse response) {
        if (gen != generation || closed()) {
            return;
        }
        long headerRevision = response.getHeader().getRevision();
        if (response.isCreatedNotify()) {
            if (headerRevision < revision && resetCheckedAt != revision) {
                // the member is behind what we saw: it is still catching up, or the cluster was restored from a
                // backup or wiped (then the watch would wait for a revision that may never come). One linearizable
                // re-read settles it; if the member still lags after that, the watch simply waits for it.
                LOG.warn("service {}: etcd member is at revision {} but revision {} was seen; reading {} again", service,
                        headerRevision, revision, RegistryValues.quote(settings.prefix()));
                cancelWatch();
                resetCheckedAt = revision;
                retryLater(this::sync);
                return;
            }
            if (failure != null) {
                // etcd answers again; the episode ends once the watch is not cancelled right away (as it is when
                // its revision was compacted, and then the re-read publishes)
                serial.schedule(() -> {
                    if (gen == generation && !closed() && recovered()) {
                        publish(true);
                    }
                }, RECOVERY_CONFIRM_MILLIS);
            } else {
                failures = 0;
            }
            return;
        }
        List<WatchEvent> events = response.getEvents();
        if (events.isEmpty()) {
            // progress notification: every event up to the header's revision has been delivered
            revision = Math.max(revision, headerRevision);
            return;
        }
        boolean changed = false;
        for (WatchEvent event : events) {
            KeyValue kv = event.getKeyValue();
            String key = kv.getKey().toString(StandardCharsets.UTF_8);
            switch (event.getEventType()) {
                case PUT -> changed |= prefixState.put(key, kv.getCreateRevision(), kv.getValue().getBytes());
                case DELETE -> changed |= prefixState.remove(key);
                default -> LOG.debug("service {}: ignoring etcd event {} on {}", service, event.getEventType(), key);
            }
            revision = Math.max(revision, kv.getModRevision());
        }
        if (changed) {
            schedulePublish();
        }
    }

    /** The watch failed ({@code error}) or ended ({@code null}). */
    private void onWatchError(long gen, Throwable error) {
        if (gen != generation || closed()) {
            return;
        }
        cancelWatch();
        Throwable cause = error == null ? null : unwrap(error);
        if (isCompacted(cause)) {
            LOG.info("service {}: etcd compacted past revision {} ({}); reading {} again", service, revision + 1,
                    cause.getMessage(), RegistryValues.quote(settings.prefix()));
            sync();
            return;
        }
        if (isFutureRevision(cause)) {
            LOG.warn("service {}: etcd has no revision {} yet (restored or wiped?); reading {} again", service,
                    revision + 1, RegistryValues.quote(settings.prefix()));
            retryLater(this::sync);
            return;
        }
        String reason = cause == null ? "the watch was closed by the server" : describe(cause, settings.connection().user());
        failed("watch of prefix " + RegistryValues.quote(settings.prefix()) + " on etcd "
                + settings.connection().describe() + " broke at revision " + revision + ": " + reason, cause);
        retryLater(this::startWatch);
    }

    private void cancelWatch() {
        generation++;
        if (watch != null) {
            Watch.Watcher w = watch;
            watch = null;
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.debug("service {}: closing an etcd watch: {}", service, e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- publishing

    private void schedulePublish() {
        if (!publishScheduled) {
            publishScheduled = true;
            // queued behind the watch responses already waiting, so a burst is published once
            serial.execute(() -> {
                publishScheduled = false;
                publish(false);
            });
        }
    }

    private void publish(boolean always) {
        if (closed()) {
            return;
        }
        PrefixState.Changes changes = prefixState.takeChanges();
        if (!always && changes.isEmpty()) {
            return;
        }
        List<Backend> before = published;
        List<Backend> snapshot = prefixState.snapshot();
        published = snapshot;
        logChange(before, snapshot, changes);
        try {
            listener.onBackends(snapshot);
        } catch (RuntimeException e) {
            LOG.warn("service {}: the listener failed on {} backends: {}", service, snapshot.size(), e.toString(), e);
        }
    }

    private void logChange(List<Backend> before, List<Backend> after, PrefixState.Changes changes) {
        if (before == null) {
            int skipped = prefixState.skipped();
            LOG.info("service {}: {} backends from etcd at revision {}{}", service, after.size(), revision,
                    skipped == 0 ? "" : " (" + skipped + " keys skipped)");
            return;
        }
        if (!LOG.isDebugEnabled()) {
            return;
        }
        String listed;
        if (changes.replaced()) {
            // a re-read: diff the sets (rare, so the O(n) is fine)
            listed = io.synapse.common.log.Changes.diff(before, after);
        } else {
            listed = io.synapse.common.log.Changes.listed(changes.added(), changes.removed(), String::valueOf);
        }
        // the engine logs the change of the merged set at INFO; this is the watcher's own view
        LOG.debug("service {}: etcd {} -> {} backends{}", service, before.size(), after.size(),
                listed.isEmpty() ? " (unchanged)" : listed);
    }

    // ---------------------------------------------------------------- failures and retries

    private void failed(String message, Throwable cause) {
        long now = System.nanoTime();
        if (failure == null) {
            failureSince = now;
            LOG.warn("service {}: {}; {}", service, message, published == null
                    ? "no backends known yet; retrying"
                    : "keeping the last " + published.size() + " backends and retrying");
        } else if (!failure.equals(message)) {
            LOG.info("service {}: still failing: {}", service, message);
        } else {
            LOG.debug("service {}: still failing: {}", service, message);
        }
        if (cause != null) {
            LOG.debug("service {}: failure detail", service, cause);
        }
        boolean report = !message.equals(failure);
        failure = message;
        if (report) {
            try {
                listener.onFailure(message, cause);
            } catch (RuntimeException e) {
                LOG.warn("service {}: the listener failed on a failure report: {}", service, e.toString());
            }
        }
    }

    /** Ends a failure episode, if one is on; returns whether one was. */
    private boolean recovered() {
        failures = 0;
        if (failure == null) {
            return false;
        }
        LOG.info("service {}: etcd {} is reachable again after {} ms; resuming at revision {}", service,
                settings.connection().describe(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failureSince), revision);
        failure = null;
        return true;
    }

    private void retryLater(Runnable action) {
        cancelRetry();
        if (closed()) {
            return;
        }
        long delay = BACKOFF.delay(++failures).toMillis();
        retry = serial.schedule(() -> {
            retry = null;
            if (closed()) {
                return;
            }
            if (handle != null) {
                handle.get().reconnectNow();
            }
            action.run();
        }, delay);
    }

    private void cancelRetry() {
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
    }

    // ---------------------------------------------------------------- helpers

    static ByteSequence prefixEnd(ByteSequence prefix) {
        byte[] end = prefix.getBytes();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return ByteSequence.from(Arrays.copyOf(end, i + 1));
            }
        }
        // the prefix is all 0xff bytes (or empty): to the end of the key space
        return ByteSequence.from(new byte[] {0});
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private static boolean isCompacted(Throwable t) {
        return t instanceof CompactedException
                || (t != null && t.getMessage() != null && t.getMessage().contains("required revision has been compacted"));
    }

    private static boolean isFutureRevision(Throwable t) {
        return t != null && t.getMessage() != null && t.getMessage().contains("required revision is a future revision");
    }

    /** A one-line reason, without the exception class noise; authentication and permission problems say so. */
    static String describe(Throwable t, String user) {
        if (t instanceof TimeoutException) {
            return "no answer within " + READ_TIMEOUT_MILLIS / 1000 + " s";
        }
        String message = t.getMessage();
        Status status = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StatusRuntimeException sre) {
                status = sre.getStatus();
                break;
            }
        }
        if (message == null || message.isBlank()) {
            message = status != null ? status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription())
                    : t.getClass().getSimpleName();
        }
        message = firstLine(message);
        if (status != null && status.getCause() != null && status.getCause().getMessage() != null
                && !message.contains(firstLine(status.getCause().getMessage()))) {
            message = message + " (" + firstLine(status.getCause().getMessage()) + ")";
        }
        int etcd = message.indexOf("etcdserver: ");
        String server = etcd < 0 ? message : message.substring(etcd).replaceAll("\\)+$", "");
        String lower = message.toLowerCase(Locale.ROOT);
        String who = user == null ? "(no user configured)" : "for user " + RegistryValues.quote(user);
        if (lower.contains("authentication failed") || lower.contains("invalid auth token")
                || lower.contains("user name is empty") || lower.contains("user name not found")
                || (status != null && status.getCode() == Status.Code.UNAUTHENTICATED)) {
            return "authentication failed " + who + ": " + server;
        }
        if (lower.contains("permission denied") || (status != null && status.getCode() == Status.Code.PERMISSION_DENIED)) {
            return "permission denied " + who + ": " + server;
        }
        return message;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
