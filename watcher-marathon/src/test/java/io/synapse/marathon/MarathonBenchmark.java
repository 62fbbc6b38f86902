package io.synapse.marathon;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.testing.TestConfigs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static io.synapse.testing.TestConfigs.json;

/**
 * The marathon watcher and catalog against the emulator, through the engine to haproxy.cfg:
 * <ol>
 *   <li>{@code --apps} apps of group {@code external} with {@code --tasks} tasks each become as
 *       many services through the catalog: time to the first complete haproxy.cfg;</li>
 *   <li>latency from an emulated {@code status_update_event} (a task started, then killed, on a
 *       different app each time; the emulator's write of the event included) to the new
 *       haproxy.cfg on disk (found by polling its inode every 0.1 ms), p50/p99/max over {@code
 *       --changes} events;</li>
 *   <li>the same latency up to the watcher's snapshot alone (no engine, no file), on one app;</li>
 *   <li>requests to Marathon while nothing happens, over {@code --idle-seconds}: full reads
 *       ({@code GET /v2/apps}) and everything else, per minute.</li>
 * </ol>
 * Run: {@code BENCH_NO_BUILD=1 bin/benchmark watcher-marathon io.synapse.marathon.MarathonBenchmark [--apps 200]
 * [--tasks 5] [--changes 1000] [--idle-seconds 120]} (after {@code mvn -o -q -pl watcher-marathon -am verify
 * -DskipTests} built the test classes).
 */
public final class MarathonBenchmark {
    private MarathonBenchmark() {}

