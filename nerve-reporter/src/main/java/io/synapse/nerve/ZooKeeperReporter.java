package io.synapse.nerve;

import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperConnection;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.nerve.ReporterTarget.NodeType;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * A service's ZooKeeper registration: the child {@code <zk_path>/<instance_id>_} (ZooKeeper appends a
 * 10-digit sequence for the sequential node types) or, with {@code use_path_encoding},
 * {@code <zk_path>/base64_<len>_<b64>_}, holding {@link NerveRegistration#toJson()}. The parent is
 * created (persistent) when missing.
 *
 * <p>Drift repair: a data watch on the node triggers a verification when someone deletes or
 * changes it (while that watch is armed the periodic verification is skipped: {@link #watching});
 * a node that belongs to an older session (after an expiry) is replaced at once. A sequential
 * create that failed with a connection problem may still have happened on the server, so
 * afterwards this session's other children with the same prefix are deleted (no duplicates). With
 * {@code persistent_sequential}, a node left by an earlier run (same prefix, host and port) is
 * adopted instead of adding another.
 */
final class ZooKeeperReporter implements Reporter {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperReporter.class);

    private final String service;
    private final Lease<ZooKeeperEnsemble, ZooKeeperConnection> lease;
    private final ZooKeeperConnection shared;
    private final ConnectionStateListener onConnected;
    private final ReporterTarget.ZooKeeper target;
    private final byte[] data;
    private final NerveRegistration registration;
    private final String prefixName;
    private final Runnable onDrift;
    private final Watcher watcher;
    private volatile String path;
    /** Counts what can take a watch away: watch events, connection state changes, down, reset. */
    private final AtomicLong disarms = new AtomicLong();
    /**
     * The {@link #disarms} count read just before the last call that set the watch and succeeded
     * (-1: none): the watch stands while nothing has been counted since.
     */
    private volatile long armedAt = -1;
    private boolean suspectOrphans;
    private boolean closed;

    ZooKeeperReporter(String service, ZooKeeperClients clients, ReporterTarget.ZooKeeper target,
                      NerveRegistration registration, Runnable onDrift) {
        this.service = requireNonNull(service, "service is null");
        requireNonNull(clients, "clients is null");
        this.target = requireNonNull(target, "target is null");
        this.registration = requireNonNull(registration, "registration is null");
        this.onDrift = requireNonNull(onDrift, "onDrift is null");
        this.data = registration.toJson();
        this.prefixName = target.usePathEncoding()
                ? NerveRegistration.pathEncodedPrefix(data)
                : registration.name() + "_";
        this.watcher = this::onWatch;
        // after every (re)connection, a new session after an expiry included, verify at once
        this.onConnected = (c, state) -> {
            disarms.incrementAndGet(); // a reconnection verifies, which sets the watch again
            if (state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED) {
                onDrift.run();
            }
        };
        this.lease = clients.acquire(target.ensemble());
        this.shared = lease.get();
        shared.addListener(onConnected, Runnable::run);
    }

    /** The shared Curator client (for tests). */
    CuratorFramework client() {
        return shared.client();
    }

    @Override
    public String describe() {
        return target.describe();
    }

    /** The registered node's path, or {@code null}. */
    String path() {
        return path;
    }

    private String parent() {
        return target.path().isEmpty() ? "/" : target.path();
    }

    private String prefixPath() {
        return target.path() + "/" + prefixName;
    }

    /** A watch is armed on the registered node: a deletion or rewrite reaches {@code onDrift} at once. */
    @Override
    public boolean watching() {
        return armedAt == disarms.get();
    }

    private void onWatch(WatchedEvent event) {
        disarms.incrementAndGet();
        String p = path;
        if (p != null && p.equals(event.getPath())
                && (event.getType() == Watcher.Event.EventType.NodeDeleted
                || event.getType() == Watcher.Event.EventType.NodeDataChanged)) {
            onDrift.run();
        }
    }

    @Override
    public synchronized void reportUp() throws Exception {
        CuratorFramework c = shared.client();
        long session = shared.sessionId();
        String current = path;
        if (current != null) {
            Stat stat = new Stat();
            long mark = disarms.get(); // before the call: an event that fires after it counts
            try {
                byte[] existing = c.getData().storingStatIn(stat).usingWatcher(watcher).forPath(current);
                if (!target.nodeType().ephemeral || stat.getEphemeralOwner() == session) {
                    if (Arrays.equals(existing, data)) {
                        armedAt = mark;
                    } else {
                        // our own rewrite fires the watch, and its event asks for the verification that sets it again
                        c.setData().forPath(current, data);
                        log.warn("service {}: {} had other data; rewrote it", service, current);
                    }
                    if (suspectOrphans) {
                        deleteOrphans(c, session);
                    }
                    return;
                }
                log.info("service {}: {} belongs to an expired session; registering again", service, current);
                if (!target.nodeType().sequential) {
                    deleteQuietly(c, current);
                }
            } catch (KeeperException.NoNodeException e) {
                log.warn("service {}: {} disappeared; registering again", service, current);
            }
            path = null;
        }
        if (target.nodeType() == NodeType.PERSISTENT_SEQUENTIAL && adoptPersistent(c)) {
            return;
        }
        String created;
        try {
            created = c.create().creatingParentsIfNeeded().withMode(mode()).forPath(prefixPath(), data);
        } catch (KeeperException.NodeExistsException e) {
            created = takeOver(c, session);
        } catch (Exception e) {
            if (target.nodeType().sequential) {
                suspectOrphans = true;
            }
            throw e;
        }
        path = created;
        arm(c, created);
        log.info("service {}: registered {} in zookeeper {}", service, created, target.connectString());
        if (suspectOrphans) {
            deleteOrphans(c, session);
        }
    }

    /** Sets the watch on the registered node. */
    private void arm(CuratorFramework c, String node) throws Exception {
        long mark = disarms.get(); // before the call: an event that fires after it counts
        c.checkExists().usingWatcher(watcher).forPath(node);
        armedAt = mark;
    }

    /** A non-sequential name that exists already: ours from this session or a persistent one is reused; an old session's is replaced. */
    private String takeOver(CuratorFramework c, long session) throws Exception {
        String name = prefixPath();
        Stat stat = c.checkExists().forPath(name);
        if (stat != null && (!target.nodeType().ephemeral || stat.getEphemeralOwner() == session)) {
            c.setData().forPath(name, data);
            return name;
        }
        if (stat != null) {
            log.info("service {}: {} is left from an earlier session; replacing it", service, name);
            deleteQuietly(c, name);
        }
        return c.create().creatingParentsIfNeeded().withMode(mode()).forPath(name, data);
    }

    private boolean adoptPersistent(CuratorFramework c) throws Exception {
        List<String> mine = ownChildren(c);
        String adopted = null;
        for (String full : mine) {
            byte[] existing;
            try {
                existing = c.getData().forPath(full);
            } catch (KeeperException.NoNodeException e) {
                continue;
            }
            if (!sameAddress(existing)) {
                continue;
            }
            if (adopted == null) {
                adopted = full;
                if (!Arrays.equals(existing, data)) {
                    c.setData().forPath(full, data);
                }
            } else {
                deleteQuietly(c, full);
            }
        }
        if (adopted != null) {
            path = adopted;
            arm(c, adopted);
            log.info("service {}: adopted persistent node {}", service, adopted);
            return true;
        }
        return false;
    }

    private boolean sameAddress(byte[] json) {
        try {
            NerveRegistration other = NerveRegistration.parse(json);
            return other.host().equals(registration.host()) && other.port() == registration.port();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Full paths of the parent's children that carry this service's prefix (and a sequence, when sequential). */
    private List<String> ownChildren(CuratorFramework c) throws Exception {
        List<String> children;
        try {
            children = c.getChildren().forPath(parent());
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
        return children.stream()
                .filter(child -> child.startsWith(prefixName))
                .filter(child -> {
                    String rest = child.substring(prefixName.length());
                    return target.nodeType().sequential ? rest.matches("[0-9]{10,}") : rest.isEmpty();
                })
                .map(child -> target.path() + "/" + child)
                .toList();
    }

    /** Deletes this session's duplicates (from a create whose reply was lost). */
    private void deleteOrphans(CuratorFramework c, long session) throws Exception {
        for (String full : ownChildren(c)) {
            if (full.equals(path)) {
                continue;
            }
            Stat stat = c.checkExists().forPath(full);
            if (stat != null && stat.getEphemeralOwner() == session && session != 0) {
                deleteQuietly(c, full);
                log.info("service {}: deleted duplicate registration {}", service, full);
            }
        }
        suspectOrphans = false;
    }

    private static void deleteQuietly(CuratorFramework c, String full) throws Exception {
        try {
            c.delete().forPath(full);
        } catch (KeeperException.NoNodeException e) {
            // already gone
        }
    }

    @Override
    public synchronized void reportDown() throws Exception {
        disarms.incrementAndGet();
        CuratorFramework c = shared.client();
        String current = path;
        if (current != null) {
            deleteQuietly(c, current);
            path = null;
            log.info("service {}: deregistered {} from zookeeper {}", service, current, target.connectString());
        }
        if (suspectOrphans) {
            deleteOrphans(c, shared.sessionId());
        }
        if (target.nodeType() == NodeType.PERSISTENT_SEQUENTIAL || target.nodeType() == NodeType.PERSISTENT) {
            for (String full : ownChildren(c)) {
                byte[] existing;
                try {
                    existing = c.getData().forPath(full);
                } catch (KeeperException.NoNodeException e) {
                    continue;
                }
                if (sameAddress(existing)) {
                    deleteQuietly(c, full);
                    log.info("service {}: deleted persistent registration {}", service, full);
                }
            }
        }
    }

    @Override
    public synchronized void reset() {
        disarms.incrementAndGet();
        // the node (if any) is re-read on the next report; a lost create may have left duplicates
        suspectOrphans = target.nodeType().sequential;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            shared.removeListener(onConnected);
        }
        try {
            String current = path;
            if (current != null && shared.client().getZookeeperClient().isConnected()) {
                shared.client().delete().forPath(current);
                log.info("service {}: deregistered {} from zookeeper {}", service, current, target.connectString());
            }
        } catch (KeeperException.NoNodeException e) {
            // already gone
        } catch (Exception e) {
            log.warn("service {}: could not delete {} ({}); it goes with the session", service, path, Check.reason(e));
        } finally {
            path = null;
            lease.close();
        }
    }

    private CreateMode mode() {
        return switch (target.nodeType()) {
            case EPHEMERAL_SEQUENTIAL -> CreateMode.EPHEMERAL_SEQUENTIAL;
            case EPHEMERAL -> CreateMode.EPHEMERAL;
            case PERSISTENT -> CreateMode.PERSISTENT;
            case PERSISTENT_SEQUENTIAL -> CreateMode.PERSISTENT_SEQUENTIAL;
        };
    }
}
