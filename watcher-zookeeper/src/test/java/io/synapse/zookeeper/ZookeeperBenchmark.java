package io.synapse.zookeeper;

import io.synapse.common.zookeeper.ZooKeeperClients;
import ch.qos.logback.classic.Level;
import io.synapse.Synapse;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import io.synapse.testing.Haproxy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

import static io.synapse.zookeeper.Zk.nerve;

/**
 * Change latency and initial sync time of the ZooKeeper watcher, against an in-JVM ZooKeeper.
 *
 * <pre>
 * bin/benchmark watcher-zookeeper io.synapse.zookeeper.ZookeeperBenchmark [--changes 1000] [--base 50]
 *     [--services 200] [--children 50]
 * </pre>
 *
 * <ol>
 *   <li>watcher: time from starting a child create/delete (an admin client's synchronous call) to
 *       the listener receiving the snapshot that has it;</li>
 *   <li>engine: the same to the new {@code haproxy.cfg} being on disk (through {@link Synapse}, the
 *       HAProxy generator writing atomically; the file is polled every 0.2 ms);</li>
 *   <li>initial sync: {@code services x children} children, time to the first complete snapshot
 *       of every service (watchers alone), and to {@code awaitInitialized} (engine, haproxy.cfg
 *       written).</li>
 * </ol>
 */
public final class ZookeeperBenchmark {
    private static final int WARMUP = 100;

    private ZookeeperBenchmark() {}