    public static void main(String[] args) throws Exception {
        int apps = intArg(args, "--apps", 200);
        int tasks = intArg(args, "--tasks", 5);
        int changes = intArg(args, "--changes", 1000);
        int idleSeconds = intArg(args, "--idle-seconds", 120);
        System.out.printf(Locale.ROOT, "marathon benchmark: %d apps x %d tasks, %d changes, %d s idle, %d cores%n",
                apps, tasks, changes, idleSeconds, Runtime.getRuntime().availableProcessors());
        Path dir = Files.createTempDirectory("marathon-bench");
        Path cfg = dir.resolve("haproxy.cfg");
        try (MarathonEmulator marathon = MarathonEmulator.start()) {
            for (int i = 0; i < apps; i++) {
                marathon.createApp("{\"id\": \"/bench/app-" + i + "\", \"instances\": " + tasks
                        + ", \"labels\": {\"HAPROXY_GROUP\": \"external\"}, \"portDefinitions\": [{\"port\": " + (10000 + i) + "}]}");
            }
            ObjectNode config = json("{'services': {}, 'catalogs': {'lb': {'method': 'marathon', 'group': 'external',"
                    + " 'haproxy': {'bind_address': '127.0.0.1', 'server_options': 'check inter 60s fall 4', 'backend': ['balance roundrobin']}}}}");
            config.with("catalogs").with("lb").put("marathon_api_url", marathon.url());
            config.set("haproxy", TestConfigs.haproxyGlobal(dir));
            marathon.resetCounters();
            long start = System.nanoTime();
            try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath())) {
                synapse.start();
                if (!synapse.awaitInitialized(Duration.ofSeconds(120))) {
                    throw new IllegalStateException("not initialized: " + synapse.uninitializedServices());
                }
                long servers;
                do {
                    servers = Files.readAllLines(cfg).stream().filter(l -> l.strip().startsWith("server ")).count();
                } while (servers < (long) apps * tasks && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(120));
                System.out.printf(Locale.ROOT, "first haproxy.cfg with %,d services and %,d servers: %.0f ms (%d full read(s), %d stream(s))%n",
                        synapse.serviceNames().size(), servers, (System.nanoTime() - start) / 1e6, marathon.fullReads(),
                        marathon.streamConnects());

                Object[] inode = {null};
                for (int i = 0; i < Math.min(200, changes); i++) {
                    change(marathon, cfg, inode, apps, i, new long[2]);
                }
                long[] started = new long[changes];
                long[] killed = new long[changes];
                marathon.resetCounters();
                for (int i = 0; i < changes; i++) {
                    long[] micros = new long[2];
                    change(marathon, cfg, inode, apps, i + 7, micros);
                    started[i] = micros[0];
                    killed[i] = micros[1];
                }
                System.out.printf(Locale.ROOT, "  (%d events: %d GET /v2/apps/<id>, %d full reads)%n", 2 * changes, marathon.appReads(),
                        marathon.fullReads());
                report("status_update_event TASK_RUNNING -> haproxy.cfg", started);
                report("status_update_event TASK_KILLED  -> haproxy.cfg", killed);
                long[] all = Arrays.copyOf(started, 2 * changes);
                System.arraycopy(killed, 0, all, changes, changes);
                report("status_update_event (both)        -> haproxy.cfg", all);

                snapshotLatency(marathon, changes);

                marathon.resetCounters();
                long idleStart = System.nanoTime();
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(idleSeconds));
                double minutes = (System.nanoTime() - idleStart) / 6e10;
                List<String> requests = marathon.requests();
                System.out.printf(Locale.ROOT, "idle %d s: %.2f full reads/min, %.2f requests/min in all (%d stream connects);"
                                + " polling each app every 10 s (the Ruby watcher) would be %,d requests/min%n",
                        idleSeconds, marathon.fullReads() / minutes, requests.size() / minutes, marathon.streamConnects(), apps * 6);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Event to snapshot: a watcher of one app (sharing the running client), its listener timed. */
    private static void snapshotLatency(MarathonEmulator marathon, int changes) throws Exception {
        java.util.concurrent.LinkedBlockingQueue<Object[]> snapshots = new java.util.concurrent.LinkedBlockingQueue<>();
        io.synapse.spi.WatcherListener listener = new io.synapse.spi.WatcherListener() {
            @Override
            public void onBackends(List<io.synapse.spi.Backend> backends) {
                snapshots.add(new Object[] {System.nanoTime(), backends});
            }

            @Override
            public void onFailure(String message, Throwable cause) {
                System.err.println("failure: " + message);
            }
        };
        io.synapse.spi.ServiceWatcher watcher = new MarathonWatcherFactory().create(new io.synapse.spi.WatcherContext("timed", "x"),
                new MarathonConfig(TestConfigs.MAPPER.getNodeFactory().textNode(marathon.url()), "/bench/app-0", null, null, null, null),
                listener);
        try {
            watcher.start();
            long[] micros = new long[2 * changes];
            for (int i = 0; i < changes; i++) {
                String server = "10.8." + (i / 250 % 250) + "." + (i % 250 + 1) + ":" + (40000 + i % 20000);
                long start = System.nanoTime();
                String task = marathon.startTask("/bench/app-0", server.substring(0, server.indexOf(':')), 40000 + i % 20000);
                micros[2 * i] = (awaitSnapshot(snapshots, b -> b.stream().anyMatch(x -> x.address().equals(server))) - start) / 1000;
                start = System.nanoTime();
                marathon.killTask(task);
                micros[2 * i + 1] = (awaitSnapshot(snapshots, b -> b.stream().noneMatch(x -> x.address().equals(server))) - start) / 1000;
            }
            report("status_update_event (both)        -> watcher snapshot", micros);
        } finally {
            watcher.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static long awaitSnapshot(java.util.concurrent.BlockingQueue<Object[]> queue, Predicate<List<io.synapse.spi.Backend>> condition)
            throws InterruptedException {
        while (true) {
            Object[] s = queue.poll(60, TimeUnit.SECONDS);
            if (s == null) {
                throw new IllegalStateException("no matching snapshot within 60 s");
            }
            if (condition.test((List<io.synapse.spi.Backend>) s[1])) {
                return (Long) s[0];
            }
        }
    }

    /** Starts a task of one app, waits for it in haproxy.cfg, kills it, waits for it to leave. */
    private static void change(MarathonEmulator marathon, Path cfg, Object[] inode, int apps, int i, long[] micros) throws Exception {
        String app = "/bench/app-" + (i * 37 % apps);
        String host = "10.9." + (i / 250 % 250) + "." + (i % 250 + 1);
        int port = 40000 + i % 20000;
        String server = " " + host + ":" + port + " ";
        long start = System.nanoTime();
        String task = marathon.startTask(app, host, port);
        micros[0] = (awaitFile(cfg, inode, text -> text.contains(server)) - start) / 1000;
        start = System.nanoTime();
        marathon.killTask(task);
        micros[1] = (awaitFile(cfg, inode, text -> !text.contains(server)) - start) / 1000;
    }

    private static void report(String what, long[] micros) {
        long[] sorted = micros.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        System.out.printf(Locale.ROOT, "%s, %d changes: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", what, n, sorted[n / 2] / 1000.0,
                sorted[(int) Math.ceil(n * 0.99) - 1] / 1000.0, sorted[n - 1] / 1000.0);
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

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
