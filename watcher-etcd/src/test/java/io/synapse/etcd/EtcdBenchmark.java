package io.synapse.etcd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import io.synapse.Synapse;
import io.synapse.testing.EtcdCluster;
import io.synapse.testing.FreePorts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static io.synapse.etcd.EtcdTesting.bytes;
import static io.synapse.etcd.EtcdTesting.json;
import static io.synapse.etcd.EtcdTesting.nerve;

/**
 * The etcd watcher's speed against a real etcd member on loopback:
 * <ol>
 *   <li>latency from a put or delete (the client call included) to the watcher's snapshot, and to the
 *       new haproxy.cfg on disk through the engine, p50/p99/max over {@code --changes} changes, on a
 *       10-backend service and on a {@code --keys}-backend one;</li>
 *   <li>time from {@code start()} to the first snapshot, and to the first haproxy.cfg, for {@code
 *       --keys} keys under one prefix.</li>
 * </ol>
 * Run: {@code BENCH_NO_BUILD=1 bin/benchmark watcher-etcd io.synapse.etcd.EtcdBenchmark [--changes 1000] [--keys 100000]}
 * (after {@code mvn -o -q -pl watcher-etcd verify} built the test classes).
 */
public final class EtcdBenchmark {
    private EtcdBenchmark() {}

    /** Every snapshot with its arrival time. */
    private static final class Timed implements WatcherListener {
        record Snapshot(long nanos, List<Backend> backends) {}

        final LinkedBlockingQueue<Snapshot> queue = new LinkedBlockingQueue<>();

        @Override
        public void onBackends(List<Backend> backends) {
            queue.add(new Snapshot(System.nanoTime(), backends));
        }

        @Override
        public void onFailure(String message, Throwable cause) {
            System.err.println("failure: " + message);
        }

