package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.spi.Backend;
import io.synapse.testing.FakeWatcherFactory;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import io.synapse.testing.HttpBackends;
import io.synapse.testing.HttpLoad;
import io.synapse.testing.TestConfigs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static io.synapse.testing.TestConfigs.json;

/**
 * Server churn through the runtime API, against a real master-worker HAProxy and local HTTP servers:
 * <ol>
 *   <li>the time from a watcher snapshot with a new backend to the first request that backend
 *       serves through HAProxy (the new server is alone in its backend, so the next request that
 *       reaches HAProxy after the change shows it), over {@code --changes} changes, while a second
 *       service churns (a random add, remove, re-address or re-weight per change) under a client
 *       loop that counts every failed request; and the reloads this took;
 *   <li>one server changed in a single service of {@code --big} backends: the time from the
 *       generator's update to the new haproxy.cfg on disk.
 * </ol>
 * {@code bin/benchmark synapse-core io.synapse.haproxy.RuntimeBenchmark [--changes 1000] [--big 100000] [--big-changes 50]}
 */
public final class RuntimeBenchmark {
    public static void main(String[] args) throws Exception {
        int changes = intArg(args, "--changes", 1000);
        int big = intArg(args, "--big", 100_000);
        int bigChanges = intArg(args, "--big-changes", 50);
        System.out.printf("load average before: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
        if (changes > 0) {
            churn(changes);
        }
        if (big > 0) {
            bigService(big, bigChanges);
        }
        System.out.printf("load average after: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
        System.exit(0);
    }

    private static void churn(int changes) throws Exception {
        Path dir = Files.createTempDirectory("runtime-bench");
        List<HttpBackends> pool = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            pool.add(HttpBackends.start("b" + i));
        }
        int probePort = FreePorts.next();
        int churnPort = FreePorts.next();
        Path cfg = dir.resolve("haproxy.cfg");
        Path sock = dir.resolve("haproxy.sock");
        Files.writeString(cfg, "global\n\tstats socket " + sock + " mode 600 level admin expose-fd listeners\n"
                + "defaults\n\tmode http\n\ttimeout connect 2s\n\ttimeout client 10s\n\ttimeout server 10s\n");
        ObjectNode config = json("{'services': {"
                + "'probe': {'discovery': {'method': 'fake', 'id': 'bench-probe'}, 'haproxy': {'bind_address': '127.0.0.1',"
                + "  'server_options': 'check inter 2s', 'listen': ['mode http', 'balance roundrobin']}},"
                + "'churn': {'discovery': {'method': 'fake', 'id': 'bench-churn'}, 'haproxy': {'bind_address': '127.0.0.1',"
                + "  'server_options': 'check inter 2s', 'listen': ['mode http', 'balance roundrobin']}}}}");
        config.with("services").with("probe").with("haproxy").put("port", probePort);
        config.with("services").with("churn").with("haproxy").put("port", churnPort);
        ObjectNode global = TestConfigs.haproxyGlobal(dir);
        global.put("do_reloads", true);
        global.put("master_socket_path", dir.resolve("master.sock").toString());
        global.put("do_socket", true);
        global.put("socket_file_path", sock.toString());
        global.put("use_nerve_weights", true);
        global.set("global", json("{'l': ['stats socket " + sock + " mode 600 level admin expose-fd listeners',"
                + " 'server-state-file " + dir.resolve("haproxy.state") + "', 'hard-stop-after 10s']}").get("l"));
        global.set("defaults", json("{'l': ['mode http', 'timeout connect 2s', 'timeout client 10s', 'timeout server 10s',"
                + " 'option redispatch', 'retries 3', 'option idle-close-on-response', 'load-server-state-from-file global']}").get("l"));
        config.set("haproxy", global);
        try (Haproxy.MasterWorker haproxy = Haproxy.startMasterWorker(cfg, dir.resolve("master.sock"));
                Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath())) {
            synapse.start();
            await(() -> FakeWatcherFactory.started("bench-probe") && FakeWatcherFactory.started("bench-churn"));
            FakeWatcherFactory.listener("bench-probe").onBackends(List.of(Backend.of("p0", "127.0.0.1", pool.get(0).port())));
            Map<String, Backend> churn = new LinkedHashMap<>();
            for (int i = 1; i <= 4; i++) {
                churn.put("c" + i, Backend.builder("127.0.0.1", pool.get(i).port()).name("c" + i).weight(100).build());
            }
            FakeWatcherFactory.listener("bench-churn").onBackends(List.copyOf(churn.values()));
            await(() -> HttpLoad.get(probePort).equals("200 b0") && HttpLoad.get(churnPort).startsWith("200 "));
            int reloadsBefore = haproxy.reloads();

            Random random = new Random(7);
            long[] latency = new long[changes];
            long probeRequests = 0;
            long probeFailed = 0;
            int nextChurnName = 5;
            int probe = 0;
            try (HttpLoad load = HttpLoad.start(churnPort, 1, 1)) {
                for (int i = 0; i < changes; i++) {
                    // the other service churns: a change that is not timed
                    churnStep(random, churn, pool, nextChurnName);
                    nextChurnName++;
                    FakeWatcherFactory.listener("bench-churn").onBackends(List.copyOf(churn.values()));
                    // the timed change: the probe service's only backend is replaced by another
                    probe = (probe + 1 + random.nextInt(7)) % 8;
                    HttpBackends target = pool.get(8 + probe);
                    List<Backend> next = List.of(Backend.of("p" + (i + 1), "127.0.0.1", target.port()));
                    long t0 = System.nanoTime();
                    FakeWatcherFactory.listener("bench-probe").onBackends(next);
                    while (true) {
                        String r;
                        try {
                            r = HttpLoad.get(probePort);
                        } catch (java.io.IOException e) {
                            r = "error " + e.getMessage();
                        }
                        probeRequests++;
                        if (r.equals("200 " + target.name())) {
                            latency[i] = System.nanoTime() - t0;
                            break;
                        }
                        if (!r.startsWith("200 ")) {
                            probeFailed++;
                        }
                    }
                }
                load.close();
                int reloads = haproxy.reloads() - reloadsBefore;
                Arrays.sort(latency);
                System.out.printf("runtime API churn: %d changes, master-worker HAProxy, stats socket%n", changes);
                System.out.printf("  snapshot -> first request served by the new backend: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                        pct(latency, 50), pct(latency, 90), pct(latency, 99), latency[latency.length - 1] / 1e6);
                System.out.printf("  reloads: %d (%.1f per 1,000 changes)%n", reloads, reloads * 1000.0 / changes);
                System.out.printf("  failed requests: %d of %d (client loop on the churning service, keep-alive and new connections)"
                        + " + %d of %d (probe requests)%n", load.failed(), load.ok() + load.failed(), probeFailed, probeRequests);
                if (load.failed() > 0) {
                    System.out.printf("  first failures: %s%n", load.failures());
                }
            }
        } finally {
            pool.forEach(HttpBackends::close);
            deleteTree(dir);
        }
    }

    /** One random change of the churning service (2 to 6 servers on pool ports 1-7). */
    private static void churnStep(Random random, Map<String, Backend> churn, List<HttpBackends> pool, int nextName) {
        List<Integer> free = new ArrayList<>();
        for (int i = 1; i < 8; i++) {
            int port = pool.get(i).port();
            if (churn.values().stream().noneMatch(b -> b.port() == port)) {
                free.add(port);
            }
        }
        List<String> names = new ArrayList<>(churn.keySet());
        int op = random.nextInt(4);
        if (op == 0 && (churn.size() >= 6 || free.isEmpty()) || op == 1 && churn.size() <= 2 || op == 2 && free.isEmpty()) {
            op = 3;
        }
        switch (op) {
            case 0 -> churn.put("c" + nextName, Backend.builder("127.0.0.1", free.get(random.nextInt(free.size())))
                    .name("c" + nextName).weight(100).build());
            case 1 -> churn.remove(names.get(random.nextInt(names.size())));
            case 2 -> {
                String name = names.get(random.nextInt(names.size()));
                churn.put(name, churn.get(name).toBuilder().port(free.get(random.nextInt(free.size()))).build());
            }
            default -> {
                String name = names.get(random.nextInt(names.size()));
                churn.put(name, churn.get(name).toBuilder().weight(1 + random.nextInt(256)).build());
            }
        }
    }

    private static void bigService(int backends, int rounds) throws Exception {
        Path dir = Files.createTempDirectory("runtime-bench-big");
        ObjectNode global = json("{'do_reloads': false, 'do_socket': false, 'global': ['maxconn 100000'],"
                + " 'defaults': ['mode http', 'timeout connect 5s', 'timeout client 30s', 'timeout server 30s']}");
        global.put("config_file_path", dir.resolve("haproxy.cfg").toString());
        global.put("max_server_id", 1_000_000);
        Map<String, JsonNode> sections = new LinkedHashMap<>();
        sections.put("big", json("{'port': 10000, 'server_options': 'check inter 2s rise 2 fall 3',"
                + " 'listen': ['mode http', 'option httpchk GET /health', 'balance roundrobin']}"));
        List<Backend> list = new ArrayList<>(backends);
        for (int b = 0; b < backends; b++) {
            list.add(Backend.builder("10." + (b / 62500) + "." + (b / 250 % 250) + "." + (1 + b % 250), 8080)
                    .name("i-" + Integer.toHexString(0x100000 + b)).build());
        }
        HaproxyGenerator generator = Generators.create(global, sections);
        ObjectNode noWrites = global.deepCopy();
        noWrites.put("do_writes", false);
        HaproxyGenerator renderOnly = Generators.create(noWrites, sections);
        long t0 = System.nanoTime();
        generator.update(Generators.all(sections, Map.of("big", List.copyOf(list))));
        long first = System.nanoTime() - t0;
        renderOnly.update(Generators.all(sections, Map.of("big", List.copyOf(list))));
        long[] one = new long[rounds];
        long[] render = new long[rounds];
        long[] write = new long[rounds];
        byte[] copy = Files.readAllBytes(dir.resolve("haproxy.cfg"));
        Random random = new Random(3);
        for (int r = -5; r < rounds; r++) {
            // one server leaves, another one comes
            list.set(random.nextInt(list.size()), Backend.builder("10.200." + (r + 5) / 250 + "." + (1 + (r + 5) % 250), 9000)
                    .name("new-" + (r + 5)).build());
            List<Backend> snapshot = List.copyOf(list);
            t0 = System.nanoTime();
            generator.update(Generators.state(sections, Map.of("big", snapshot), Set.of("big")));
            long t1 = System.nanoTime();
            renderOnly.update(Generators.state(sections, Map.of("big", snapshot), Set.of("big")));
            long t2 = System.nanoTime();
            io.synapse.output.AtomicFiles.write(dir.resolve("copy.cfg"), copy);
            long t3 = System.nanoTime();
            if (r >= 0) {
                one[r] = t1 - t0;
                render[r] = t2 - t1;
                write[r] = t3 - t2;
            }
        }
        long bytes = Files.size(dir.resolve("haproxy.cfg"));
        Arrays.sort(one);
        Arrays.sort(render);
        Arrays.sort(write);
        System.out.printf("one service of %,d backends (%.1f MB file, default shuffled order):%n", backends, bytes / 1e6);
        System.out.printf("  first render + write: %.0f ms%n", first / 1e6);
        System.out.printf("  one server changed -> haproxy.cfg on disk: p50 %.1f ms, p90 %.1f ms, max %.1f ms (n=%d after 5 warm-up)%n",
                pct(one, 50), pct(one, 90), one[one.length - 1] / 1e6, rounds);
        System.out.printf("  of which: the same change without writing p50 %.1f ms, p90 %.1f ms;"
                + " an atomic write of the same bytes alone p50 %.1f ms, p90 %.1f ms%n",
                pct(render, 50), pct(render, 90), pct(write, 50), pct(write, 90));
        generator.close();
        renderOnly.close();
        deleteTree(dir);
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).ignoreExceptions().until(condition);
    }

    private static double pct(long[] sorted, int percentile) {
        int i = Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    private static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static int intArg(String[] args, String name, int def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return def;
    }
}
