package io.synapse.nerve;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

import static java.util.Objects.requireNonNull;

/**
 * One Curator client per distinct {@code zk_hosts}, shared by every service that uses it and closed
 * when the last one is released. Operations fail fast (no Curator retries: the reporters retry with
 * their own backoff). After every (re)connection - including a new session after an expiry - all
 * reporters on the client are told to verify, so lost ephemeral nodes are re-created at once.
 */
final class ZooKeeperClients implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperClients.class);

    static final int SESSION_TIMEOUT_MS = 10_000;
    static final int CONNECTION_TIMEOUT_MS = 2_000;

    private final Map<String, Shared> clients = new HashMap<>();

    /** A shared client and the reporters to notify when it reconnects. */
    static final class Shared {
        final String connectString;
        final CuratorFramework client;
        final Set<Runnable> onReconnect = new CopyOnWriteArraySet<>();
        int references;

        Shared(String connectString, CuratorFramework client) {
            this.connectString = connectString;
            this.client = client;
        }

        /** The current session id, or 0 when there is none. */
        long sessionId() throws Exception {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        }
    }

    synchronized Shared acquire(String connectString) {
        requireNonNull(connectString, "connectString is null");
        Shared shared = clients.get(connectString);
        if (shared == null) {
            CuratorFramework client = CuratorFrameworkFactory.builder()
                    .connectString(connectString)
                    .sessionTimeoutMs(SESSION_TIMEOUT_MS)
                    .connectionTimeoutMs(CONNECTION_TIMEOUT_MS)
                    .waitForShutdownTimeoutMs(300)
                    .ensembleTracker(false)
                    .retryPolicy(new RetryNTimes(0, 0))
                    .build();
            Shared created = new Shared(connectString, client);
            client.getConnectionStateListenable().addListener((c, state) -> onStateChange(created, state));
            client.start();
            shared = created;
            clients.put(connectString, shared);
            log.info("zookeeper {}: connecting", connectString);
        }
        shared.references++;
        return shared;
    }

    synchronized void release(Shared shared) {
        if (--shared.references <= 0 && clients.remove(shared.connectString, shared)) {
            log.info("zookeeper {}: no services left, closing", shared.connectString);
            shared.client.close();
        }
    }

    private static void onStateChange(Shared shared, ConnectionState state) {
        switch (state) {
            case CONNECTED -> log.info("zookeeper {}: connected", shared.connectString);
            case RECONNECTED -> log.info("zookeeper {}: reconnected; verifying {} registrations",
                    shared.connectString, shared.onReconnect.size());
            case SUSPENDED -> log.warn("zookeeper {}: connection suspended", shared.connectString);
            case LOST -> log.warn("zookeeper {}: session lost; registrations will be re-created on reconnect",
                    shared.connectString);
            default -> log.info("zookeeper {}: {}", shared.connectString, state);
        }
        if (state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED) {
            for (Runnable r : shared.onReconnect) {
                r.run();
            }
        }
    }

    @Override
    public void close() {
        List<Shared> all;
        synchronized (this) {
            all = new ArrayList<>(clients.values());
            clients.clear();
        }
        for (Shared s : all) {
            s.client.close();
        }
    }
}
