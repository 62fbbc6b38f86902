package io.synapse.zookeeper;

import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperConnection;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.testing.FreePorts;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.synapse.zookeeper.Zk.nerve;
import static io.synapse.zookeeper.Zk.register;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** ZooKeeper going away: the last good backends stay, and the set is exact again afterwards. */
class ZookeeperOutageTest {
    static {
        Zk.init();
    }

    private ZooKeeperClients ensembles = ZookeeperWatcherFactory.clients(Zk.CLIENT);
    private TestingServer server;
    private CuratorFramework admin;
    private ServiceWatcher watcher;

    @AfterEach
    void tearDown() throws Exception {
        if (watcher != null) {
            watcher.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.close();
        }
        assertThat(ensembles.size()).isZero();
    }

    private RecordingListener startWatching(String path) {
        RecordingListener listener = new RecordingListener();
        watcher = Zk.watch(ensembles, "api", Zk.config(server.getConnectString(), path), listener);
        return listener;
    }

    private List<ConnectionState> recordStates() {
        List<ConnectionState> states = new CopyOnWriteArrayList<>();
        ZooKeeperConnection ensemble = ensembles.find(ZooKeeperEnsemble.of(server.getConnectString())).orElse(null);
        ensemble.client().getConnectionStateListenable().addListener((c, s) -> states.add(s));
        return states;
    }

    private static List<String> addresses(List<Backend> backends) {
        return backends.stream().map(Backend::address).toList();
    }

    @Test
    void keepsBackendsWhileTheServerIsDownAndResyncsAfterARestart() throws Exception {
        server = Zk.server();
        admin = Zk.admin(server.getConnectString());
        String path = Zk.path("restart");
        register(admin, path, "i-1", nerve("10.1.0.1", 80, "i-1"));
        String second = register(admin, path, "i-2", nerve("10.1.0.2", 80, "i-2"));
        RecordingListener listener = startWatching(path);
        await().until(() -> listener.addresses().equals(List.of("10.1.0.1:80", "10.1.0.2:80")));
        int published = listener.snapshots.size();

        server.stop();
        await().until(() -> listener.failures.size() == 1);
        assertThat(listener.failures.get(0)).contains("connection lost while watching " + path);
        // a while later: still quiet, nothing published
        await().pollDelay(Duration.ofMillis(500)).until(() -> true);
        assertThat(listener.snapshots).hasSize(published);

        server.restart();
        // the re-sync publishes the (unchanged) fresh set once
        await().until(() -> listener.snapshots.size() == published + 1);
        assertThat(listener.addresses()).containsExactly("10.1.0.1:80", "10.1.0.2:80");

        // watches work again
        admin.delete().forPath(second);
        register(admin, path, "i-3", nerve("10.1.0.3", 80, "i-3"));
        await().until(() -> listener.addresses().equals(List.of("10.1.0.1:80", "10.1.0.3:80")));
        assertThat(listener.failures).hasSize(1);
        assertThat(listener.emptiedAfterFirstBackends()).isFalse();
    }

    @Test
    void resyncsAfterSessionExpiry() throws Exception {
        server = Zk.server();
        admin = Zk.admin(server.getConnectString());
        String path = Zk.path("expiry");
        String first = register(admin, path, "i-1", nerve("10.1.1.1", 80, "i-1"));
        RecordingListener listener = startWatching(path);
        await().until(() -> listener.addresses().equals(List.of("10.1.1.1:80")));
        List<ConnectionState> states = recordStates();
        ZooKeeperConnection ensemble = ensembles.find(ZooKeeperEnsemble.of(server.getConnectString())).orElse(null);
        long oldSession = ensemble.client().getZookeeperClient().getZooKeeper().getSessionId();

        KillSession.kill(ensemble.client().getZookeeperClient().getZooKeeper());
        await().until(() -> states.contains(ConnectionState.RECONNECTED));
        assertThat(states).contains(ConnectionState.LOST);
        assertThat(ensemble.client().getZookeeperClient().getZooKeeper().getSessionId()).isNotEqualTo(oldSession);
        await().until(() -> listener.failures.size() == 1 && listener.snapshots.size() == 2);
        assertThat(listener.failures.get(0)).contains("session lost while watching " + path);

        // the watches of the new session see changes (registered first: the registry never empties)
        register(admin, path, "i-2", nerve("10.1.1.2", 80, "i-2"));
        admin.delete().forPath(first);
        await().until(() -> listener.addresses().equals(List.of("10.1.1.2:80")));
        assertThat(listener.failures).hasSize(1);
        assertThat(listener.emptiedAfterFirstBackends()).isFalse();
    }

