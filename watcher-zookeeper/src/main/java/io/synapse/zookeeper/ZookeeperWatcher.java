package io.synapse.zookeeper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synapse.spi.Backend;
import io.synapse.common.log.Changes;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.common.registry.RegistryValues;
import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperConnection;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherListener;
import org.apache.curator.framework.WatcherRemoveCuratorFramework;
import org.apache.curator.framework.api.BackgroundPathable;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;

import static java.util.Objects.requireNonNull;

/**
 * Watches (or polls) the children of one znode and publishes them as backends.
 *
 * <p>How it reads: a <em>full sync</em> lists the children (setting a child watch), reads every
 * child's data (setting a data watch; path-encoded children are decoded from their name without
 * a read) and the generator-config node, and publishes one snapshot when every answer is in.
 * After that, watch events re-list the children (reading only new ones) or re-read one child;
 * {@code zookeeper_poll} runs a full sync every polling interval instead, without watches.
 *
 * <p>What happens on trouble: when the connection is suspended or the session is lost, or a read
 * fails with an error other than a lost connection (reads wait for the connection to come
 * back), the watcher reports {@link WatcherListener#onFailure} once for the episode and publishes
 * nothing (the last good backends stay). How it recovers depends on what was lost:
 * <ul>
 *   <li>The connection, not the session (a member died, the client moved to another one): the
 *       session's watches survive, and ZooKeeper fires those whose nodes changed meanwhile as soon
 *       as the client is back, so nothing is read again: reads in flight complete on the new
 *       connection, and one listing per service (reading only children it does not know) confirms
 *       the set and ends the episode. A thousand hosts moving off a dead member cost a thousand
 *       listings per service, not a thousand full re-reads.
 *   <li>The session (expired, or a read failed): the watches are gone, so what was being read is
 *       abandoned and a full sync runs on the new session; it is published even when nothing
 *       changed and ends the episode.
 * </ul>
 * Either runs after a random delay of up to {@code resync_jitter} once the connection is back,
 * so that a fleet reconnecting at the same moment (after a leader election, or an outage longer
 * than the session) spreads its reads instead of hitting the ensemble at once; watch events are
 * handled meanwhile. A child deleted between the listing and the read is simply gone; a child
 * that cannot be decoded is skipped with one warning (repeated only if its data changes).
 *
 * <p>Threading: all state is confined to the shared connection's thread ({@link
 * ZooKeeperConnection#executor()}): Curator callbacks, watch events and timers all run there.
 */
