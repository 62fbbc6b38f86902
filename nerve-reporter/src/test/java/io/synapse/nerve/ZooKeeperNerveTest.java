package io.synapse.nerve;

import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.testing.FreePorts;
import org.apache.curator.drivers.TracerDriver;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ZooKeeperNerveTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static TestingServer zk;
    private static CuratorFramework reader;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
        reader = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
        reader.start();
        reader.blockUntilConnected(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        reader.close();
        zk.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        cleanup.add(c);
        return c;
    }

    static NerveConfig config(String json) {
        ConfigLoader.Result r = new ConfigLoader(Map.of()).parse(json, false, null);
        assertThat(r.problems()).isEmpty();
        return r.config();
    }

    private static String service(String zkHosts, String path, int port, String checks, String extra) {
        return """
                {"host": "127.0.0.1", "port": %d, "zk_hosts": ["%s"], "zk_path": "%s", "check_interval": 0.05,
                 "checks": [%s]%s}""".formatted(port, zkHosts, path, checks, extra);
    }

    private static String httpCheck(int port, String extra) {
        return "{\"type\": \"http\", \"port\": %d, \"uri\": \"/health\", \"timeout\": 1%s}".formatted(port, extra);
    }

    private Nerve start(String servicesJson) {
        Nerve nerve = closeLater(new Nerve(config("{\"instance_id\": \"i-1\", \"verify_interval\": 1, \"services\": {"
                + servicesJson + "}}")));
        nerve.start();
        return nerve;
    }

    static List<String> children(CuratorFramework c, String path) throws Exception {
        try {
            return c.getChildren().forPath(path).stream().sorted().toList();
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    private static Backend decode(String path, String child) throws Exception {
        return Backend.decode(reader.getData().forPath(path + "/" + child), NerveRegistration.sequenceOf(child));
    }

    @Test
    void healthyServiceIsRegisteredAndDecodesToTheExpectedBackend() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        start("\"web\": " + service(zk.getConnectString(), "/t1/web", 8080, httpCheck(http.port(), ""),
                ", \"weight\": 7, \"haproxy_server_options\": \"backup\", \"labels\": {\"az\": \"us-1a\"}"));
        await().atMost(WAIT).until(() -> children(reader, "/t1/web").size() == 1);
        String child = children(reader, "/t1/web").get(0);
        assertThat(child).matches("i-1_[0-9]{10}");
        // nerve -> codec -> watcher: what nerve wrote decodes to exactly this backend
        assertThat(decode("/t1/web", child)).isEqualTo(Backend.builder("127.0.0.1", 8080).name("i-1").weight(7)
                .haproxyServerOptions("backup").labels(Map.of("az", "us-1a"))
                .id(NerveRegistration.sequenceOf(child)).build());
        // and the bytes are the codec's own encoding of that registration
        assertThat(reader.getData().forPath("/t1/web/" + child)).isEqualTo(
                new NerveRegistration("127.0.0.1", 8080, "i-1", 7, "backup", Map.of("az", "us-1a"), null).toJson());
    }

    @Test
    void failingServiceLeavesAndReturns() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        http.status(500);
        Nerve nerve = start("\"web\": " + service(zk.getConnectString(), "/t2/web", 8080, httpCheck(http.port(), ""), ""));
        ServiceRunner runner = nerve.services().get("web");
        await().atMost(WAIT).until(() -> Boolean.FALSE.equals(runner.reportedUp()) && runner.rounds() >= 3);
        assertThat(children(reader, "/t2/web")).isEmpty();
        http.status(200);
        await().atMost(WAIT).until(() -> children(reader, "/t2/web").size() == 1);
        http.status(503);
        await().atMost(WAIT).until(() -> children(reader, "/t2/web").isEmpty());
    }

    @Test
    void flappingFollowsRiseAndFall() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        List<String> created = new CopyOnWriteArrayList<>();
        reader.create().creatingParentsIfNeeded().forPath("/t3/web");
        CuratorCache cache = closeLater(CuratorCache.build(reader, "/t3/web"));
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(node -> {
                    if (node.getPath().startsWith("/t3/web/")) {
                        created.add(node.getPath());
                    }
                }).build());
        cache.start();
        start("\"web\": " + service(zk.getConnectString(), "/t3/web", 8080,
                httpCheck(http.port(), ", \"rise\": 2, \"fall\": 2"), ""));
        await().atMost(WAIT).until(() -> children(reader, "/t3/web").size() == 1);
        String first = children(reader, "/t3/web").get(0);

        // up: single failures between successes never take it down (fall 2)
        int before = http.requests();
        http.script(500, 200, 500, 200, 500, 200, 500, 200);
        await().atMost(WAIT).until(() -> http.scriptDone() && http.requests() >= before + 9);
        assertThat(children(reader, "/t3/web")).containsExactly(first);

        // two failures in a row: down
        http.status(500);
        await().atMost(WAIT).until(() -> children(reader, "/t3/web").isEmpty());

        // down: single successes between failures never bring it back (rise 2)
        int downAt = http.requests();
        http.script(200, 500, 200, 500, 200, 500);
        await().atMost(WAIT).until(() -> http.scriptDone() && http.requests() >= downAt + 7);
        assertThat(children(reader, "/t3/web")).isEmpty();
        assertThat(created).containsExactly("/t3/web/" + first);

        // two successes in a row: up again, as a new node
        http.status(200);
        await().atMost(WAIT).until(() -> children(reader, "/t3/web").size() == 1);
        await().atMost(WAIT).until(() -> created.size() == 2); // the cache sees the create a little later
        assertThat(created.get(1)).isEqualTo("/t3/web/" + children(reader, "/t3/web").get(0));
    }

    @Test
    void sessionExpiryReRegistersOnTheNewSession() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        Nerve nerve = start("\"web\": " + service(zk.getConnectString(), "/t4/web", 8080, httpCheck(http.port(), ""), ""));
        await().atMost(WAIT).until(() -> children(reader, "/t4/web").size() == 1);
        ZooKeeperReporter reporter = (ZooKeeperReporter) nerve.services().get("web").reporter();
        String oldPath = reporter.path();
        ZooKeeper old = sharedClient(reporter).getZookeeperClient().getZooKeeper();
        long oldSession = old.getSessionId();
        expireSession(zk.getConnectString(), old);

        await().atMost(WAIT).until(() -> {
            List<String> now = children(reader, "/t4/web");
            if (now.size() != 1 || ("/t4/web/" + now.get(0)).equals(oldPath)) {
                return false;
            }
            Stat stat = reader.checkExists().forPath("/t4/web/" + now.get(0));
            return stat != null && stat.getEphemeralOwner() != oldSession && stat.getEphemeralOwner() != 0;
        });
    }

    private static CuratorFramework sharedClient(ZooKeeperReporter reporter) {
        return reporter.client();
    }

    /** Expires a session for real: a second client joins it with the same id and password, then closes it. */
    static void expireSession(String connectString, ZooKeeper victim) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper twin = new ZooKeeper(connectString, 10_000, e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, victim.getSessionId(), victim.getSessionPasswd());
        assertThat(connected.await(10, TimeUnit.SECONDS)).isTrue();
        twin.close();
    }

    @Test
    void registryRestartWithLostDataIsRepaired() throws Exception {
        int port = FreePorts.next();
        TestingServer own = new TestingServer(port, true);
        try {
            ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
            CuratorFramework ownReader = closeLater(CuratorFrameworkFactory.newClient(own.getConnectString(), new RetryOneTime(100)));
            ownReader.start();
            Nerve nerve = start("\"web\": " + service(own.getConnectString(), "/t5/web", 8080, httpCheck(http.port(), ""), ""));
            await().atMost(WAIT).until(() -> children(ownReader, "/t5/web").size() == 1);
            own.close();
            // a new, empty server on the same port: the old session and the node are gone, and the server refuses
            // clients that have seen a newer zxid, so nerve gets a new session when the old one times out
            own = new TestingServer(port, true);
            CuratorFramework freshReader = closeLater(CuratorFrameworkFactory.newClient(own.getConnectString(), new RetryOneTime(100)));
            freshReader.start();
            // the node is visible before the report that created it returns: wait for both
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> children(freshReader, "/t5/web").size() == 1
                    && Boolean.TRUE.equals(nerve.services().get("web").reportedUp()));
            assertThat(children(freshReader, "/t5/web")).hasSize(1);
        } finally {
            own.close();
        }
    }

    @Test
    void stoppedRegistryKeepsTheServiceRetryingUntilItReturns() throws Exception {
        int port = FreePorts.next();
        TestingServer own = new TestingServer(port, true);
        try {
            ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
            CuratorFramework ownReader = closeLater(CuratorFrameworkFactory.newClient(own.getConnectString(), new RetryOneTime(100)));
            ownReader.start();
            Nerve nerve = start("\"web\": " + service(own.getConnectString(), "/t6/web", 8080, httpCheck(http.port(), ""), ""));
            await().atMost(WAIT).until(() -> children(ownReader, "/t6/web").size() == 1);
            own.stop();
            http.status(500); // goes down while the registry is away: the delete must be retried
            ServiceRunner runner = nerve.services().get("web");
            await().atMost(WAIT).until(() -> runner.reportedUp() == null);
            own.restart();
            await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.FALSE.equals(runner.reportedUp()));
            await().atMost(WAIT).ignoreExceptions().until(() -> children(ownReader, "/t6/web").isEmpty());
            http.status(200);
            await().atMost(WAIT).ignoreExceptions().until(() -> children(ownReader, "/t6/web").size() == 1);
        } finally {
            own.close();
        }
    }

    @Test
    void aDeletedNodeIsRecreated() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        start("\"web\": " + service(zk.getConnectString(), "/t7/web", 8080, httpCheck(http.port(), ""), ""));
        await().atMost(WAIT).until(() -> children(reader, "/t7/web").size() == 1);
        String first = children(reader, "/t7/web").get(0);
        reader.delete().forPath("/t7/web/" + first);
        await().atMost(WAIT).until(() -> {
            List<String> now = children(reader, "/t7/web");
            return now.size() == 1 && !now.get(0).equals(first);
        });
        reader.setData().forPath("/t7/web/" + children(reader, "/t7/web").get(0), "{\"host\":\"10.9.9.9\",\"port\":1}".getBytes());
        await().atMost(WAIT).until(() -> decode("/t7/web", children(reader, "/t7/web").get(0)).host().equals("127.0.0.1"));
    }

    @Test
    void anArmedWatchStandsInForThePeriodicReRead() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        Nerve nerve = closeLater(new Nerve(config("{\"instance_id\": \"i-1\", \"verify_interval\": 0.02, \"services\": {\"web\": "
                + service(zk.getConnectString(), "/t20/web", 8080, httpCheck(http.port(), ""), "") + "}}")));
        nerve.start();
        ServiceRunner runner = nerve.services().get("web");
        await().atMost(WAIT).until(() -> children(reader, "/t20/web").size() == 1 && runner.verificationsSkipped() > 0);
        AtomicInteger reads = new AtomicInteger();
        ((ZooKeeperReporter) runner.reporter()).client().getZookeeperClient().setTracerDriver(new TracerDriver() {
            @Override
            public void addTrace(String name, long time, TimeUnit unit) {
                if (name.startsWith("GetDataBuilderImpl") || name.startsWith("ExistsBuilderImpl")) {
                    reads.incrementAndGet();
                }
            }

            @Override
            public void addCount(String name, int increment) {
                // only operations are counted
            }
        });
        long skipped = runner.verificationsSkipped();
        // ten verify_intervals with the watch armed: no read at all
        await().atMost(WAIT).until(() -> runner.verificationsSkipped() >= skipped + 10);
        assertThat(reads).hasValue(0);
        // the watch still repairs a deletion at once, and is armed again afterwards
        String first = children(reader, "/t20/web").get(0);
        reader.delete().forPath("/t20/web/" + first);
        await().atMost(WAIT).until(() -> {
            List<String> now = children(reader, "/t20/web");
            return now.size() == 1 && !now.get(0).equals(first) && runner.reporter().watching();
        });
        assertThat(reads.get()).isPositive();
    }

    @Test
    void maintenanceFileDrainsTheService(@TempDir Path dir) throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        Path maintenance = dir.resolve("maintenance");
        start("\"web\": " + service(zk.getConnectString(), "/t8/web", 8080, httpCheck(http.port(), ""),
                ", \"maintenance_file\": \"" + maintenance + "\""));
        await().atMost(WAIT).until(() -> children(reader, "/t8/web").size() == 1);
        Files.createFile(maintenance);
        await().atMost(WAIT).until(() -> children(reader, "/t8/web").isEmpty());
        Files.delete(maintenance);
        await().atMost(WAIT).until(() -> children(reader, "/t8/web").size() == 1);
    }

    @Test
    void aBadServiceIsSkippedAndTheOthersRun() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        String json = "{\"instance_id\": \"i-1\", \"services\": {"
                + "\"web\": " + service(zk.getConnectString(), "/t9/web", 8080, httpCheck(http.port(), ""), "") + ","
                + "\"bad\": {\"host\": \"127.0.0.1\", \"port\": \"80a\", \"zk_hosts\": [\"" + zk.getConnectString() + "\"], \"zk_path\": \"/t9/bad\"},"
                + "\"api\": " + service(zk.getConnectString(), "/t9/api", 9090, "{\"type\": \"noop\"}", "") + "}}";
        ConfigLoader.Result r = new ConfigLoader(Map.of()).parse(json, false, null);
        assertThat(r.problems()).containsExactly("services.bad.port: expected an integer 1-65535, got \"80a\"");
        Nerve nerve = closeLater(new Nerve(r.config()));
        nerve.start();
        assertThat(nerve.services()).containsOnlyKeys("web", "api");
        await().atMost(WAIT).until(() -> children(reader, "/t9/web").size() == 1 && children(reader, "/t9/api").size() == 1);
        assertThat(children(reader, "/t9/bad")).isEmpty();
    }

    @Test
    void pathEncodingAndNodeTypes() throws Exception {
        start("\"enc\": " + service(zk.getConnectString(), "/t10/enc", 8080, "{\"type\": \"noop\"}",
                        ", \"use_path_encoding\": true, \"weight\": 3")
                + ", \"eph\": " + service(zk.getConnectString(), "/t10/eph", 8081, "", ", \"node_type\": \"ephemeral\"")
                + ", \"per\": " + service(zk.getConnectString(), "/t10/per", 8082, "", ", \"node_type\": \"persistent\""));
        await().atMost(WAIT).until(() -> children(reader, "/t10/enc").size() == 1 && children(reader, "/t10/eph").size() == 1
                && children(reader, "/t10/per").size() == 1);
        String enc = children(reader, "/t10/enc").get(0);
        byte[] expected = new NerveRegistration("127.0.0.1", 8080, "i-1", 3, null, Map.of(), null).toJson();
        assertThat(enc).startsWith(NerveRegistration.pathEncodedPrefix(expected)).matches(".*_[0-9]{10}");
        assertThat(NerveRegistration.decodePathEncoded(enc)).hasValueSatisfying(b -> assertThat(b).isEqualTo(expected));
        assertThat(decode("/t10/enc", enc)).isEqualTo(Backend.builder("127.0.0.1", 8080).name("i-1").weight(3)
                .id(NerveRegistration.sequenceOf(enc)).build());
        assertThat(children(reader, "/t10/eph")).containsExactly("i-1_");
        assertThat(reader.checkExists().forPath("/t10/eph/i-1_").getEphemeralOwner()).isNotZero();
        assertThat(children(reader, "/t10/per")).containsExactly("i-1_");
        assertThat(reader.checkExists().forPath("/t10/per/i-1_").getEphemeralOwner()).isZero();
    }

    @Test
    void closeDeregistersEvenPersistentNodes() throws Exception {
        Nerve nerve = new Nerve(config("{\"instance_id\": \"i-1\", \"services\": {"
                + "\"per\": " + service(zk.getConnectString(), "/t11/per", 8082, "", ", \"node_type\": \"persistent\"") + ","
                + "\"seq\": " + service(zk.getConnectString(), "/t11/seq", 8083, "", "") + "}}"));
        nerve.start();
        await().atMost(WAIT).until(() -> children(reader, "/t11/per").size() == 1 && children(reader, "/t11/seq").size() == 1);
        long start = System.nanoTime();
        nerve.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(children(reader, "/t11/per")).isEmpty();
        assertThat(children(reader, "/t11/seq")).isEmpty();
    }

    @Test
    void allChecksMustPassAndASlowServiceDoesNotDelayOthers() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        int closedPort = FreePorts.next();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Nerve nerve = start("\"two\": " + service(zk.getConnectString(), "/t12/two", 8080,
                    httpCheck(http.port(), "") + ", {\"type\": \"tcp\", \"port\": " + closedPort + "}", "")
                    + ", \"slow\": " + service(zk.getConnectString(), "/t12/slow", 8081,
                    "{\"type\": \"exec\", \"command\": \"sleep 20\", \"timeout\": 10}", "")
                    + ", \"fast\": " + service(zk.getConnectString(), "/t12/fast", listener.getLocalPort(),
                    "{\"type\": \"tcp\", \"timeout\": 1}", ""));
            ServiceRunner fast = nerve.services().get("fast");
            ServiceRunner slow = nerve.services().get("slow");
            ServiceRunner two = nerve.services().get("two");
            await().atMost(WAIT).until(() -> fast.rounds() >= 20 && Boolean.FALSE.equals(two.reportedUp()));
            assertThat(slow.rounds()).isZero();
            assertThat(slow.skippedRounds()).isPositive();
            assertThat(children(reader, "/t12/fast")).hasSize(1);
            assertThat(children(reader, "/t12/two")).isEmpty();
        }
    }

    @Test
    void reloadStopsRemovedStartsAddedAndReplacesChanged() throws Exception {
        Nerve nerve = start("\"a\": " + service(zk.getConnectString(), "/t13/a", 8080, "", "")
                + ", \"b\": " + service(zk.getConnectString(), "/t13/b", 8081, "", "")
                + ", \"c\": " + service(zk.getConnectString(), "/t13/c", 8082, "", ""));
        await().atMost(WAIT).until(() -> children(reader, "/t13/a").size() == 1 && children(reader, "/t13/b").size() == 1
                && children(reader, "/t13/c").size() == 1);
        String keptNode = children(reader, "/t13/a").get(0);
        nerve.reload(config("{\"instance_id\": \"i-1\", \"verify_interval\": 1, \"services\": {"
                + "\"a\": " + service(zk.getConnectString(), "/t13/a", 8080, "", "")
                + ", \"c\": " + service(zk.getConnectString(), "/t13/c", 8082, "", ", \"weight\": 9")
                + ", \"d\": " + service(zk.getConnectString(), "/t13/d", 8083, "", "") + "}}"));
        await().atMost(WAIT).until(() -> children(reader, "/t13/b").isEmpty() && children(reader, "/t13/d").size() == 1
                && children(reader, "/t13/c").size() == 1 && decode("/t13/c", children(reader, "/t13/c").get(0)).weight() != null);
        assertThat(children(reader, "/t13/a")).containsExactly(keptNode);
        assertThat(decode("/t13/c", children(reader, "/t13/c").get(0)).weight()).isEqualTo(9);
        assertThat(nerve.services()).containsOnlyKeys("a", "c", "d");
    }

    @Test
    void heartbeatGlobalMaintenanceAndStatsd(@TempDir Path dir) throws Exception {
        Path heartbeat = dir.resolve("run/nerve/heartbeat"); // nerve creates the missing directories
        Path maintenance = dir.resolve("maintenance");
        try (java.net.DatagramSocket statsd = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            statsd.setSoTimeout(5000);
            Nerve nerve = closeLater(new Nerve(config("{\"instance_id\": \"i-1\", \"heartbeat_path\": \"" + heartbeat
                    + "\", \"maintenance_file\": \"" + maintenance + "\", \"statsd\": {\"host\": \"127.0.0.1\", \"port\": "
                    + statsd.getLocalPort() + "}, \"services\": {\"web\": "
                    + service(zk.getConnectString(), "/t14/web", 8080, "", "") + "}}")));
            nerve.start();
            await().atMost(WAIT).until(() -> children(reader, "/t14/web").size() == 1);
            java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[512], 512);
            statsd.receive(packet);
            assertThat(new String(packet.getData(), 0, packet.getLength(), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo("nerve.service.web.up:1|c");
            assertThat(heartbeat).exists();
            java.nio.file.attribute.FileTime first = Files.getLastModifiedTime(heartbeat);
            await().atMost(WAIT).until(() -> Files.getLastModifiedTime(heartbeat).compareTo(first) > 0);

            Files.createFile(maintenance);
            await().atMost(WAIT).until(() -> children(reader, "/t14/web").isEmpty());
            statsd.receive(packet);
            assertThat(new String(packet.getData(), 0, packet.getLength(), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo("nerve.service.web.down:1|c");
            Files.delete(maintenance);
            await().atMost(WAIT).until(() -> children(reader, "/t14/web").size() == 1);
        }
    }

    @Test
    void rateLimitingDelaysStatusChanges() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        start("\"web\": " + service(zk.getConnectString(), "/t15/web", 8080, httpCheck(http.port(), ""),
                ", \"rate_limiting\": {\"average_rate\": 0.5, \"max_burst\": 1}"));
        await().atMost(WAIT).until(() -> children(reader, "/t15/web").size() == 1);
        http.status(500);
        await().atMost(WAIT).until(() -> children(reader, "/t15/web").isEmpty()); // the one saved token
        long start = System.nanoTime();
        http.status(200);
        await().atMost(WAIT).until(() -> children(reader, "/t15/web").size() == 1);
        // the next token comes 2 s after the first was taken
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(1200));
    }

    @Test
    void digestAuthenticationReachesAGuardedPathAndHostsAreNormalisedIntoOneConnection() throws Exception {
        String digest = org.apache.zookeeper.server.auth.DigestAuthenticationProvider.generateDigest("nerve:n3rve");
        reader.create().creatingParentsIfNeeded().withACL(List.of(
                        new org.apache.zookeeper.data.ACL(org.apache.zookeeper.ZooDefs.Perms.ALL, new org.apache.zookeeper.data.Id("digest", digest)),
                        new org.apache.zookeeper.data.ACL(org.apache.zookeeper.ZooDefs.Perms.READ, org.apache.zookeeper.ZooDefs.Ids.ANYONE_ID_UNSAFE)))
                .forPath("/t12/web");
        String host = zk.getConnectString();
        String auth = ", \"zk_auth\": {\"scheme\": \"digest\", \"credentials\": \"nerve:n3rve\"}";
        Nerve nerve = start("\"web\": " + service(host, "/t12/web", 8080, "", auth)
                + ", \"api\": " + service(host + "\", \"" + host, "/t12/web", 8081, "", auth)
                + ", \"anonymous\": " + service(host, "/t12/web", 8082, "", ""));
        await().atMost(WAIT).until(() -> children(reader, "/t12/web").size() == 2);
        assertThat(children(reader, "/t12/web").stream().map(c -> {
            try {
                return decode("/t12/web", c).port();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        })).containsExactlyInAnyOrder(8080, 8081);
        ZooKeeperReporter web = (ZooKeeperReporter) nerve.services().get("web").reporter();
        ZooKeeperReporter api = (ZooKeeperReporter) nerve.services().get("api").reporter();
        assertThat(api.client()).as("one connection for the same hosts and credentials").isSameAs(web.client());
        ServiceRunner anonymous = nerve.services().get("anonymous");
        await().atMost(WAIT).until(() -> anonymous.reportedUp() == null && anonymous.rounds() > 5);
        assertThat(((ZooKeeperReporter) anonymous.reporter()).client()).isNotSameAs(web.client());
        assertThat(children(reader, "/t12/web")).hasSize(2);
    }
}
