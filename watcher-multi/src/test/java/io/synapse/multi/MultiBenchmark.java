package io.synapse.multi;

import ch.qos.logback.classic.Level;
import io.synapse.Synapse;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * What {@code multi} costs and how fast a toggle moves a service, against a real ZooKeeper and etcd.
 *
 * <pre>
 * bin/benchmark watcher-multi io.synapse.multi.MultiBenchmark [--changes 300] [--switches 20] [--services 100]
 * </pre>
 *
 * <ol>
 *   <li>a ZooKeeper child create/delete to the new {@code haproxy.cfg} on disk, for a service
 *       using {@code zookeeper} directly and for one using {@code multi} (union of the same
 *       ZooKeeper path and an etcd prefix): the difference is what the multi layer adds;</li>
 *   <li>{@code file_toggle} (1 s interval, the default): time from rewriting the file to the
 *       other child's backends in {@code haproxy.cfg};</li>
 *   <li>{@code s3_toggle}: {@code --services} services on one S3 object (interval 0.5 s) for 10 s:
 *       the GetObject calls made (one reader per object: about 20 expected, not 2,000).</li>
 * </ol>
 */
public final class MultiBenchmark {
    private static final int WARMUP = 30;

    private MultiBenchmark() {}

    public static void main(String[] args) throws Exception {
        int changes = intArg(args, "--changes", 300);
        int switches = intArg(args, "--switches", 20);
        int services = intArg(args, "--services", 100);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.synapse")).setLevel(Level.WARN);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache")).setLevel(Level.ERROR);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.etcd")).setLevel(Level.ERROR);
        System.out.printf(Locale.ROOT, "multi benchmark: %d changes (+%d warm-up), %d toggle switches, %d services on one S3 object; %d CPUs%n",
                changes, WARMUP, switches, services, Runtime.getRuntime().availableProcessors());
        try (Registries r = Registries.start()) {
            String path = Registries.path("bench");
            for (int i = 0; i < 20; i++) {
                r.zkRegister(path, "zk-" + i, "10.1.0." + (i + 1), 8080);
                r.etcdPut(path, "etcd-" + i, "10.2.0." + (i + 1), 8080);
            }
            changeLatency("zookeeper directly", r, path, r.zookeeperChild(path), changes);
            changeLatency("multi union (zookeeper + etcd)", r, path,
                    "{\"method\": \"multi\", \"watchers\": {\"zookeeper\": " + r.zookeeperChild(path) + ", \"etcd\": "
                            + r.etcdChild(path) + "}, \"resolver\": {\"method\": \"union\"}}", changes);
            toggleLatency(r, path, switches);
        }
        s3Reads(services);
    }

    private static void changeLatency(String what, Registries r, String path, String discovery, int changes) throws Exception {
        Path dir = Files.createTempDirectory("multi-bench");
        Path cfg = dir.resolve("haproxy.cfg");
        try (Synapse synapse = Synapse.fromFile(MultiTesting.synapseConfig(dir, "api", discovery, FreePorts.next()), MultiTesting.PLUGINS)) {
            synapse.start();
            if (!synapse.awaitInitialized(MultiTesting.WAIT)) {
                throw new AssertionError("not initialized");
            }
            long[] latencies = new long[changes];
            String created = null;
            for (int i = 0; i < WARMUP + changes; i++) {
                long t0 = System.nanoTime();
                long onDisk;
                if (created == null) {
                    created = r.zkRegister(path, "new", "10.200.0.1", 80);
                    onDisk = awaitFile(cfg, t -> t.contains("10.200.0.1:80"));
                } else {
                    r.zkDelete(created);
                    created = null;
                    onDisk = awaitFile(cfg, t -> !t.contains("10.200.0.1:80"));
                }
                if (i >= WARMUP) {
                    latencies[i - WARMUP] = onDisk - t0;
                }
            }
            Haproxy.assertValid(cfg);
            report(what + ": ZooKeeper change -> haproxy.cfg on disk", latencies);
        }
    }

    private static void toggleLatency(Registries r, String path, int switches) throws Exception {
        Path dir = Files.createTempDirectory("multi-bench");
        Path cfg = dir.resolve("haproxy.cfg");
        Path toggle = dir.resolve("toggle.yaml");
        Files.writeString(toggle, "zookeeper: 1\netcd: 0\n");
        String discovery = "{\"method\": \"multi\", \"watchers\": {\"zookeeper\": " + r.zookeeperChild(path) + ", \"etcd\": "
                + r.etcdChild(path) + "}, \"resolver\": {\"method\": \"file_toggle\", \"path\": \"" + toggle + "\"}}";
        try (Synapse synapse = Synapse.fromFile(MultiTesting.synapseConfig(dir, "api", discovery, FreePorts.next()), MultiTesting.PLUGINS)) {
            synapse.start();
            if (!synapse.awaitInitialized(MultiTesting.WAIT)) {
                throw new AssertionError("not initialized");
            }
            awaitFile(cfg, t -> t.contains("10.1.0.1:8080"));
            long[] latencies = new long[switches];
            for (int i = 0; i < switches; i++) {
                boolean toEtcd = i % 2 == 0;
                long t0 = System.nanoTime();
                MultiTesting.replace(toggle, toEtcd ? "zookeeper: 0\netcd: 1\n" : "zookeeper: 1\netcd: 0\n");
                long onDisk = awaitFile(cfg, t -> t.contains(toEtcd ? "10.2.0.1:8080" : "10.1.0.1:8080")
                        && !t.contains(toEtcd ? "10.1.0.1:8080" : "10.2.0.1:8080"));
                latencies[i] = onDisk - t0;
            }
            Haproxy.assertValid(cfg);
            report("file_toggle (1 s interval): file rewritten -> haproxy.cfg on disk", latencies);
        }
    }

    private static void s3Reads(int services) throws Exception {
        try (S3Emulator s3 = S3Emulator.start()) {
            s3.createBucket("toggles");
            s3.put("toggles", "bench.yaml", "a: 1\n");
            RecordingListener[] listeners = new RecordingListener[services];
            io.synapse.spi.ServiceWatcher[] watchers = new io.synapse.spi.ServiceWatcher[services];
            for (int i = 0; i < services; i++) {
                listeners[i] = new RecordingListener();
                watchers[i] = MultiTesting.watcher("svc" + i, """
                        {"method": "multi",
                         "watchers": {"a": {"method": "fake", "id": "bench-a-%d", "initial": ["a@10.0.1.1:80"]}},
                         "resolver": {"method": "s3_toggle", "s3_url": "s3://toggles/bench.yaml", "s3_polling_interval_seconds": 0.5,
                                      "aws_region": "eu-west-1", "endpoint": "%s",
                                      "aws_access_key_id": "%s", "aws_secret_access_key": "%s"}}
                        """.formatted(i, s3.endpoint(), S3Emulator.ACCESS_KEY, S3Emulator.SECRET_KEY), listeners[i]);
                watchers[i].start();
            }
            int before = s3.requests().size();
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < 10_000_000_000L) {
                Thread.onSpinWait();
                Thread.sleep(50); // a measurement window, not a test wait
            }
            int reads = s3.requests().size() - before;
            long published = Arrays.stream(listeners).filter(l -> l.last() != null).count();
            System.out.printf(Locale.ROOT, "s3_toggle: %d services on one object, interval 0.5 s: %d GetObject calls in 10 s (%d services published)%n",
                    services, reads, published);
            for (io.synapse.spi.ServiceWatcher w : watchers) {
                w.close();
            }
        }
    }

    private static long awaitFile(Path file, Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && condition.test(Files.readString(file))) {
                return System.nanoTime();
            }
            Thread.sleep(0, 200_000);
        }
        throw new AssertionError("timed out waiting for " + file);
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "%s: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)%n", what,
                sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.9)] / 1e6,
                sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e6, sorted[sorted.length - 1] / 1e6, sorted.length);
    }

    private static int intArg(String[] args, String name, int defaultValue) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return defaultValue;
    }
}
