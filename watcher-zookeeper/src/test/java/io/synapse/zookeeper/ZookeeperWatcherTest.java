package io.synapse.zookeeper;

import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperConnection;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.synapse.zookeeper.Zk.json;
import static io.synapse.zookeeper.Zk.nerve;
import static io.synapse.zookeeper.Zk.register;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ZookeeperWatcherTest {
    static {
        Zk.init();
    }

    private static TestingServer server;
    private static CuratorFramework admin;
    private ZooKeeperClients ensembles;
    private final List<ServiceWatcher> watchers = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = Zk.server();
        admin = Zk.admin(server.getConnectString());
    }

    @AfterAll
    static void stopServer() throws Exception {
        admin.close();
        server.close();
    }

    @AfterEach
    void closeWatchers() {
        watchers.forEach(ServiceWatcher::close);
        if (ensembles != null) {
            assertThat(ensembles.size()).isZero();
        }
    }

    private RecordingListener watch(ZookeeperConfig config) {
        RecordingListener listener = new RecordingListener();
        if (ensembles == null) {
            ensembles = ZookeeperWatcherFactory.clients(Zk.CLIENT);
        }
        watchers.add(Zk.watch(ensembles, "api", config, listener));
        return listener;
    }

    private static ZookeeperConfig config(String path) {
        return Zk.config(server.getConnectString(), path);
    }

    @Test
    void followsNerveRegistrations() throws Exception {
        String path = Zk.path("nerve");
        String a = register(admin, path, "i-a", nerve("10.0.0.1", 8080, "i-a"));
        String b = register(admin, path, "i-b", nerve("10.0.0.2", 8080, "i-b"));
        RecordingListener listener = watch(config(path));

        await().until(() -> listener.addresses().equals(List.of("10.0.0.1:8080", "10.0.0.2:8080")));
        assertThat(listener.latest()).extracting(Backend::name).containsExactly("i-a", "i-b");
        assertThat(listener.latest()).extracting(Backend::id)
                .containsExactly(NerveRegistration.sequenceOf(a), NerveRegistration.sequenceOf(b));

        admin.setData().forPath(a, NerveRegistration.of("10.0.0.1", 9090, "i-a").toJson());
        await().until(() -> listener.addresses().equals(List.of("10.0.0.1:9090", "10.0.0.2:8080")));

        admin.delete().forPath(b);
        await().until(() -> listener.addresses().equals(List.of("10.0.0.1:9090")));

        register(admin, path, "i-c", nerve("10.0.0.3", 8080, "i-c"));
        await().until(() -> listener.addresses().equals(List.of("10.0.0.1:9090", "10.0.0.3:8080")));

        admin.delete().forPath(a);
        await().until(() -> listener.addresses().equals(List.of("10.0.0.3:8080")));
        assertThat(listener.failures).isEmpty();
        // every snapshot differs from the one before: no redundant publications
        for (int i = 1; i < listener.snapshots.size(); i++) {
            assertThat(listener.snapshots.get(i)).isNotEqualTo(listener.snapshots.get(i - 1));
        }
    }

    @Test
    void decodesPathEncodedChildrenFromTheirNames() throws Exception {
        String path = Zk.path("encoded");
        byte[] registration = NerveRegistration.of("10.0.1.1", 3000, "i-enc").toJson();
        // the data is not a registration at all: only the name can give this backend
        String encoded = admin.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                .forPath(path + "/" + NerveRegistration.pathEncodedPrefix(registration), json("ignored"));
        // a name that looks path-encoded but is not decodable falls back to the data
        admin.create().forPath(path + "/base64_8_bm90IGpzb24=_0000000099", nerve("10.0.1.2", 3000, "i-data"));
        RecordingListener listener = watch(config(path));

        await().until(() -> listener.addresses().equals(List.of("10.0.1.1:3000", "10.0.1.2:3000")));
        assertThat(listener.latest().get(0).id()).isEqualTo(NerveRegistration.sequenceOf(encoded));
        assertThat(listener.latest().get(1).id()).isEqualTo(99L);

        admin.delete().forPath(encoded);
        await().until(() -> listener.addresses().equals(List.of("10.0.1.2:3000")));
    }

    @Test
    void followsServersetMembers() throws Exception {
        String path = Zk.path("serverset");
        String member = """
                {"serviceEndpoint": {"host": "10.0.2.%d", "port": 31943},
                 "additionalEndpoints": {"http": {"host": "10.0.2.%d", "port": 8080}},
                 "status": "%s", "shard": %d}
                """;
        String m0 = register(admin, path, "member", json(member.formatted(1, 1, "ALIVE", 0)));
        String m1 = register(admin, path, "member", json(member.formatted(2, 2, "ALIVE", 1)));
        RecordingListener http = watch(new ZookeeperConfig(List.of(server.getConnectString()), path,
                new ZookeeperConfig.Decode("serverset", "http"), null, null, null, null, null, null));
        RecordingListener main = watch(new ZookeeperConfig(List.of(server.getConnectString()), path,
                new ZookeeperConfig.Decode("serverset", null), null, null, null, null, null, null));

        await().until(() -> http.addresses().equals(List.of("10.0.2.1:8080", "10.0.2.2:8080")));
        await().until(() -> main.addresses().equals(List.of("10.0.2.1:31943", "10.0.2.2:31943")));
        assertThat(http.latest()).extracting(Backend::name).containsExactly("0", "1");

        admin.setData().forPath(m0, json(member.formatted(1, 1, "STOPPING", 0)));
        await().until(() -> http.addresses().equals(List.of("10.0.2.2:8080")));

        admin.setData().forPath(m0, json(member.formatted(3, 3, "ALIVE", 0)));
        await().until(() -> http.addresses().equals(List.of("10.0.2.3:8080", "10.0.2.2:8080")));

        admin.delete().forPath(m1);
        await().until(() -> http.addresses().equals(List.of("10.0.2.3:8080")));
        await().until(() -> main.addresses().equals(List.of("10.0.2.3:31943")));
    }

    @Test
    void skipsABadChildWithOneWarning() throws Exception {
        String path = Zk.path("bad");
        ListAppender<ILoggingEvent> log = Zk.captureLog();
        try {
            String bad = register(admin, path, "i-bad", json("{\"host\": \"10.0.3.1\", \"port\": 70000}"));
            register(admin, path, "i-good", nerve("10.0.3.2", 80, "i-good"));
            RecordingListener listener = watch(config(path));
            await().until(() -> listener.addresses().equals(List.of("10.0.3.2:80")));

            // more refreshes of the same path: the unchanged bad child is not warned about again
            for (int i = 3; i <= 5; i++) {
                register(admin, path, "i-" + i, nerve("10.0.3." + i, 80, "i-" + i));
                int n = i;
                await().until(() -> listener.addresses().size() == n - 1);
            }
            String child = bad.substring(path.length() + 1);
            assertThat(Zk.count(log, "WARN", "skipping child \"" + child + "\" of " + path + ": port 70000: expected an integer 1-65535"))
                    .isEqualTo(1);

            // new bad content is a new problem: one more warning; then fixed, it becomes a backend
            admin.setData().forPath(bad, json("not json"));
            await().until(() -> Zk.count(log, "WARN", "skipping child \"" + child + "\"") == 2);
            admin.setData().forPath(bad, nerve("10.0.3.1", 80, "i-bad"));
            await().until(() -> listener.addresses().get(0).equals("10.0.3.1:80"));
            assertThat(listener.addresses()).hasSize(5);
            assertThat(Zk.count(log, "WARN", "skipping child")).isEqualTo(2);
            // reported to the engine once per distinct problem, as warned (synapse_registrations_rejected_total)
            assertThat(listener.rejected).hasSize(2).allSatisfy(r -> assertThat(r).startsWith(bad + ": "));
            assertThat(listener.rejected.get(0)).isEqualTo(bad + ": port 70000: expected an integer 1-65535");
            assertThat(listener.failures).isEmpty();
        } finally {
            Zk.detach(log);
        }
    }

    @Test
    void publishesInSequenceOrderWithoutDuplicates() throws Exception {
        String path = Zk.path("order");
        admin.create().creatingParentsIfNeeded().forPath(path + "/b_0000000002", nerve("10.0.4.2", 80, "b"));
        admin.create().forPath(path + "/a_0000000002", nerve("10.0.4.1", 80, "a"));
        admin.create().forPath(path + "/c_0000000001", nerve("10.0.4.3", 80, "c"));
        admin.create().forPath(path + "/plain", nerve("10.0.4.4", 80, "plain"));
        admin.create().forPath(path + "/c_0000000007", nerve("10.0.4.3", 80, "c")); // same registration twice
        RecordingListener listener = watch(config(path));

        await().until(() -> listener.latest() != null);
        assertThat(listener.latest()).extracting(Backend::name).containsExactly("c", "a", "b", "plain");
        assertThat(listener.latest()).extracting(Backend::id).containsExactly(1L, 2L, 2L, null);
    }

    @Test
    void waitsForAPathThatDoesNotExistYet() throws Exception {
        String path = Zk.path("later") + "/deep";
        RecordingListener listener = watch(config(path));
        await().until(() -> listener.latest() != null);
        assertThat(listener.latest()).isEmpty();
        assertThat(listener.failures).isEmpty();

        register(admin, path, "i-1", nerve("10.0.5.1", 80, "i-1"));
        await().until(() -> listener.addresses().equals(List.of("10.0.5.1:80")));

        admin.delete().deletingChildrenIfNeeded().forPath(path);
        await().until(() -> listener.latest().isEmpty());
        register(admin, path, "i-2", nerve("10.0.5.2", 80, "i-2"));
        await().until(() -> listener.addresses().equals(List.of("10.0.5.2:80")));
    }

    @Test
    void publishesGeneratorConfigFromTheParent() throws Exception {
        String path = Zk.path("config");
        admin.create().creatingParentsIfNeeded().forPath(path, json("{\"haproxy\": {\"port\": 3210, \"server_options\": \"check\"}}"));
        register(admin, path, "i-1", nerve("10.0.6.1", 80, "i-1"));
        RecordingListener listener = watch(config(path));

        await().until(() -> listener.latestConfig() != null && listener.latestConfig().containsKey("haproxy"));
        assertThat(listener.latestConfig().get("haproxy").get("port").asInt()).isEqualTo(3210);
        await().until(() -> listener.addresses().equals(List.of("10.0.6.1:80")));

        admin.setData().forPath(path, json("{\"haproxy\": {\"port\": 3211}, \"file_output\": \"not an object\"}"));
        await().until(() -> listener.latestConfig().get("haproxy").get("port").asInt() == 3211);
        assertThat(listener.latestConfig()).containsOnlyKeys("haproxy");

        admin.setData().forPath(path, new byte[0]);
        await().until(() -> listener.latestConfig().isEmpty());
        assertThat(listener.addresses()).containsExactly("10.0.6.1:80");
    }

    @Test
    void readsGeneratorConfigFromItsOwnPathOnceItExists() throws Exception {
        String path = Zk.path("own");
        String configPath = Zk.path("own-config");
        register(admin, path, "i-1", nerve("10.0.7.1", 80, "i-1"));
        RecordingListener listener = watch(new ZookeeperConfig(List.of(server.getConnectString()), path, null, configPath,
                null, null, null, null, null));
        await().until(() -> listener.latest() != null);
        assertThat(listener.configs).containsExactly(Map.of());

        admin.create().creatingParentsIfNeeded().forPath(configPath, json("{\"haproxy\": {\"port\": 4000}}"));
        await().until(() -> !listener.latestConfig().isEmpty());
        assertThat(listener.latestConfig().get("haproxy").get("port").asInt()).isEqualTo(4000);

        admin.delete().forPath(configPath);
        await().until(() -> listener.latestConfig().isEmpty());
    }

    @Test
    void disabledGeneratorConfigPathIgnoresTheParent() throws Exception {
        String path = Zk.path("disabled");
        admin.create().creatingParentsIfNeeded().forPath(path, json("{\"haproxy\": {\"port\": 3210}}"));
        register(admin, path, "i-1", nerve("10.0.8.1", 80, "i-1"));
        RecordingListener listener = watch(new ZookeeperConfig(List.of(server.getConnectString()), path, null, "disabled",
                null, null, null, null, null));
        await().until(() -> listener.addresses().equals(List.of("10.0.8.1:80")));
        admin.setData().forPath(path, json("{\"haproxy\": {\"port\": 3211}}"));
        register(admin, path, "i-2", nerve("10.0.8.2", 80, "i-2"));
        await().until(() -> listener.addresses().size() == 2);
        assertThat(listener.configs).containsExactly(Map.of());
    }

    @Test
    void pollingWatcherFollowsChangesWithoutWatches() throws Exception {
        String path = Zk.path("poll");
        String a = register(admin, path, "i-a", nerve("10.0.9.1", 80, "i-a"));
        ensembles = ZookeeperWatcherFactory.clients(Zk.CLIENT);
        RecordingListener listener = new RecordingListener();
        ServiceWatcher watcher = new ZookeeperPollWatcherFactory(ensembles).create(new WatcherContext("api", "discovery"),
                new ZookeeperConfig(List.of(server.getConnectString()), path, null, null, null, null, null, 0.2, null), listener);
        watchers.add(watcher);
        watcher.start();

        await().until(() -> listener.addresses().equals(List.of("10.0.9.1:80")));
        register(admin, path, "i-b", nerve("10.0.9.2", 80, "i-b"));
        await().until(() -> listener.addresses().equals(List.of("10.0.9.1:80", "10.0.9.2:80")));
        admin.setData().forPath(a, nerve("10.0.9.3", 80, "i-a"));
        await().until(() -> listener.addresses().equals(List.of("10.0.9.3:80", "10.0.9.2:80")));
        admin.setData().forPath(path, json("{\"haproxy\": {\"port\": 5000}}"));
        await().until(() -> !listener.latestConfig().isEmpty());
        int published = listener.snapshots.size();
        // unchanged polls publish nothing new
        await().pollDelay(Duration.ofMillis(700)).until(() -> true);
        assertThat(listener.snapshots).hasSize(published);
    }

    @Test
    void readsAnAclProtectedTreeWithDigestCredentials() throws Exception {
        String path = Zk.path("acl");
        List<ACL> acl = List.of(new ACL(ZooDefs.Perms.ALL,
                new Id("digest", DigestAuthenticationProvider.generateDigest("synapse:s3cret"))));
        try (CuratorFramework owner = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .retryPolicy(new RetryOneTime(100)).authorization("digest", "synapse:s3cret".getBytes(StandardCharsets.UTF_8)).build()) {
            owner.start();
            owner.create().creatingParentsIfNeeded().withACL(acl, false).forPath(path, new byte[0]);
            String child = owner.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).withACL(acl)
                    .forPath(path + "/i-1_", nerve("10.0.10.1", 80, "i-1"));
            RecordingListener denied = watch(new ZookeeperConfig(List.of(server.getConnectString()), path, null, null,
                    new ZookeeperConfig.RetryPolicy(20, 50L, 200L, null, null, null, null), null, null, null, null));
            RecordingListener allowed = watch(new ZookeeperConfig(List.of(server.getConnectString()), path, null, null, null, null,
                    new ZookeeperConfig.Auth("digest", "synapse:s3cret"), null, null));

            await().until(() -> allowed.addresses().equals(List.of("10.0.10.1:80")));
            await().until(() -> denied.failures.size() == 1);
            assertThat(denied.failures.get(0)).isEqualTo("cannot list " + path + ": not authorized (NOAUTH)");
            assertThat(denied.snapshots).isEmpty();
            assertThat(ensembles.size()).isEqualTo(2); // different credentials, different connections

            // the failed watcher keeps retrying with backoff: opening the tree lets it through
            owner.setACL().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(child);
            owner.setACL().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(path);
            await().until(() -> denied.addresses().equals(List.of("10.0.10.1:80")));
            assertThat(denied.failures).hasSize(1);
        }
    }

    @Test
    void discoveryJitterCoalescesBursts() throws Exception {
        String path = Zk.path("jitter");
        register(admin, path, "i-0", nerve("10.0.11.100", 80, "i-0"));
        RecordingListener listener = watch(new ZookeeperConfig(List.of(server.getConnectString()), path, null, null, null,
                1.0, null, null, null));
        await().until(() -> listener.addresses().size() == 1);
        int before = listener.snapshots.size();
        for (int i = 1; i <= 20; i++) {
            register(admin, path, "i-" + i, nerve("10.0.11." + i, 80, "i-" + i));
        }
        await().until(() -> listener.addresses().size() == 21);
        // re-discoveries were at least discovery_jitter (1 s) apart, less the time a read takes
        List<Long> arrivals = listener.arrivals.subList(before, listener.arrivals.size());
        for (int i = 1; i < arrivals.size(); i++) {
            assertThat(Duration.ofNanos(arrivals.get(i) - arrivals.get(i - 1))).isGreaterThan(Duration.ofMillis(500));
        }
        assertThat(arrivals).hasSizeLessThan(20); // coalesced
    }

    @Test
    void closeIsIdempotentAndReleasesTheConnection() {
        ensembles = ZookeeperWatcherFactory.clients(Zk.CLIENT);
        RecordingListener listener = new RecordingListener();
        ZookeeperWatcherFactory factory = new ZookeeperWatcherFactory(ensembles);
        ServiceWatcher never = factory.create(new WatcherContext("a", "discovery"), config("/x"), listener);
        never.close();
        never.start(); // closed before start: stays closed
        assertThat(ensembles.size()).isZero();

        ServiceWatcher watcher = factory.create(new WatcherContext("b", "discovery"), config(Zk.path("close")), listener);
        watcher.start();
        await().until(() -> listener.latest() != null);
        ZooKeeperConnection ensemble = ensembles.find(Settings.resolve(config("/x"), false).ensemble()).orElse(null);
        assertThat(ensemble).isNotNull();
        watcher.close();
        watcher.close();
        assertThat(ensembles.size()).isZero();
        assertThat(ensemble.client().getState()).isEqualTo(org.apache.curator.framework.imps.CuratorFrameworkState.STOPPED);
    }
}