    @Test
    void survivesAnOutageLongerThanTheSession() throws Exception {
        server = Zk.server();
        admin = Zk.admin(server.getConnectString());
        String path = Zk.path("long");
        register(admin, path, "i-1", nerve("10.1.2.1", 80, "i-1"));
        ensembles = ZookeeperWatcherFactory.clients(Zk.SHORT_SESSION);
        RecordingListener listener = startWatching(path);
        await().until(() -> listener.addresses().equals(List.of("10.1.2.1:80")));
        List<ConnectionState> states = recordStates();

        server.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> states.contains(ConnectionState.LOST));
        assertThat(listener.failures).hasSize(1);
        assertThat(listener.snapshots).hasSize(1);

        server.restart();
        await().until(() -> listener.snapshots.size() == 2);
        assertThat(listener.addresses()).containsExactly("10.1.2.1:80");
        register(admin, path, "i-2", nerve("10.1.2.2", 80, "i-2"));
        await().until(() -> listener.addresses().equals(List.of("10.1.2.1:80", "10.1.2.2:80")));
        assertThat(listener.failures).hasSize(1);
        assertThat(listener.emptiedAfterFirstBackends()).isFalse();
    }

    @Test
    void reportsAnUnreachableEnsembleAndRecoversWhenItComesUp() throws Exception {
        int port = FreePorts.next();
        String connectString = "127.0.0.1:" + port;
        String path = Zk.path("unreachable");
        RecordingListener listener = new RecordingListener();
        watcher = Zk.watch(ensembles, "api", Zk.config(connectString, path), listener);

        await().until(() -> listener.failures.size() == 1);
        assertThat(listener.failures.get(0)).startsWith("cannot connect to ZooKeeper " + connectString + " to read " + path);
        assertThat(listener.snapshots).isEmpty();

        server = Zk.server(port);
        admin = Zk.admin(connectString);
        register(admin, path, "i-1", nerve("10.1.3.1", 80, "i-1"));
        await().atMost(Duration.ofSeconds(30)).until(() -> listener.addresses().equals(List.of("10.1.3.1:80")));
        assertThat(listener.failures).hasSize(1);
        // the watcher may read the path before the registration lands (an empty set), never anything else
        assertThat(listener.snapshots).allSatisfy(s -> assertThat(addresses(s)).isSubsetOf("10.1.3.1:80"));
    }

    /**
     * A lost session loses its watches: everything is read again on the new session, but only after
     * the drawn {@code resync_jitter} delay (here always the whole of it), so that a fleet whose
     * sessions expired together does not read together.
     */
    @Test
    void rereadsALostSessionAfterTheResyncJitter() throws Exception {
        server = Zk.server();
        admin = Zk.admin(server.getConnectString());
        String path = Zk.path("jitter");
        String first = register(admin, path, "i-1", nerve("10.1.4.1", 80, "i-1"));
        String second = register(admin, path, "i-2", nerve("10.1.4.2", 80, "i-2"));
        RecordingListener listener = new RecordingListener();
        ZookeeperConfig config = new ZookeeperConfig(List.of(server.getConnectString()), path, null, null, null, null, null, null, 2.0);
        watcher = new ZookeeperWatcher(new WatcherContext("api", "services.api.discovery"), Settings.resolve(config, false),
                listener, ensembles, jitter -> jitter);
        watcher.start();
        await().until(() -> listener.addresses().equals(List.of("10.1.4.1:80", "10.1.4.2:80")));
        List<ConnectionState> states = recordStates();
        ZooKeeperConnection ensemble = ensembles.find(ZooKeeperEnsemble.of(server.getConnectString())).orElseThrow();
        Reads reads = Reads.on(ensemble);

        KillSession.kill(ensemble.client().getZookeeperClient().getZooKeeper());
        await().until(() -> states.contains(ConnectionState.RECONNECTED));
        assertThat(states).contains(ConnectionState.LOST);
        // within the 2 s delay nothing is read...
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofMillis(1_500)).until(() -> reads.count("GetData") == 0);
        assertThat(listener.snapshots).hasSize(1);
        // ...then everything, on the new session, and the fresh set is published once
        await().until(() -> listener.snapshots.size() == 2);
        assertThat(reads.paths("GetData")).contains(first, second);
        assertThat(listener.addresses()).containsExactly("10.1.4.1:80", "10.1.4.2:80");
        assertThat(listener.failures).containsExactly("ZooKeeper " + server.getConnectString() + ": session lost while watching " + path);
    }
}