        Snapshot await(Predicate<List<Backend>> condition) throws InterruptedException {
            while (true) {
                Snapshot s = queue.poll(60, TimeUnit.SECONDS);
                if (s == null) {
                    throw new IllegalStateException("no matching snapshot within 60 s");
                }
                if (condition.test(s.backends())) {
                    return s;
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int changes = intArg(args, "--changes", 1000);
        int keys = intArg(args, "--keys", 100_000);
        System.out.printf(Locale.ROOT, "etcd watcher benchmark: %d changes, %d keys, %d cores%n", changes, keys,
                Runtime.getRuntime().availableProcessors());
        try (EtcdCluster etcd = EtcdCluster.start(1); Client client = EtcdTesting.client(etcd.endpoints())) {
            latency(etcd, client, "/bench/small", 10, changes);
            fileLatency(etcd, client, "/bench/small", 10, changes);
            load(client, "/bench/big/", keys);
            firstSnapshot(etcd, "/bench/big", keys, 3);
            firstConfig(etcd, "/bench/big", keys, 2);
            latency(etcd, client, "/bench/big", keys, Math.max(500, changes / 2));
            fileLatency(etcd, client, "/bench/big", keys, 100);
        }
    }

    /** Alternately adds and removes one backend on a service that has {@code base} backends. */
    private static void latency(EtcdCluster etcd, Client client, String path, int base, int changes) throws Exception {
        if (base <= 10) {
            for (int i = 0; i < base; i++) {
                EtcdTesting.put(client, path + "/base-" + i, nerve("10.0." + (i / 250) + "." + (i % 250 + 1), 8080, "base-" + i));
            }
        }
        Timed listener = new Timed();
        try (ServiceWatcher watcher = EtcdTesting.watcher("bench", "{\"endpoints\": " + json(etcd.endpoints())
                + ", \"path\": \"" + path + "\"}", listener)) {
            watcher.start();
            listener.await(b -> b.size() == base);
            // warm-up, not measured
            for (int i = 0; i < 100; i++) {
                change(client, listener, path, base, i);
            }
            long[] micros = new long[changes];
            for (int i = 0; i < changes; i++) {
                micros[i] = change(client, listener, path, base, i);
            }
            Arrays.sort(micros);
            System.out.printf(Locale.ROOT, "put/delete -> snapshot, %,d backends, %d changes: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    base, changes, micros[changes / 2] / 1000.0, micros[(int) Math.ceil(changes * 0.99) - 1] / 1000.0,
                    micros[changes - 1] / 1000.0);
        }
    }

    private static long change(Client client, Timed listener, String path, int base, int i) throws Exception {
        String key = path + "/moving";
        long start = System.nanoTime();
        if (i % 2 == 0) {
            EtcdTesting.put(client, key, nerve("10.9.9.9", 9000 + i % 1000, "moving"));
            return (listener.await(b -> b.size() == base + 1).nanos() - start) / 1000;
        }
        EtcdTesting.delete(client, key);
        return (listener.await(b -> b.size() == base).nanos() - start) / 1000;
    }

    /** Puts {@code keys} registrations in transactions of 128 puts, 16 in flight. */
    private static void load(Client client, String prefix, int keys) {
        long start = System.nanoTime();
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        for (int first = 0; first < keys; first += 128) {
            List<Op> ops = new ArrayList<>();
            for (int i = first; i < Math.min(keys, first + 128); i++) {
                ops.add(Op.put(bytes(prefix + "i-" + i), bytes(nerve("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255),
                        8080, "i-" + i)), PutOption.DEFAULT));
            }
            inFlight.add(client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit());
            if (inFlight.size() == 16) {
                inFlight.forEach(CompletableFuture::join);
                inFlight.clear();
            }
        }
        inFlight.forEach(CompletableFuture::join);
        System.out.printf(Locale.ROOT, "loaded %,d keys in %.1f s%n", keys, (System.nanoTime() - start) / 1e9);
    }

    private static void firstSnapshot(EtcdCluster etcd, String path, int keys, int runs) throws Exception {
        for (int run = 1; run <= runs; run++) {
            Timed listener = new Timed();
            long start = System.nanoTime();
            try (ServiceWatcher watcher = EtcdTesting.watcher("big", "{\"endpoints\": " + json(etcd.endpoints())
                    + ", \"path\": \"" + path + "\"}", listener)) {
                watcher.start();
                Timed.Snapshot first = listener.await(b -> true);
                if (first.backends().size() != keys) {
                    throw new IllegalStateException("first snapshot has " + first.backends().size() + " backends");
                }
                System.out.printf(Locale.ROOT, "first snapshot of %,d keys, run %d: %.0f ms%n", keys, run,
                        (first.nanos() - start) / 1e6);
            }
        }
    }

    /** A synapse with one etcd service, writing haproxy.cfg into a temporary directory. */
    private static Synapse synapse(Path dir, EtcdCluster etcd, String path) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode config = mapper.createObjectNode();
        ObjectNode service = config.putObject("services").putObject("bench");
        service.set("discovery", mapper.readTree("{\"method\": \"etcd\", \"endpoints\": " + json(etcd.endpoints())
                + ", \"path\": \"" + path + "\"}"));
        service.putObject("haproxy").put("port", FreePorts.next()).put("server_options", "check");
        ObjectNode haproxy = config.putObject("haproxy");
        haproxy.put("config_file_path", dir.resolve("haproxy.cfg").toString()).put("do_reloads", false).put("do_socket", false);
        haproxy.putArray("global").add("maxconn 100");
        haproxy.putArray("defaults").add("mode http").add("timeout connect 5s").add("timeout client 30s").add("timeout server 30s");
        Path file = dir.resolve("synapse.conf.json");
        Files.writeString(file, mapper.writeValueAsString(config));
        return Synapse.fromFile(file);
    }

    /** Like {@link #latency}, up to the new haproxy.cfg on disk (found by polling its inode every 0.1 ms). */
    private static void fileLatency(EtcdCluster etcd, Client client, String path, int base, int changes) throws Exception {
        Path dir = Files.createTempDirectory("etcd-bench");
        Path cfg = dir.resolve("haproxy.cfg");
        try (Synapse synapse = synapse(dir, etcd, path)) {
            synapse.start();
            if (!synapse.awaitInitialized(Duration.ofSeconds(120))) {
                throw new IllegalStateException("synapse not initialized");
            }
            Object[] inode = {null};
            for (int i = 0; i < 50; i++) {
                fileChange(client, cfg, inode, path, i);
            }
            long[] micros = new long[changes];
            for (int i = 0; i < changes; i++) {
                micros[i] = fileChange(client, cfg, inode, path, i);
            }
            Arrays.sort(micros);
            System.out.printf(Locale.ROOT, "put/delete -> haproxy.cfg, %,d backends, %d changes: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    base, changes, micros[changes / 2] / 1000.0, micros[(int) Math.ceil(changes * 0.99) - 1] / 1000.0,
                    micros[changes - 1] / 1000.0);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long fileChange(Client client, Path cfg, Object[] inode, String path, int i) throws Exception {
        String server = " 10.9.9.9:" + (9000 + i % 1000) + " ";
        long start = System.nanoTime();
        if (i % 2 == 0) {
            EtcdTesting.put(client, path + "/moving", nerve("10.9.9.9", 9000 + i % 1000, "moving"));
            return (awaitFile(cfg, inode, text -> text.contains(server)) - start) / 1000;
        }
        EtcdTesting.delete(client, path + "/moving");
        return (awaitFile(cfg, inode, text -> !text.contains("10.9.9.9:")) - start) / 1000;
    }

    /** The time the file was found replaced with content satisfying {@code condition}. */
    private static long awaitFile(Path cfg, Object[] inode, Predicate<String> condition) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Object key = Files.readAttributes(cfg, BasicFileAttributes.class).fileKey();
            if (!key.equals(inode[0])) {
                long seen = System.nanoTime();
                inode[0] = key;
                if (condition.test(Files.readString(cfg))) {
                    return seen;
                }
            }
            LockSupport.parkNanos(100_000);
        }
        throw new IllegalStateException("haproxy.cfg did not change within 60 s");
    }

    private static void firstConfig(EtcdCluster etcd, String path, int keys, int runs) throws Exception {
        for (int run = 1; run <= runs; run++) {
            Path dir = Files.createTempDirectory("etcd-bench");
            try (Synapse synapse = synapse(dir, etcd, path)) {
                long start = System.nanoTime();
                synapse.start();
                if (!synapse.awaitInitialized(Duration.ofSeconds(120))) {
                    throw new IllegalStateException("synapse not initialized");
                }
                long end = System.nanoTime();
                long servers = Files.readAllLines(dir.resolve("haproxy.cfg")).stream().filter(l -> l.strip().startsWith("server ")).count();
                System.out.printf(Locale.ROOT, "first haproxy.cfg with %,d servers, run %d: %.0f ms%n", servers, run, (end - start) / 1e6);
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
