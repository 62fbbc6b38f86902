package io.synapse.common.zookeeper;

import io.synapse.common.concurrent.SharedResources.Lease;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class ZooKeeperClientsTest {
    private static final ZooKeeperClientSettings FAIL_FAST = new ZooKeeperClientSettings(Duration.ofSeconds(8),
            Duration.ofSeconds(2), false, Duration.ofMillis(300), "test-zookeeper");
    private static TestingServer server;
    private final ZooKeeperClients clients = new ZooKeeperClients(FAIL_FAST, state -> null);

    @BeforeAll
    static void startServer() throws Exception {
        server = new TestingServer(true);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @AfterEach
    void closeClients() {
        clients.close();
    }

    @Test
    void oneConnectionPerEnsembleWhateverTheHostOrder() throws Exception {
        String host = server.getConnectString();
        Lease<ZooKeeperEnsemble, ZooKeeperConnection> a = clients.acquire(ZooKeeperEnsemble.of(List.of(host), null));
        Lease<ZooKeeperEnsemble, ZooKeeperConnection> b = clients.acquire(ZooKeeperEnsemble.of(host + "," + host.toUpperCase()));
        assertThat(b.get()).isSameAs(a.get());
        List<ConnectionState> states = new CopyOnWriteArrayList<>();
        a.get().addListener((c, s) -> states.add(s));
        a.get().client().blockUntilConnected();
        assertThat(a.get().sessionId()).isNotZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> a.get().lastState() == ConnectionState.CONNECTED);
        assertThat(a.get().executor().submit(() -> Thread.currentThread().getName()).get()).isEqualTo("test-zookeeper-1");
        a.close();
        assertThat(clients.size()).isEqualTo(1);
        CuratorFramework client = b.get().client();
        b.close();
        assertThat(clients.size()).isZero();
        assertThat(client.getState()).hasToString("STOPPED");
        assertThat(clients.created()).isEqualTo(1);
    }

    @Test
    void digestAuthenticationOpensWhatItsAclGuards() throws Exception {
        String digest = DigestAuthenticationProvider.generateDigest("nerve:secret");
        List<ACL> onlyNerve = List.of(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest)));
        ZooKeeperEnsemble withAuth = ZooKeeperEnsemble.of(List.of(server.getConnectString()), new ZooKeeperAuth("digest", "nerve:secret"));
        try (Lease<ZooKeeperEnsemble, ZooKeeperConnection> nerve = clients.acquire(withAuth);
             Lease<ZooKeeperEnsemble, ZooKeeperConnection> anonymous = clients.acquire(ZooKeeperEnsemble.of(server.getConnectString()))) {
            assertThat(nerve.get()).isNotSameAs(anonymous.get());
            nerve.get().client().blockUntilConnected();
            anonymous.get().client().blockUntilConnected();
            nerve.get().client().create().withACL(onlyNerve).forPath("/guarded");
            nerve.get().client().create().forPath("/guarded/child", new byte[] {1});
            assertThat(nerve.get().client().getData().forPath("/guarded/child")).containsExactly(1);
            assertThatThrownBy(() -> anonymous.get().client().create().forPath("/guarded/other"))
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }
    }

    @Test
    void failFastClientsFailWhileTheEnsembleIsUnreachable() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        try (Lease<ZooKeeperEnsemble, ZooKeeperConnection> lease = clients.acquire(ZooKeeperEnsemble.of("127.0.0.1:" + port))) {
            assertThat(lease.get().isConnected()).isFalse();
            assertThatThrownBy(() -> lease.get().client().checkExists().forPath("/"))
                    .isInstanceOf(KeeperException.ConnectionLossException.class);
        }
    }

    @Test
    void closeEndsEverySessionEvenWithUsersLeft() throws Exception {
        Lease<ZooKeeperEnsemble, ZooKeeperConnection> lease = clients.acquire(ZooKeeperEnsemble.of(server.getConnectString()));
        lease.get().client().blockUntilConnected();
        clients.close();
        assertThat(lease.get().client().getState()).hasToString("STOPPED");
        lease.close();
        assertThatThrownBy(() -> clients.acquire(ZooKeeperEnsemble.of(server.getConnectString())))
                .hasMessage("the ZooKeeper connection pool is closed");
    }
}
