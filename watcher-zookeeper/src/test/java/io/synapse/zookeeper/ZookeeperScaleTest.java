package io.synapse.zookeeper;

import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperConnection;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static io.synapse.zookeeper.Zk.nerve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ZookeeperScaleTest {
    static {
        Zk.init();
    }

    private static TestingServer server;
    private static CuratorFramework admin;

    @BeforeAll
    static void start() throws Exception {
        server = Zk.server();
        admin = Zk.admin(server.getConnectString());
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        server.close();
    }

    /** Creates {@code count} nerve children under {@code path} in a few transactions. */
    static void populate(CuratorFramework admin, String path, int count, int firstOctet) throws Exception {
        admin.create().creatingParentsIfNeeded().forPath(path, new byte[0]);
        List<CuratorOp> ops = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = "i-" + i;
            ops.add(admin.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                    .forPath(path + "/" + name + "_", nerve("10." + firstOctet + "." + (i / 250) + "." + (i % 250 + 1), 8080, name)));
            if (ops.size() == 500) {
                admin.transaction().forOperations(ops);
                ops.clear();
            }
        }
        if (!ops.isEmpty()) {
            admin.transaction().forOperations(ops);
        }
    }

    @Test
    void watchesAThousandChildren() throws Exception {
        String path = Zk.path("thousand");
        populate(admin, path, 1000, 3);
        ZooKeeperClients ensembles = ZookeeperWatcherFactory.clients(Zk.CLIENT);
        RecordingListener listener = new RecordingListener();
        ServiceWatcher watcher = Zk.watch(ensembles, "big", Zk.config(server.getConnectString(), path), listener);
        try {
            await().until(() -> listener.latest() != null);
            assertThat(listener.snapshots).hasSize(1); // one complete snapshot, no partial ones
            assertThat(listener.latest()).hasSize(1000);
            assertThat(listener.latest()).isSortedAccordingTo(Comparator.comparing(Backend::id));
            assertThat(listener.latest().stream().map(Backend::identity).distinct()).hasSize(1000);

            List<String> children = admin.getChildren().forPath(path);
            children.sort(Comparator.naturalOrder());
            List<CuratorOp> deletes = new ArrayList<>();
            for (String child : children.subList(0, 500)) {
                deletes.add(admin.transactionOp().delete().forPath(path + "/" + child));
            }
            admin.transaction().forOperations(deletes);
            await().until(() -> listener.latest().size() == 500);
            admin.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(path + "/i-new_", nerve("10.3.9.9", 8080, "i-new"));
            await().until(() -> listener.latest().size() == 501);
            assertThat(listener.latest().get(500).host()).isEqualTo("10.3.9.9");
            assertThat(listener.emptiedAfterFirstBackends()).isFalse();
        } finally {
            watcher.close();
        }
    }

    @Test
    void twoHundredServicesShareOneConnection() throws Exception {
        int services = 200;
        String root = Zk.path("many");
        for (int s = 0; s < services; s++) {
            populate(admin, root + "/svc" + s, 5, 4);
        }
        ZooKeeperClients ensembles = ZookeeperWatcherFactory.clients(Zk.CLIENT);
        String port = String.valueOf(server.getPort());
        List<RecordingListener> listeners = new ArrayList<>();
        List<ServiceWatcher> watchers = new ArrayList<>();
        try {
            for (int s = 0; s < services; s++) {
                // the same ensemble, spelled three ways
                List<String> hosts = switch (s % 3) {
                    case 0 -> List.of("127.0.0.1:" + port);
                    case 1 -> List.of("127.0.0.1:" + port, "127.0.0.1:" + port);
                    default -> List.of(" 127.0.0.1:" + port + " ");
                };
                RecordingListener listener = new RecordingListener();
                listeners.add(listener);
                watchers.add(Zk.watch(ensembles, "svc" + s,
                        new ZookeeperConfig(hosts, root + "/svc" + s, null, null, null, null, null, null, null), listener));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> listeners.stream().allMatch(l -> l.addresses().size() == 5));
            assertThat(ensembles.size()).isEqualTo(1);
            assertThat(ensembles.created()).isEqualTo(1);
            ZooKeeperConnection ensemble = ensembles.find(ZooKeeperEnsemble.of("127.0.0.1:" + port)).orElse(null);
            assertThat(ensemble).isNotNull();

            // a change to one service reaches only that service
            admin.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(root + "/svc7/i-x_", nerve("10.4.9.9", 80, "i-x"));
            await().until(() -> listeners.get(7).addresses().size() == 6);
            assertThat(listeners.get(8).snapshots).hasSize(1);

            for (int s = 0; s < services - 1; s++) {
                watchers.get(s).close();
            }
            assertThat(ensembles.size()).isEqualTo(1);
            assertThat(ensemble.client().getState()).isEqualTo(CuratorFrameworkState.STARTED);
            // the last one still works after the others left
            admin.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(root + "/svc199/i-y_", nerve("10.4.9.8", 80, "i-y"));
            await().until(() -> listeners.get(199).addresses().size() == 6);
            watchers.get(services - 1).close();
            assertThat(ensembles.size()).isZero();
            assertThat(ensemble.client().getState()).isEqualTo(CuratorFrameworkState.STOPPED);
        } finally {
            watchers.forEach(ServiceWatcher::close);
        }
    }
}
