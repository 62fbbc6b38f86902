package io.synapse.zookeeper;

import io.synapse.common.zookeeper.ZooKeeperClientSettings;
import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperConnection;
import io.synapse.spi.ServiceWatcher;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.synapse.zookeeper.Zk.json;
import static io.synapse.zookeeper.Zk.nerve;
import static io.synapse.zookeeper.Zk.register;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A 3-member ensemble losing the member the watcher is connected to. */
class ZookeeperClusterTest {
    static {
        Zk.init();
    }

    @Test
    void keepsBackendsWhenItsMemberDiesAndFollowsTheRest() throws Exception {
        ZooKeeperClients ensembles = ZookeeperWatcherFactory.clients(Zk.CLIENT);
        try (TestingCluster cluster = new TestingCluster(Zk.spec(-1, 1), Zk.spec(-1, 2), Zk.spec(-1, 3))) {
            cluster.start();
            String path = Zk.path("cluster");
            try (CuratorFramework admin = Zk.admin(cluster.getConnectString())) {
                String first = register(admin, path, "i-1", nerve("10.2.0.1", 80, "i-1"));
                register(admin, path, "i-2", nerve("10.2.0.2", 80, "i-2"));
                RecordingListener listener = new RecordingListener();
                ServiceWatcher watcher = Zk.watch(ensembles, "api", Zk.config(cluster.getConnectString(), path), listener);
                try {
                    await().until(() -> listener.addresses().equals(List.of("10.2.0.1:80", "10.2.0.2:80")));
                    ZooKeeperConnection ensemble = ensembles.find(Settings.resolve(
                            Zk.config(cluster.getConnectString(), path), false).ensemble()).orElseThrow();
                    InstanceSpec member = cluster.findConnectionInstance(ensemble.client().getZookeeperClient().getZooKeeper());
                    assertThat(member).isNotNull();

                    assertThat(cluster.killServer(member)).isTrue();
                    // changes while the watcher's member is dead and the watcher moves to another one
                    admin.delete().forPath(first);
                    register(admin, path, "i-3", nerve("10.2.0.3", 80, "i-3"));
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> listener.addresses().equals(List.of("10.2.0.2:80", "10.2.0.3:80")));
                    assertThat(listener.failures).isNotEmpty(); // its member died: noticed, and recovered from

                    assertThat(cluster.restartServer(member)).isTrue();
                    register(admin, path, "i-4", nerve("10.2.0.4", 80, "i-4"));
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> listener.addresses().equals(List.of("10.2.0.2:80", "10.2.0.3:80", "10.2.0.4:80")));
                    assertThat(listener.emptiedAfterFirstBackends()).isFalse();
                } finally {
                    watcher.close();
                }
            }
        }
        assertThat(ensembles.size()).isZero();
    }

    /**
     * The session outlives the member: its watches survive, so the watcher reads only what changed
     * while it moved (the new child, the child whose data changed) and lists once more; the
     * unchanged child is not read again.
     */
    @Test
    void aDeadMemberCostsOnlyReadsOfWhatChanged() throws Exception {
        // ticks of 1 s allow a 15 s session, ample for moving to another member on a loaded machine
        ZooKeeperClients ensembles = ZookeeperWatcherFactory.clients(new ZooKeeperClientSettings(
                Duration.ofSeconds(15), Duration.ofMillis(1_500), true, null, "test-zookeeper"));
        InstanceSpec[] specs = new InstanceSpec[3];
        for (int i = 0; i < 3; i++) {
            specs[i] = new InstanceSpec(null, -1, -1, -1, true, i + 1, 1_000, -1);
        }
        try (TestingCluster cluster = new TestingCluster(specs)) {
            cluster.start();
            String path = Zk.path("moved");
            try (CuratorFramework admin = Zk.admin(cluster.getConnectString())) {
                String first = register(admin, path, "i-1", nerve("10.2.1.1", 80, "i-1"));
                String second = register(admin, path, "i-2", nerve("10.2.1.2", 80, "i-2"));
                String third = register(admin, path, "i-3", nerve("10.2.1.3", 80, "i-3"));
                RecordingListener listener = new RecordingListener();
                ServiceWatcher watcher = Zk.watch(ensembles, "api", Zk.config(cluster.getConnectString(), path), listener);
                try {
                    await().until(() -> listener.addresses().equals(List.of("10.2.1.1:80", "10.2.1.2:80", "10.2.1.3:80")));
                    ZooKeeperConnection ensemble = ensembles.find(Settings.resolve(
                            Zk.config(cluster.getConnectString(), path), false).ensemble()).orElseThrow();
                    long session = ensemble.sessionId();
                    Reads reads = Reads.on(ensemble);
                    InstanceSpec member = cluster.findConnectionInstance(ensemble.client().getZookeeperClient().getZooKeeper());

                    assertThat(cluster.killServer(member)).isTrue();
                    await().until(() -> !listener.failures.isEmpty());
                    admin.delete().forPath(first);
                    String fourth = register(admin, path, "i-4", nerve("10.2.1.4", 80, "i-4"));
                    admin.setData().forPath(second, json("{\"host\": \"10.2.1.2\", \"port\": 81, \"name\": \"i-2\"}"));

                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> listener.addresses().equals(List.of("10.2.1.2:81", "10.2.1.3:80", "10.2.1.4:80")));
                    assertThat(ensemble.sessionId()).isEqualTo(session);
                    assertThat(reads.paths("GetData")).doesNotContain(third).contains(second, fourth)
                            .allMatch(p -> p.equals(second) || p.equals(fourth) || p.equals(path));
                    assertThat(reads.count("GetChildren")).isBetween(1L, 3L);
                    assertThat(listener.emptiedAfterFirstBackends()).isFalse();
                } finally {
                    watcher.close();
                }
            }
        }
        assertThat(ensembles.size()).isZero();
    }
}
