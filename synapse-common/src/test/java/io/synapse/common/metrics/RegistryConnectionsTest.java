package io.synapse.common.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.zookeeper.ZooKeeperClientSettings;
import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperConnection;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class RegistryConnectionsTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void addRegistry() {
        Metrics.globalRegistry.add(meters);
    }

    @AfterEach
    void removeRegistry() {
        Metrics.globalRegistry.remove(meters);
    }

    private Gauge gauge(String daemon, String registry, String connection) {
        return meters.find(daemon + ".registry.connected").tags("registry", registry, "connection", connection).gauge();
    }

    @Test
    void theGaugeFollowsARealZooKeeperSession() throws Exception {
        TestingServer zk = new TestingServer(true);
        int port = zk.getPort();
        ZooKeeperClients clients = new ZooKeeperClients(new ZooKeeperClientSettings(Duration.ofSeconds(5), Duration.ofSeconds(2), false,
                Duration.ofMillis(300), "test-zk"), state -> null, "nerve");
        try {
            ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.of(zk.getConnectString());
            Lease<ZooKeeperEnsemble, ZooKeeperConnection> lease = clients.acquire(ensemble);
            String connection = ensemble.connectString();
            await().atMost(Duration.ofSeconds(20)).until(() -> gauge("nerve", "zookeeper", connection).value() == 1.0);
            await().atMost(Duration.ofSeconds(20)).until(() -> RegistryConnections.list("nerve").contains(
                    new RegistryConnections.Connection("nerve", "zookeeper", connection, true, "CONNECTED")));
            assertThat(RegistryConnections.list("synapse")).isEmpty();

            zk.stop();
            await().atMost(Duration.ofSeconds(20)).until(() -> gauge("nerve", "zookeeper", connection).value() == 0.0);
            // the state name comes from Curator's listener, a moment after the connection itself
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(RegistryConnections.list("nerve")).singleElement()
                    .satisfies(c -> assertThat(c.state()).isIn("SUSPENDED", "LOST")));

            zk = new TestingServer(port, true);
            await().atMost(Duration.ofSeconds(30)).until(() -> gauge("nerve", "zookeeper", connection).value() == 1.0);

            lease.close();
            assertThat(gauge("nerve", "zookeeper", connection)).isNull();
            assertThat(RegistryConnections.list("nerve")).isEmpty();
        } finally {
            clients.close();
            zk.close();
        }
    }

    @Test
    void twoPoolsOnOneConnectionShareOneGaugeThatIsUpWhileEitherIs() {
        AtomicBoolean a = new AtomicBoolean(false);
        AtomicBoolean b = new AtomicBoolean(true);
        RegistryConnections.Registration first = RegistryConnections.register("synapse", "etcd", "http://127.0.0.1:2379", a::get, () -> "A");
        RegistryConnections.Registration second = RegistryConnections.register("synapse", "etcd", "http://127.0.0.1:2379", b::get, () -> "B");
        Gauge g = gauge("synapse", "etcd", "http://127.0.0.1:2379");
        assertThat(g.value()).isEqualTo(1.0);
        assertThat(RegistryConnections.list("synapse")).containsExactly(
                new RegistryConnections.Connection("synapse", "etcd", "http://127.0.0.1:2379", true, "B"));
        b.set(false);
        assertThat(g.value()).isEqualTo(0.0);
        second.close();
        second.close();
        assertThat(gauge("synapse", "etcd", "http://127.0.0.1:2379")).isNotNull();
        a.set(true);
        assertThat(gauge("synapse", "etcd", "http://127.0.0.1:2379").value()).isEqualTo(1.0);
        first.close();
        assertThat(gauge("synapse", "etcd", "http://127.0.0.1:2379")).isNull();
        assertThat(RegistryConnections.list("synapse")).isEmpty();
    }
}