    public static void main(String[] args) throws Exception {
        int changes = intArg(args, "--changes", 1000);
        int base = intArg(args, "--base", 50);
        int services = intArg(args, "--services", 200);
        int children = intArg(args, "--children", 50);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.synapse")).setLevel(Level.WARN);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache")).setLevel(Level.ERROR);

        System.out.printf(Locale.ROOT, "ZooKeeper watcher benchmark: %d changes (+%d warm-up) on a path with %d children; "
                + "initial sync of %d services x %d children; %d CPUs%n", changes, WARMUP, base, services, children,
                Runtime.getRuntime().availableProcessors());
        try (TestingServer server = new TestingServer(true); CuratorFramework admin = Zk.admin(server.getConnectString())) {
            watcherLatency(server, admin, changes, base);
            engineLatency(server, admin, changes, base);
            initialSync(server, admin, services, children);
        }
    }

    private static void watcherLatency(TestingServer server, CuratorFramework admin, int changes, int base) throws Exception {
        String path = "/bench/watcher";
        populate(admin, path, base, 1);
        BlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
        WatcherListener listener = new WatcherListener() {
            @Override
            public void onBackends(List<Backend> backends) {
                arrivals.add(new Arrival(System.nanoTime(), backends));
            }

            @Override
            public void onFailure(String message, Throwable cause) {
                System.err.println("failure: " + message);
            }
        };
        ZooKeeperClients ensembles = ZookeeperWatcherFactory.clients(ZookeeperWatcherFactory.CLIENT_SETTINGS);
        ServiceWatcher watcher = new ZookeeperWatcherFactory(ensembles).create(
                new io.synapse.spi.WatcherContext("bench", "discovery"), Zk.config(server.getConnectString(), path), listener);
        watcher.start();
        try {
            await(arrivals, b -> b.size() == base);
            long[] latencies = new long[changes];
            long[] writes = new long[changes];
            String created = null;
            for (int i = 0; i < WARMUP + changes; i++) {
                long t0 = System.nanoTime();
                long arrived;
                if (created == null) {
                    created = admin.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(path + "/i-new_", nerve("10.200.0.1", 80, "i-new"));
                    long written = System.nanoTime();
                    arrived = await(arrivals, b -> b.size() == base + 1);
                    record(i, t0, written, arrived, latencies, writes);
                } else {
                    admin.delete().forPath(created);
                    long written = System.nanoTime();
                    created = null;
                    arrived = await(arrivals, b -> b.size() == base);
                    record(i, t0, written, arrived, latencies, writes);
                }
            }
            report("watcher: change -> listener snapshot", latencies);
            report("  (of which the admin's write call)", writes);
        } finally {
            watcher.close();
        }
    }

    private static void engineLatency(TestingServer server, CuratorFramework admin, int changes, int base) throws Exception {
        String path = "/bench/engine";
        populate(admin, path, base, 2);
        Path dir = Files.createTempDirectory("zk-bench");
        Path cfg = dir.resolve("haproxy.cfg");
        Path conf = dir.resolve("synapse.conf.json");
        Files.writeString(conf, """
                {"services": {"api": {"discovery": {"method": "zookeeper", "hosts": ["%s"], "path": "%s"},
                                      "haproxy": {"port": 20001, "server_options": "check"}}},
                 "haproxy": {"config_file_path": "%s", "do_reloads": false, "do_socket": false,
                             "global": ["maxconn 100"],
                             "defaults": ["mode http", "timeout connect 5s", "timeout client 30s", "timeout server 30s"]}}
                """.formatted(server.getConnectString(), path, cfg));
        try (Synapse synapse = Synapse.fromFile(conf)) {
            synapse.start();
            if (!synapse.awaitInitialized(Duration.ofSeconds(60))) {
                throw new AssertionError("engine not initialized");
            }
            long[] latencies = new long[changes];
            String created = null;
            for (int i = 0; i < WARMUP + changes; i++) {
                long t0 = System.nanoTime();
                long onDisk;
                if (created == null) {
                    created = admin.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(path + "/i-new_", nerve("10.200.0.2", 80, "i-new"));
                    onDisk = awaitFile(cfg, text -> text.contains("10.200.0.2:80"));
                } else {
                    admin.delete().forPath(created);
                    created = null;
                    onDisk = awaitFile(cfg, text -> !text.contains("10.200.0.2:80"));
                }
                if (i >= WARMUP) {
                    latencies[i - WARMUP] = onDisk - t0;
                }
            }
            Haproxy.CheckResult check = Haproxy.check(cfg);
            report("engine: change -> haproxy.cfg on disk", latencies);
            System.out.println("  haproxy -c on the last file: " + (check.ok() ? "valid" : "REJECTED\n" + check.output()));
        }
    }

    private static void initialSync(TestingServer server, CuratorFramework admin, int services, int children) throws Exception {
        String root = "/bench/many";
        long t = System.nanoTime();
        for (int s = 0; s < services; s++) {
            populate(admin, root + "/svc" + s, children, 3 + s / 100);
        }
        System.out.printf(Locale.ROOT, "created %d children in %d ms%n", services * children, ms(System.nanoTime() - t));

        // watchers alone, on a fresh connection
        ZooKeeperClients ensembles = ZookeeperWatcherFactory.clients(ZookeeperWatcherFactory.CLIENT_SETTINGS);
        List<RecordingListener> listeners = new ArrayList<>();
        List<ServiceWatcher> watchers = new ArrayList<>();
        long start = System.nanoTime();
        for (int s = 0; s < services; s++) {
            RecordingListener listener = new RecordingListener();
            listeners.add(listener);
            watchers.add(Zk.watch(ensembles, "svc" + s, Zk.config(server.getConnectString(), root + "/svc" + s), listener));
        }
        while (!listeners.stream().allMatch(l -> l.latest() != null && l.latest().size() == children)) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
        long watchersDone = System.nanoTime() - start;
        watchers.forEach(ServiceWatcher::close);
        System.out.printf(Locale.ROOT, "initial sync, watchers: %d services x %d children complete in %d ms (1 connection: %s)%n",
                services, children, ms(watchersDone), ensembles.created() == 1);

        // through the engine, to haproxy.cfg on disk
        Path dir = Files.createTempDirectory("zk-bench-many");
        Path cfg = dir.resolve("haproxy.cfg");
        StringBuilder json = new StringBuilder("{\"services\": {");
        for (int s = 0; s < services; s++) {
            json.append(s == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "\"svc%d\": {\"discovery\": {\"method\": \"zookeeper\", \"hosts\": [\"%s\"], \"path\": \"%s/svc%d\"},"
                            + " \"haproxy\": {\"port\": %d, \"server_options\": \"check\"}}",
                    s, server.getConnectString(), root, s, 21000 + s));
        }
        json.append("}, \"haproxy\": {\"config_file_path\": \"").append(cfg).append("\", \"do_reloads\": false, \"do_socket\": false,"
                + " \"global\": [\"maxconn 100\"], \"defaults\": [\"mode http\", \"timeout connect 5s\", \"timeout client 30s\","
                + " \"timeout server 30s\"]}}");
        Path conf = dir.resolve("synapse.conf.json");
        Files.writeString(conf, json);
        try (Synapse synapse = Synapse.fromFile(conf)) {
            long engineStart = System.nanoTime();
            synapse.start();
            if (!synapse.awaitInitialized(Duration.ofSeconds(120))) {
                throw new AssertionError("engine not initialized: " + synapse.uninitializedServices());
            }
            long engineDone = System.nanoTime() - engineStart;
            long servers = Files.readAllLines(cfg).stream().filter(l -> l.strip().startsWith("server ")).count();
            System.out.printf(Locale.ROOT, "initial sync, engine: %d services x %d children to haproxy.cfg on disk in %d ms "
                    + "(%d server lines, %d KB)%n", services, children, ms(engineDone), servers, Files.size(cfg) / 1024);
            Haproxy.CheckResult check = Haproxy.check(cfg);
            System.out.println("  haproxy -c: " + (check.ok() ? "valid" : "REJECTED\n" + check.output()));
        }
    }

    private record Arrival(long nanos, List<Backend> backends) {}

    private static long await(BlockingQueue<Arrival> arrivals, Predicate<List<Backend>> done) throws InterruptedException {
        while (true) {
            Arrival a = arrivals.poll(30, TimeUnit.SECONDS);
            if (a == null) {
                throw new AssertionError("no snapshot within 30 s");
            }
            if (done.test(a.backends())) {
                return a.nanos();
            }
        }
    }

    private static long awaitFile(Path file, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && done.test(Files.readString(file))) {
                return System.nanoTime();
            }
            LockSupport.parkNanos(200_000);
        }
        throw new AssertionError("haproxy.cfg not updated within 30 s");
    }

    private static void record(int i, long t0, long written, long arrived, long[] latencies, long[] writes) {
        if (i >= WARMUP) {
            latencies[i - WARMUP] = arrived - t0;
            writes[i - WARMUP] = written - t0;
        }
    }

    private static void populate(CuratorFramework admin, String path, int count, int octet) throws Exception {
        ZookeeperScaleTest.populate(admin, path, count, octet);
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "%-42s n=%d  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms%n", what, sorted.length,
                pct(sorted, 50), pct(sorted, 90), pct(sorted, 99), sorted[sorted.length - 1] / 1e6);
    }

    private static double pct(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
