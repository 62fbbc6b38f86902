package io.synapse.zookeeper;

import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperClientSettings;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.awaitility.Awaitility;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Test helpers: servers with a short tick, an admin client, configs, watchers, log capture. */
final class Zk {
    /** Short ticks so that sessions may be as short as 1 s (and at most 10 s). */
    static final int TICK_MS = 500;
    /** Sessions long enough that a loaded machine does not drop them by accident. */
    static final ZooKeeperClientSettings CLIENT = new ZooKeeperClientSettings(Duration.ofSeconds(8), Duration.ofMillis(1_500), true, null, "test-zookeeper");
    /** For tests that want a session to time out. */
    static final ZooKeeperClientSettings SHORT_SESSION = new ZooKeeperClientSettings(Duration.ofSeconds(2), Duration.ofMillis(1_500), true, null, "test-zookeeper");

    static {
        Awaitility.setDefaultTimeout(Duration.ofSeconds(20));
    }

    /** Applies the Awaitility defaults (by loading this class). */
    static void init() {}
    private static final AtomicInteger PATHS = new AtomicInteger();

    private Zk() {}

    static InstanceSpec spec(int port, int serverId) {
        return new InstanceSpec(null, port, -1, -1, true, serverId, TICK_MS, -1);
    }

    static TestingServer server() throws Exception {
        return new TestingServer(spec(-1, -1), true);
    }

    static TestingServer server(int port) throws Exception {
        return new TestingServer(spec(port, -1), true);
    }

    static CuratorFramework admin(String connectString) throws InterruptedException {
        CuratorFramework admin = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(30_000)
                .connectionTimeoutMs(10_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 20, 1_000))
                .build();
        admin.start();
        if (!admin.blockUntilConnected(30, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new AssertionError("admin client cannot connect to " + connectString);
        }
        return admin;
    }

    /** A fresh path for one test. */
    static String path(String name) {
        return "/services/" + name + "-" + PATHS.incrementAndGet();
    }

    static ZookeeperConfig config(String hosts, String path) {
        return new ZookeeperConfig(List.of(hosts), path, null, null, null, null, null, null, 0.0);
    }

    static ServiceWatcher watch(ZooKeeperClients ensembles, String service, ZookeeperConfig config, RecordingListener listener) {
        ServiceWatcher watcher = new ZookeeperWatcherFactory(ensembles)
                .create(new WatcherContext(service, "services." + service + ".discovery"), config, listener);
        watcher.start();
        return watcher;
    }

    static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] nerve(String host, int port, String name) {
        return NerveRegistration.of(host, port, name).toJson();
    }

    /** Creates {@code parent/<name>_<seq>} like nerve (persistent, so no session can take it away). */
    static String register(CuratorFramework admin, String parent, String name, byte[] data) throws Exception {
        return admin.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                .forPath(parent + "/" + name + "_", data);
    }

    /** Captures the log events of {@link ZookeeperWatcher}; detach with {@link #detach}. */
    static ListAppender<ILoggingEvent> captureLog() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(ZookeeperWatcher.class)).addAppender(appender);
        return appender;
    }

    static void detach(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(ZookeeperWatcher.class)).detachAppender(appender);
    }

    static long count(ListAppender<ILoggingEvent> appender, String level, String fragment) {
        return appender.list.stream()
                .filter(e -> e.getLevel().toString().equals(level) && e.getFormattedMessage().contains(fragment))
                .count();
    }
}