final class ZookeeperWatcher implements ServiceWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ZookeeperWatcher.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] UNREADABLE = new byte[0];
    private static final Comparator<Map.Entry<String, Child>> DISCOVERY_ORDER = Comparator
            .<Map.Entry<String, Child>, Long>comparing(e -> e.getValue().sequence(), Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(Map.Entry::getKey);

    private enum State { LATENT, STARTED, CLOSED }

    private enum Kind { CHILDREN, EXISTS, DATA, CONFIG }

    /**
     * What is known of one child.
     *
     * @param data the bytes it was decoded from ({@code null} when decoded from its name; {@link
     *     #UNREADABLE} when reading it was not permitted)
     * @param backend the backend, or {@code null} when the child is skipped
     * @param sequence the sequence number at the end of its name, or {@code null}
     */
    private record Child(byte[] data, Backend backend, Long sequence) {}

    private final String service;
    private final Settings settings;
    private final WatcherListener listener;
    private final ZooKeeperClients clients;
    /** Draws the delay before re-reading after a reconnection, given {@code resync_jitter} (both in nanoseconds). */
    private final LongUnaryOperator resyncDelay;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final Object lifecycle = new Object();

    private final Watcher childrenWatcher = event -> onWatch(event, Kind.CHILDREN);
    private final Watcher existsWatcher = event -> onWatch(event, Kind.EXISTS);
    private final Watcher dataWatcher = event -> onWatch(event, Kind.DATA);
    private final Watcher configWatcher = event -> onWatch(event, Kind.CONFIG);
    private final ConnectionStateListener connectionListener = (client, newState) -> guarded(() -> onConnectionState(newState));

    // written once by start() before any task is submitted; read on the ensemble's thread
    private Lease<ZooKeeperEnsemble, ZooKeeperConnection> lease;
    private ZooKeeperConnection ensemble;
    private WatcherRemoveCuratorFramework zk;

    // confined to the ensemble's thread
    private long generation;
    private int inFlight;
    private boolean listed;
    private boolean awaitingResync;
    private boolean failing;
    private int failures;
    private boolean pathMissing;
    private final Set<String> names = new HashSet<>();
    private final Map<String, Child> children = new HashMap<>();
    private byte[] configData;
    private Map<String, JsonNode> config = Map.of();
    private Map<String, JsonNode> publishedConfig;
    private List<Backend> published;
    private boolean dirtyList;
    private boolean dirtyConfig;
    private final Set<String> dirtyChildren = new HashSet<>();
    private long lastDiscoveryNanos;
    private ScheduledFuture<?> discoveryTask;
    private ScheduledFuture<?> syncTask;
    /** The session was lost: its watches are gone, the next connection needs a full sync. */
    private boolean sessionLost;
    /** The re-listing or full sync waiting for its {@code resync_jitter} delay after a reconnection. */
    private ScheduledFuture<?> reconnectTask;

    ZookeeperWatcher(WatcherContext context, Settings settings, WatcherListener listener, ZooKeeperClients clients) {
        this(context, settings, listener, clients,
                jitter -> jitter <= 0 ? 0 : ThreadLocalRandom.current().nextLong(jitter + 1));
    }

    ZookeeperWatcher(WatcherContext context, Settings settings, WatcherListener listener, ZooKeeperClients clients,
                     LongUnaryOperator resyncDelay) {
        this.service = requireNonNull(context, "context is null").serviceName();
        this.settings = requireNonNull(settings, "settings is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.clients = requireNonNull(clients, "clients is null");
        this.resyncDelay = requireNonNull(resyncDelay, "resyncDelay is null");
    }

    @Override
    public void start() {
        synchronized (lifecycle) {
            if (!state.compareAndSet(State.LATENT, State.STARTED)) {
                if (state.get() == State.CLOSED) {
                    return;
                }
                throw new IllegalStateException("service " + service + ": watcher already started");
            }
            try {
                lease = clients.acquire(settings.ensemble());
                ensemble = lease.get();
            } catch (RuntimeException e) {
                state.set(State.CLOSED);
                throw new IllegalStateException("service " + service + ": cannot create a ZooKeeper client for "
                        + settings.ensemble() + ": " + e.getMessage(), e);
            }
            zk = ensemble.client().newWatcherRemoveCuratorFramework();
            ensemble.addListener(connectionListener);
            LOG.info("service {}: {} the children of {} on ZooKeeper {} ({})", service,
                    settings.watches() ? "watching" : "polling every " + Settings.number(settings.pollInterval().toMillis() / 1000.0) + " s",
                    settings.path(), ensemble.ensemble(), settings.decoder().method());
            ensemble.executor().execute(() -> guarded(() -> resync("start")));
            ensemble.executor().schedule(() -> guarded(this::checkConnected),
                    ensemble.settings().connectionTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            State previous = state.getAndSet(State.CLOSED);
            if (previous != State.STARTED) {
                return;
            }
            try {
                ensemble.removeListener(connectionListener);
                ensemble.executor().execute(() -> {
                    cancel(syncTask);
                    cancel(discoveryTask);
                    cancel(reconnectTask);
                });
                if (!lease.isLast()) {
                    // others keep the connection open: remove this watcher's watches from it
                    try {
                        zk.removeWatchers();
                    } catch (RuntimeException e) {
                        LOG.debug("service {}: removing the watches failed", service, e);
                    }
                }
                lease.close();
            } catch (RuntimeException e) {
                LOG.warn("service {}: error while closing the ZooKeeper watcher: {}", service, e.toString());
                LOG.debug("close failure", e);
            }
            LOG.info("service {}: stopped watching {}", service, settings.path());
        }
    }

    // ---- syncing (on the ensemble's thread) ----

    private void resync(String why) {
        cancel(syncTask);
        syncTask = null;
        cancel(discoveryTask);
        discoveryTask = null;
        cancel(reconnectTask);
        reconnectTask = null;
        sessionLost = false;
        dirtyList = false;
        dirtyConfig = false;
        dirtyChildren.clear();
        generation++;
        inFlight = 0;
        listed = false;
        awaitingResync = false;
        lastDiscoveryNanos = System.nanoTime();
        LOG.debug("service {}: full sync of {} ({})", service, settings.path(), why);
        list(true);
        if (settings.configPath() != null) {
            readConfig();
        }
    }

    private void list(boolean rereadAll) {
        BackgroundPathable<List<String>> op = settings.watches()
                ? zk.getChildren().usingWatcher(childrenWatcher)
                : zk.getChildren();
        issue(op, settings.path(), event -> onChildren(rereadAll, event));
    }

    private void onChildren(boolean rereadAll, CuratorEvent event) {
        Code code = Code.get(event.getResultCode());
        if (code == Code.OK) {
            if (pathMissing) {
                pathMissing = false;
                LOG.info("service {}: {} exists now", service, settings.path());
            }
            List<String> listing = event.getChildren() == null ? List.of() : event.getChildren();
            names.clear();
            names.addAll(listing);
            children.keySet().retainAll(names);
            for (String name : listing) {
                Child known = children.get(name);
                if (known != null && !rereadAll) {
                    continue;
                }
                if (known != null && known.data() == null) {
                    continue; // decoded from its unchanged name
                }
                Optional<Backend> fromName = settings.decoder().fromName(name);
                if (fromName.isPresent()) {
                    children.put(name, new Child(null, fromName.get(), NerveRegistration.sequenceOf(name)));
                } else {
                    read(name);
                }
            }
            listed = true;
        } else if (code == Code.NONODE) {
            names.clear();
            children.clear();
            listed = true;
            if (!pathMissing) {
                pathMissing = true;
                LOG.info("service {}: {} does not exist; no backends until it is created", service, settings.path());
            }
            if (settings.watches()) {
                issue(zk.checkExists().usingWatcher(existsWatcher), settings.path(), e -> {
                    Code c = Code.get(e.getResultCode());
                    if (c == Code.OK) {
                        list(false); // created meanwhile
                    } else if (c != Code.NONODE) {
                        onError("cannot watch for " + settings.path() + ": " + describe(c), KeeperException.create(c, settings.path()));
                        return;
                    }
                    maybePublish();
                });
            }
        } else {
            onError("cannot list " + settings.path() + ": " + describe(code), KeeperException.create(code, settings.path()));
            return;
        }
        maybePublish();
    }

    private void read(String name) {
        BackgroundPathable<byte[]> op = settings.watches() ? zk.getData().usingWatcher(dataWatcher) : zk.getData();
        issue(op, ZKPaths.makePath(settings.path(), name), event -> onChildData(name, event));
    }

    private void onChildData(String name, CuratorEvent event) {
        Code code = Code.get(event.getResultCode());
        if (code == Code.OK) {
            if (names.contains(name)) {
                byte[] data = event.getData() == null ? new byte[0] : event.getData();
                Child known = children.get(name);
                if (known == null || known.data() == null || !Arrays.equals(known.data(), data) || known.data() == UNREADABLE) {
                    children.put(name, decode(name, data));
                }
            }
        } else if (code == Code.NONODE) {
            // deleted between the listing and the read: normal
            names.remove(name);
            children.remove(name);
        } else if (code == Code.NOAUTH) {
            Child known = children.get(name);
            if (known == null || known.data() != UNREADABLE) {
                LOG.warn("service {}: skipping child {} of {}: not readable with the configured credentials (NOAUTH)",
                        service, RegistryValues.quote(name), settings.path());
                notify(() -> listener.onRejected(ZKPaths.makePath(settings.path(), name),
                        "not readable with the configured credentials (NOAUTH)"));
                children.put(name, new Child(UNREADABLE, null, NerveRegistration.sequenceOf(name)));
            }
        } else {
            onError("cannot read " + ZKPaths.makePath(settings.path(), name) + ": " + describe(code),
                    KeeperException.create(code, ZKPaths.makePath(settings.path(), name)));
            return;
        }
        maybePublish();
    }

    private Child decode(String name, byte[] data) {
        ChildDecoder.Decoded decoded = settings.decoder().decode(name, data);
        if (decoded.backend() == null) {
            if (decoded.broken()) {
                LOG.warn("service {}: skipping child {} of {}: {}", service, RegistryValues.quote(name), settings.path(), decoded.problem());
                notify(() -> listener.onRejected(ZKPaths.makePath(settings.path(), name), decoded.problem()));
            } else {
                LOG.info("service {}: child {} of {} is not serving: {}", service, RegistryValues.quote(name), settings.path(), decoded.problem());
            }
        }
        return new Child(data, decoded.backend(), NerveRegistration.sequenceOf(name));
    }

    private void readConfig() {
        BackgroundPathable<byte[]> op = settings.watches() ? zk.getData().usingWatcher(configWatcher) : zk.getData();
        issue(op, settings.configPath(), this::onConfig);
    }

    private void onConfig(CuratorEvent event) {
        Code code = Code.get(event.getResultCode());
        if (code == Code.OK) {
            byte[] data = event.getData() == null ? new byte[0] : event.getData();
            if (configData == null || !Arrays.equals(configData, data)) {
                configData = data;
                config = parseConfig(data);
            }
        } else if (code == Code.NONODE) {
            configData = null;
            config = Map.of();
            if (settings.watches()) {
                issue(zk.checkExists().usingWatcher(configWatcher), settings.configPath(), e -> {
                    Code c = Code.get(e.getResultCode());
                    if (c == Code.OK) {
                        readConfig(); // created meanwhile
                    } else if (c != Code.NONODE) {
                        onError("cannot watch for " + settings.configPath() + ": " + describe(c), KeeperException.create(c, settings.configPath()));
                        return;
                    }
                    maybePublish();
                });
            }
        } else {
            onError("cannot read " + settings.configPath() + ": " + describe(code), KeeperException.create(code, settings.configPath()));
            return;
        }
        maybePublish();
    }

    /** The parent's {@code {"haproxy": {...}}}; empty data means no overrides. Warns once per content. */
    private Map<String, JsonNode> parseConfig(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return Map.of();
        }
        if (!text.startsWith("{") && !text.startsWith("[")) {
            // e.g. the creator's IP address, which Curator writes into the parents it creates
            LOG.info("service {}: the data of {} is not JSON; no generator config overrides", service, settings.configPath());
            return Map.of();
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(data);
        } catch (IOException e) {
            LOG.warn("service {}: ignoring the generator config in {}: not valid JSON", service, settings.configPath());
            return Map.of();
        }
        if (root == null || !root.isObject()) {
            LOG.warn("service {}: ignoring the generator config in {}: expected a JSON object", service, settings.configPath());
            return Map.of();
        }
        Map<String, JsonNode> result = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getValue().isObject()) {
                result.put(field.getKey(), field.getValue());
            } else {
                LOG.warn("service {}: ignoring {} in the generator config in {}: expected an object",
                        service, RegistryValues.quote(field.getKey()), settings.configPath());
            }
        }
        return Collections.unmodifiableMap(result);
    }

    /** Publishes when every answer of the current sync is in and something changed (or we recover). */
    private void maybePublish() {
        if (inFlight > 0 || !listed || awaitingResync) {
            return;
        }
        if (publishedConfig == null || !publishedConfig.equals(config)) {
            if (publishedConfig != null || !config.isEmpty()) {
                LOG.debug("service {}: generator config from {}: {}", service, settings.configPath(),
                        config.isEmpty() ? "none (using the file's)" : String.join(", ", config.keySet()));
            }
            publishedConfig = config;
            Map<String, JsonNode> snapshot = config;
            notify(() -> listener.onGeneratorConfig(snapshot));
        }
        List<Backend> snapshot = snapshot();
        boolean recovering = failing;
        if (published == null || recovering || !snapshot.equals(published)) {
            logChange(published, snapshot, recovering);
            published = snapshot;
            notify(() -> listener.onBackends(snapshot));
        }
        failing = false;
        failures = 0;
        if (!settings.watches()) {
            scheduleSync(settings.pollInterval().toNanos(), "poll");
        }
    }

    private List<Backend> snapshot() {
        List<Map.Entry<String, Child>> entries = new ArrayList<>(children.entrySet());
        entries.sort(DISCOVERY_ORDER);
        Map<String, Backend> unique = new LinkedHashMap<>();
        for (Map.Entry<String, Child> entry : entries) {
            Backend backend = entry.getValue().backend();
            if (backend != null && unique.putIfAbsent(backend.identity(), backend) != null) {
                LOG.debug("service {}: child {} duplicates {}", service, entry.getKey(), backend);
            }
        }
        return List.copyOf(unique.values());
    }

    private void logChange(List<Backend> before, List<Backend> after, boolean recovering) {
        if (!LOG.isDebugEnabled()) {
            return;
        }
        // the engine logs the merged change at INFO; this is the registry's side of it
        LOG.debug("service {}: {}{}", service, recovering ? "re-synced with ZooKeeper: " : "",
                Changes.summary(before == null ? List.of() : before, after, "backends"));
    }

    // ---- watch events and connection states (on the ensemble's thread) ----

    private void onWatch(WatchedEvent event, Kind kind) {
        if (event.getType() == EventType.None) {
            return; // connection events arrive as connection states
        }
        ensemble.executor().execute(() -> guarded(() -> {
            if (awaitingResync) {
                return; // the coming full sync reads everything
            }
            switch (kind) {
                case CHILDREN, EXISTS -> dirtyList = true;
                case DATA -> {
                    if (event.getType() != EventType.NodeDataChanged) {
                        return; // a deletion also fires the child watch
                    }
                    String name = ZKPaths.getNodeFromPath(event.getPath());
                    if (!names.contains(name)) {
                        return;
                    }
                    dirtyChildren.add(name);
                }
                case CONFIG -> dirtyConfig = true;
            }
            discoverSoon();
        }));
    }

    /** Runs the pending re-discovery now, or after {@code discovery_jitter} since the last one. */
    private void discoverSoon() {
        if (discoveryTask != null) {
            return;
        }
        long jitter = settings.discoveryJitter().toNanos();
        long wait = jitter - (System.nanoTime() - lastDiscoveryNanos);
        if (jitter == 0 || wait <= 0) {
            discover();
            return;
        }
        LOG.debug("service {}: delaying re-discovery by {} ms (discovery_jitter)", service, TimeUnit.NANOSECONDS.toMillis(wait));
        discoveryTask = ensemble.executor().schedule(() -> guarded(() -> {
            discoveryTask = null;
            discover();
        }), wait, TimeUnit.NANOSECONDS);
    }

    private void discover() {
        lastDiscoveryNanos = System.nanoTime();
        if (dirtyList) {
            dirtyList = false;
            list(false);
        }
        for (String name : dirtyChildren) {
            if (names.contains(name)) {
                read(name);
            }
        }
        dirtyChildren.clear();
        if (dirtyConfig) {
            dirtyConfig = false;
            readConfig();
        }
    }

    private void onConnectionState(ConnectionState newState) {
        switch (newState) {
            case SUSPENDED -> {
                cancel(reconnectTask);
                reconnectTask = null;
                if (!settings.watches()) {
                    // polling: the next poll after the connection is back reads everything anyway
                    abandon();
                    cancel(syncTask);
                    syncTask = null;
                }
                // watching: the session and its watches may well survive (reads in flight wait for the
                // connection and complete on it); whether they did is known when the connection is back
                reportFailure("ZooKeeper " + ensemble.ensemble() + ": connection lost while watching " + settings.path(), null);
            }
            case LOST -> {
                cancel(reconnectTask);
                reconnectTask = null;
                abandon();
                cancel(syncTask);
                syncTask = null;
                sessionLost = true;
                reportFailure("ZooKeeper " + ensemble.ensemble() + ": session lost while watching " + settings.path(), null);
            }
            case CONNECTED -> {
                // the first connection (an ensemble unreachable at start): read now
                if (failing || awaitingResync) {
                    resync("connected");
                }
            }
            case RECONNECTED -> onReconnected();
            default -> { }
        }
    }

    /**
     * The connection is back. With the same session, the watches survived and deliver what changed
     * meanwhile: a listing confirms the set (and ends the failure episode). With a new session, or
     * after a failed read, everything is read again. Either after a random delay up to {@code
     * resync_jitter}, so that a fleet reconnecting at once spreads its reads.
     */
    private void onReconnected() {
        if (!settings.watches()) {
            if (failing || awaitingResync) {
                resync("reconnected");
            }
            return;
        }
        boolean full = sessionLost || awaitingResync;
        if (!full && !failing) {
            return;
        }
        long delay = Math.max(0, resyncDelay.applyAsLong(settings.resyncJitter().toNanos()));
        LOG.debug("service {}: reconnected{}; {} {} in {} ms (resync_jitter)", service, sessionLost ? " with a new session" : "",
                full ? "reading everything under" : "listing", settings.path(), TimeUnit.NANOSECONDS.toMillis(delay));
        cancel(reconnectTask);
        Runnable task = () -> {
            reconnectTask = null;
            if (sessionLost || awaitingResync) {
                resync("reconnected");
            } else {
                list(false); // the known children's data watches survived with the session
            }
        };
        if (delay == 0) {
            task.run();
        } else {
            reconnectTask = ensemble.executor().schedule(() -> guarded(task), delay, TimeUnit.NANOSECONDS);
        }
    }

    // ---- failures ----

    /**
     * Reads wait while there is no connection, so an ensemble that is unreachable when the watcher
     * starts (or that is down for another watcher already) is reported here; the reads complete,
     * or a full sync runs, once the connection is up.
     */
    private void checkConnected() {
        if (published == null && !ensemble.isConnected()) {
            reportFailure("cannot connect to ZooKeeper " + ensemble.ensemble() + " to read " + settings.path(), null);
        }
    }

    /** A read failed: abandon this sync, report, and retry with backoff. */
    private void onError(String message, Throwable cause) {
        if (state.get() != State.STARTED) {
            // closed while a task was running: the client may be closed under it; nothing to report or retry
            LOG.debug("service {}: {} (after close)", service, message);
            return;
        }
        abandon();
        failures++;
        reportFailure(message, cause);
        long delay = settings.backoff().delay(failures).toNanos();
        if (!settings.watches()) {
            delay = Math.min(delay, settings.pollInterval().toNanos());
        }
        LOG.debug("service {}: retrying in {} ms", service, TimeUnit.NANOSECONDS.toMillis(delay));
        scheduleSync(delay, "retry after failure");
    }

    private void abandon() {
        generation++;
        inFlight = 0;
        listed = false;
        awaitingResync = true;
        cancel(discoveryTask);
        discoveryTask = null;
        dirtyList = false;
        dirtyConfig = false;
        dirtyChildren.clear();
    }

    private void reportFailure(String message, Throwable cause) {
        if (failing) {
            LOG.debug("service {}: still failing: {}", service, message);
            return;
        }
        failing = true;
        LOG.debug("service {}: {}", service, message);
        notify(() -> listener.onFailure(message, cause));
    }

    // ---- plumbing ----

    /** Issues a background read in the current sync; its answer is dropped if the sync was abandoned. */
    private <T> void issue(BackgroundPathable<T> op, String path, Consumer<CuratorEvent> then) {
        long gen = generation;
        inFlight++;
        try {
            op.inBackground((client, event) -> guarded(() -> {
                if (gen != generation) {
                    return;
                }
                inFlight--;
                then.accept(event);
            }), ensemble.executor()).forPath(path);
        } catch (Exception e) {
            // Curator refuses an operation only when the client is closed or the path is invalid
            onError("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private void scheduleSync(long delayNanos, String why) {
        cancel(syncTask);
        syncTask = ensemble.executor().schedule(() -> guarded(() -> {
            syncTask = null;
            resync(why);
        }), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void guarded(Runnable task) {
        if (state.get() != State.STARTED) {
            return;
        }
        try {
            task.run();
        } catch (RuntimeException e) {
            if (state.get() != State.STARTED) {
                // closed while this task ran (the last watcher's close closes the shared client): not an error
                LOG.debug("service {}: {} after close", service, e.toString());
                return;
            }
            LOG.error("service {}: unexpected error in the ZooKeeper watcher; re-syncing", service, e);
            try {
                onError("internal error: " + e, e);
            } catch (RuntimeException again) {
                LOG.error("service {}: cannot recover from the error", service, again);
            }
        }
    }

    private void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.error("service {}: the listener failed", service, e);
        }
    }

    private static void cancel(ScheduledFuture<?> task) {
        if (task != null) {
            task.cancel(false);
        }
    }

    private static String describe(Code code) {
        return switch (code) {
            case CONNECTIONLOSS -> "connection lost";
            case SESSIONEXPIRED -> "session expired";
            case OPERATIONTIMEOUT -> "operation timed out";
            case NOAUTH -> "not authorized (NOAUTH)";
            default -> code.name();
        };
    }
}
