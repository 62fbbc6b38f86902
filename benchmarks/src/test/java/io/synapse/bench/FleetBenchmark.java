package io.synapse.bench;

import com.sun.management.OperatingSystemMXBean;
import io.synapse.common.registry.NerveRegistration;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The fleet simulation: N synapse hosts (default 1,000), each a real engine with its own registry
 * client, watching the same services (default 20 of 50 backends) on a real 3-member ZooKeeper
 * ensemble and, separately, a real 3-member etcd cluster on loopback, while nerve-like writers
 * replace every backend in a rolling deploy. Then one member is killed and restarted while a batch
 * changes, and (ZooKeeper) the quorum is lost for longer than the session timeout.
 *
 * <p>Reports, per registry and N: registry reads, watches and bytes per change per engine; the
 * servers' CPU and memory; how long a change takes to reach every engine's output; whether every
 * output equals the registry at the end. The figures and what they mean: docs/scaling.md.
 *
 * <pre>
 * bin/benchmark fleet [--registry zookeeper|etcd|both] [--engines 1000 | --engines 100,1000]
 *     [--services 20] [--backends 50] [--batch 5] [--step-ms 1000] [--deploy-services 20] [--scenarios deploy,restart,expiry]
 *     [--down-ms 5000] [--outage-ms 36000] [--wave 100] [--writers 4] [--zk-heap 1g] [--timeout-s 180]
 * </pre>
 */
public final class FleetBenchmark {
    private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Map<String, String> opts;
    private final int services;
    private final int backends;
    private final int batch;
    /** How many of the services the deploy replaces (all by default): fewer make a slower pace affordable. */
    private final int deployServices;
    private final long stepMs;
    private final int writers;
    private final int wave;
    private final long downMs;
    private final Duration timeout;
    private final List<String> scenarios;
    private final List<String> summary = new ArrayList<>();

    private FleetBenchmark(Map<String, String> opts) {
        this.opts = opts;
        services = Integer.parseInt(opts.getOrDefault("services", "20"));
        backends = Integer.parseInt(opts.getOrDefault("backends", "50"));
        batch = Integer.parseInt(opts.getOrDefault("batch", "5"));
        deployServices = Integer.parseInt(opts.getOrDefault("deploy-services", Integer.toString(services)));
        if (deployServices < 1 || deployServices > services) {
            throw new IllegalArgumentException("--deploy-services must be 1-" + services);
        }
        stepMs = Long.parseLong(opts.getOrDefault("step-ms", "1000"));
        writers = Integer.parseInt(opts.getOrDefault("writers", "4"));
        wave = Integer.parseInt(opts.getOrDefault("wave", "100"));
        downMs = Long.parseLong(opts.getOrDefault("down-ms", "5000"));
        timeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("timeout-s", "180")));
        scenarios = List.of(opts.getOrDefault("scenarios", "deploy,restart,expiry").split(","));
        if (backends % batch != 0) {
            throw new IllegalArgumentException("--backends must be a multiple of --batch");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        FleetBenchmark bench = new FleetBenchmark(opts);
        String which = opts.getOrDefault("registry", "both");
        List<String> registries = which.equals("both") ? List.of("zookeeper", "etcd") : List.of(which.split(","));
        int[] sizes = Arrays.stream(opts.getOrDefault("engines", "1000").split(",")).mapToInt(Integer::parseInt).toArray();
        System.out.printf("fleet simulation: %s; %s engines; %d services x %d backends; deploy batches of %d every %d ms; "
                        + "%d CPUs, load %.1f at start%n", registries, Arrays.toString(sizes), bench.services, bench.backends,
                bench.batch, bench.stepMs, OS.getAvailableProcessors(), OS.getSystemLoadAverage());
        for (String registry : registries) {
            for (int n : sizes) {
                bench.run(registry, n);
            }
        }
        System.out.println();
        System.out.println("| registry | engines | reads / engine / change | watch events / engine / change | bytes / engine / change "
                + "| server CPU (% of a core, deploy) | server memory (RSS, 3 members) | write call -> engine p50 / p99 / max (ms) "
                + "| acknowledged write -> engine p50 / p99 / max (ms) | write call -> 99 % of engines p50 / p99 / max (ms) "
                + "| changes in 99 % of engines within 1 s of the ack | lost / stale at end |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        bench.summary.forEach(System.out::println);
        System.exit(0);
    }

    // ---------------------------------------------------------------- one run

    private void run(String registryName, int engines) throws Exception {
        System.out.printf("%n=== %s, %d engines (load %.1f) ===%n", registryName, engines, OS.getSystemLoadAverage());
        Path scratch = Files.createTempDirectory("fleet");
        List<String> names = new ArrayList<>();
        for (int s = 0; s < services; s++) {
            names.add("s" + s);
        }
        try (Registry registry = registryName.equals("zookeeper")
                ? new ZooKeeperRegistry(writers, opts.getOrDefault("zk-heap", "1g"))
                : new EtcdRegistry(writers)) {
            // the initial backends, registered before the hosts start
            String[][] handles = new String[services][backends];
            int[][] generation = new int[services][backends];
            for (int s = 0; s < services; s++) {
                for (int b = 0; b < backends; b++) {
                    handles[s][b] = registry.register(names.get(s), registration(s, 0, b));
                }
            }
            Convergence tracker = new Convergence(engines);
            Registry.ServerSample beforeStart = registry.sample();
            long startNanos = System.nanoTime();
            try (Fleet fleet = new Fleet(registry, names, tracker, scratch)) {
                fleet.start(engines, wave, timeout);
                long started = System.nanoTime() - startNanos;
                Registry.ServerSample afterStart = registry.sample();
                Map<String, Double> startDelta = afterStart.since(beforeStart);
                System.out.printf("start: %d engines initialized in %.1f s (waves of %d); registry served %s; threads in this JVM: %d%n",
                        engines, started / 1e9, wave, readsSummary(registryName, startDelta),
                        ManagementFactory.getThreadMXBean().getThreadCount());
                System.out.printf("steady state: %s%n", gauges(registryName, afterStart));

                String deployRow = "";
                if (scenarios.contains("deploy")) {
                    deployRow = deploy(registry, registryName, fleet, tracker, names, handles, generation, engines);
                }
                if (scenarios.contains("restart")) {
                    restart(registry, registryName, tracker, names, handles, generation, engines, false);
                    restart(registry, registryName, tracker, names, handles, generation, engines, true);
                }
                if (scenarios.contains("expiry") && registry instanceof ZooKeeperRegistry zk) {
                    expiry(zk, tracker, names, handles, generation, engines);
                }
                // nothing lost or stale at the end (once the writers registered again what lost sessions took)
                if (!registry.awaitWriters(timeout)) {
                    System.out.printf("end: the writers had not registered again within %d s%n", timeout.toSeconds());
                }
                EndCheck end = awaitOutputs(fleet, registry, names);
                List<String> mismatches = end.mismatches();
                System.out.printf("end: %d of %d engines' outputs equal the registry (%d backends)%s%n",
                        engines - mismatches.size(), engines, end.contents().values().stream().mapToInt(Set::size).sum(),
                        mismatches.isEmpty() ? "" : "; first differences: " + mismatches.subList(0, Math.min(5, mismatches.size())));
                if (!deployRow.isEmpty()) {
                    summary.add(deployRow + (mismatches.isEmpty() ? "0 / 0 |" : mismatches.size() + " engines differ |"));
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(scratch)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The registry as last read, and the engines whose output differed from it. */
    private record EndCheck(Map<String, Set<String>> contents, List<String> mismatches) {}

    /**
     * Waits (up to the timeout) for every output to equal the registry, reading the registry again
     * at every try (a writer may still be registering again after a lost session).
     */
    private EndCheck awaitOutputs(Fleet fleet, Registry registry, List<String> names) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, Set<String>> contents = registry.contents(names);
            List<String> m = fleet.mismatches(contents);
            if (m.isEmpty() || System.nanoTime() > deadline) {
                return new EndCheck(contents, m);
            }
            park(1000);
        }
    }

    // ---------------------------------------------------------------- the rolling deploy

    private String deploy(Registry registry, String registryName, Fleet fleet, Convergence tracker, List<String> names,
                          String[][] handles, int[][] generation, int engines) throws Exception {
        int batches = backends / batch;
        int steps = batches * deployServices;
        System.out.printf("deploy: every backend of %s replaced, %d steps (a step: %d new registrations of one service, then "
                + "%d old ones removed), one step every %d ms, services in turn%n",
                deployServices == services ? "every service" : deployServices + " of the " + services + " services",
                steps, batch, batch, stepMs);
        Registry.ServerSample before = registry.sample();
        Registry.ClientCounts clientsBefore = registry.clientCounts();
        long simCpuBefore = OS.getProcessCpuTime();
        AtomicLong peakRss = new AtomicLong();
        Thread sampler = sampler(registry, peakRss);
        long t0 = System.nanoTime();
        List<Convergence.Change> changes = new ArrayList<>();
        int step = 0;
        for (int k = 0; k < batches; k++) {
            for (int s = 0; s < deployServices; s++) {
                long due = t0 + TimeUnit.MILLISECONDS.toNanos(stepMs) * step++;
                parkUntil(due);
                changes.addAll(replace(registry, tracker, names, handles, generation, s, k * batch, batch));
            }
        }
        long written = System.nanoTime() - t0;
        boolean complete = await(() -> Convergence.allComplete(changes), timeout);
        long wall = System.nanoTime() - t0;
        sampler.interrupt();
        sampler.join();
        long simCpu = OS.getProcessCpuTime() - simCpuBefore;
        Registry.ServerSample after = registry.sample();
        Map<String, Double> delta = after.since(before);
        Registry.ClientCounts clients = clientsBefore == null ? null : registry.clientCounts().minus(clientsBefore);
        double perEngineChange = (double) engines * changes.size();

        System.out.printf("deploy: %d changes written in %.1f s, all reached every engine after %.1f s%s%n", changes.size(),
                written / 1e9, wall / 1e9, complete ? "" : " (INCOMPLETE: " + incomplete(changes) + ")");
        Latencies lat = latencies(changes, engines);
        System.out.printf("  change -> engine output (%d pairs), from before the write call: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
                        + "max %.1f ms; from the write's acknowledgement: p50 %.1f ms, p99 %.1f ms, max %.1f ms; the write alone "
                        + "p50 %.1f ms, p99 %.1f ms%n", lat.pairs.length,
                ms(pct(lat.pairs, 50)), ms(pct(lat.pairs, 90)), ms(pct(lat.pairs, 99)), ms(max(lat.pairs)),
                ms(pct(lat.acked, 50)), ms(pct(lat.acked, 99)), ms(max(lat.acked)), ms(pct(lat.writes, 50)), ms(pct(lat.writes, 99)));
        System.out.printf("  change -> 99 %% of engines (from before the write call): p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
                        + "in 99 %% of the engines within 1 s of its acknowledgement: %.1f %% of changes%n",
                ms(pct(lat.to99, 50)), ms(pct(lat.to99, 99)), ms(max(lat.to99)), lat.within1s * 100);
        System.out.printf("  change -> all engines:     p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                ms(pct(lat.toAll, 50)), ms(pct(lat.toAll, 99)), ms(max(lat.toAll)));
        double reads;
        double watchEvents;
        double bytes;
        if (registryName.equals("zookeeper")) {
            reads = clients.reads() / perEngineChange;
            watchEvents = (delta.getOrDefault("zk_sum_node_children_watch_count", 0.0)
                    + delta.getOrDefault("zk_sum_node_created_watch_count", 0.0)
                    + delta.getOrDefault("zk_sum_node_deleted_watch_count", 0.0)
                    + delta.getOrDefault("zk_sum_node_changed_watch_count", 0.0)) / perEngineChange;
            bytes = delta.getOrDefault("zk_response_bytes", 0.0) / perEngineChange;
            System.out.printf("  client side (Curator traces): %.3f reads per engine per change (%.3f child listings + %.3f data reads"
                            + " + %.3f exists), %.3f set a watch; the busiest engine made %d reads for %d changes%n", reads,
                    clients.listings() / perEngineChange, clients.dataReads() / perEngineChange, clients.exists() / perEngineChange,
                    clients.withWatch() / perEngineChange, clients.maxHostReads(), changes.size());
            System.out.printf("  server side (mntr, 3 members): %.0f reads (%.3f per engine per change), %.0f writes, %.3f watch "
                            + "notifications and %.0f response bytes per engine per change, %.0f packets received%n",
                    delta.getOrDefault("zk_cnt_readlatency", 0.0), delta.getOrDefault("zk_cnt_readlatency", 0.0) / perEngineChange,
                    delta.getOrDefault("zk_cnt_updatelatency", 0.0), watchEvents, bytes,
                    delta.getOrDefault("zk_packets_received", 0.0));
        } else {
            reads = delta.getOrDefault("calls_Range", 0.0) / perEngineChange;
            watchEvents = delta.getOrDefault("watch_messages_sent", 0.0) / perEngineChange;
            bytes = delta.getOrDefault("bytes_sent", 0.0) / perEngineChange;
            System.out.printf("  server side (/metrics, 3 members): %.0f Range calls (%.3f per engine per change), %.0f puts, "
                            + "%.0f deletes, %.3f watch messages and %.0f bytes sent per engine per change, %.0f watch streams opened%n",
                    delta.getOrDefault("calls_Range", 0.0), reads, delta.getOrDefault("calls_Put", 0.0),
                    delta.getOrDefault("calls_DeleteRange", 0.0), watchEvents, bytes,
                    delta.getOrDefault("watch_streams_opened", 0.0));
        }
        double serverCpu = delta.getOrDefault("cpu_seconds", 0.0);
        System.out.printf("  registry CPU: %.1f s over %.1f s = %.0f %% of one core (3 members together), %.2f ms per change; "
                        + "RSS peak %.0f MB (3 members); this JVM (%d engines + writers) %.1f s CPU = %.0f %% of one core%n",
                serverCpu, wall / 1e9, 100 * serverCpu / (wall / 1e9), 1000 * serverCpu / changes.size(), peakRss.get() / 1e6,
                engines, simCpu / 1e9, 100.0 * simCpu / wall);
        System.out.printf("  after: %s%n", gauges(registryName, after));
        return String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.0f | %.0f %% | %.0f MB | %.0f / %.0f / %.0f | %.0f / %.0f / %.0f | %.0f / %.0f / %.0f | %.1f %% | ",
                registryName, engines, reads, watchEvents, bytes, 100 * serverCpu / (wall / 1e9), peakRss.get() / 1e6,
                ms(pct(lat.pairs, 50)), ms(pct(lat.pairs, 99)), ms(max(lat.pairs)),
                ms(pct(lat.acked, 50)), ms(pct(lat.acked, 99)), ms(max(lat.acked)),
                ms(pct(lat.to99, 50)), ms(pct(lat.to99, 99)), ms(max(lat.to99)), lat.within1s * 100);
    }

    /** Replaces {@code count} backends of service {@code s} from index {@code from}: the new ones register, then the old ones go. */
    private List<Convergence.Change> replace(Registry registry, Convergence tracker, List<String> names, String[][] handles,
                                             int[][] generation, int s, int from, int count) throws Exception {
        List<Convergence.Change> changes = new ArrayList<>();
        String service = names.get(s);
        String[] old = new String[count];
        for (int j = 0; j < count; j++) {
            int b = from + j;
            NerveRegistration next = registration(s, generation[s][b] + 1, b);
            Convergence.Change c = tracker.expect(service, next.host() + ":" + next.port(), true);
            c.start = System.nanoTime();
            old[j] = handles[s][b];
            handles[s][b] = registry.register(service, next);
            c.written = System.nanoTime();
            changes.add(c);
        }
        for (int j = 0; j < count; j++) {
            int b = from + j;
            NerveRegistration gone = registration(s, generation[s][b], b);
            Convergence.Change c = tracker.expect(service, gone.host() + ":" + gone.port(), false);
            c.start = System.nanoTime();
            registry.deregister(service, old[j]);
            c.written = System.nanoTime();
            changes.add(c);
            generation[s][b]++;
        }
        return changes;
    }

    /** Backend {@code b} of service {@code s}, deploy generation {@code g}: a distinct host and port per generation. */
    private static NerveRegistration registration(int s, int g, int b) {
        return NerveRegistration.of("10." + s + "." + (g % 250) + "." + (b % 250 + 1), 8000 + g, "i-" + s + "-" + g + "-" + b);
    }

    // ---------------------------------------------------------------- a member restarted

    private void restart(Registry registry, String registryName, Convergence tracker, List<String> names,
                         String[][] handles, int[][] generation, int engines, boolean leader) throws Exception {
        int member = leader ? registry.leader() : registry.busiestFollower();
        Registry.ServerSample before = registry.sample();
        Registry.ClientCounts clientsBefore = registry.clientCounts();
        String tag = leader ? "restart leader: " : "restart follower: ";
        System.out.printf(tag + "member %d (%s) killed (SIGKILL) for %d ms while one batch of %s changes, then restarted%n",
                member, leader ? "the leader" : "the follower with the most clients", downMs, names.get(0));
        long t0 = System.nanoTime();
        Series series = new Series(registry, t0);
        registry.kill(member);
        park(downMs / 2);
        List<Convergence.Change> changes = replace(registry, tracker, names, handles, generation, 0, leader ? batch : 0, batch);
        parkUntil(t0 + TimeUnit.MILLISECONDS.toNanos(downMs));
        registry.restart(member);
        long restarted = System.nanoTime() - t0;
        boolean complete = await(() -> Convergence.allComplete(changes), timeout);
        long converged = lastSeen(changes) - t0;
        // the re-syncs that follow: count until 20 s after the restart
        parkUntil(t0 + restarted + TimeUnit.SECONDS.toNanos(20));
        List<Long> perSecond = trim(series.stop());
        Registry.ServerSample after = registry.sample();
        Map<String, Double> delta = after.since(before);
        Latencies lat = latencies(changes, engines);
        System.out.printf(tag + "serving again %.1f s after the kill; the batch written during the outage reached every engine %s%.1f s "
                        + "after the kill (p99 over engines %.0f ms after its write)%n", restarted / 1e9,
                complete ? "" : "(INCOMPLETE: " + incomplete(changes) + ") ", converged / 1e9, ms(pct(lat.pairs, 99)));
        if (clientsBefore != null) {
            Registry.ClientCounts reads = registry.clientCounts().minus(clientsBefore);
            System.out.printf(tag + "reads from the kill to 20 s after the restart: %d (%d listings, %d data reads, %d exists) = %.1f "
                            + "per engine, the busiest engine %d; reads per second from the kill: %s%n", reads.reads(),
                    reads.listings(), reads.dataReads(), reads.exists(), (double) reads.reads() / engines, reads.maxHostReads(),
                    perSecond);
        } else {
            System.out.printf(tag + "Range calls from the kill to 20 s after the restart: %.0f (%.2f per engine), watch streams "
                            + "opened %.0f; Range calls per second from the kill: %s%n", delta.getOrDefault("calls_Range", 0.0),
                    delta.getOrDefault("calls_Range", 0.0) / engines, delta.getOrDefault("watch_streams_opened", 0.0), perSecond);
        }
        System.out.printf(tag + "registry CPU %.1f s; after: %s%n", delta.getOrDefault("cpu_seconds", 0.0), gauges(registryName, after));
    }

    // ---------------------------------------------------------------- quorum lost past the session timeout (ZooKeeper)

    private void expiry(ZooKeeperRegistry registry, Convergence tracker, List<String> names,
                        String[][] handles, int[][] generation, int engines) throws Exception {
        long outageMs = Long.parseLong(opts.getOrDefault("outage-ms", "36000"));
        Registry.ClientCounts clientsBefore = registry.clientCounts();
        Registry.ServerSample before = registry.sample();
        int leader = registry.leader();
        int follower = (leader + 1) % registry.members();
        System.out.printf("expiry: the leader and a follower stopped for %d ms (the engines' 30 s sessions expire; the writers' 40 s "
                + "sessions survive unless the restart takes longer; a writer with a new session registers again, as nerve does), "
                + "then restarted%n", outageMs);
        long t0 = System.nanoTime();
        registry.kill(leader);
        registry.kill(follower);
        park(outageMs);
        long restartAt = System.nanoTime();
        Series series = new Series(registry, restartAt);
        registry.restartNoWait(leader);
        registry.restartNoWait(follower);
        registry.restart(leader);
        registry.restart(follower);
        long serving = System.nanoTime() - restartAt;
        // a batch after the recovery must reach every engine
        List<Convergence.Change> changes = replace(registry, tracker, names, handles, generation, 1, 0, batch);
        boolean complete = await(() -> Convergence.allComplete(changes), timeout);
        long converged = lastSeen(changes) - restartAt;
        parkUntil(restartAt + TimeUnit.SECONDS.toNanos(40));
        List<Long> perSecond = trim(series.stop());
        Registry.ClientCounts reads = registry.clientCounts().minus(clientsBefore);
        Map<String, Double> delta = registry.sample().since(before);
        System.out.printf("expiry: quorum serving %.1f s after the restart; a batch written then reached every engine %s%.1f s after "
                + "the restart%n", serving / 1e9, complete ? "" : "(INCOMPLETE: " + incomplete(changes) + ") ", converged / 1e9);
        System.out.printf("expiry: reads in the 40 s after the restart: %d (%d listings, %d data reads, %d exists) = %.1f per engine; "
                        + "reads per second: %s; registry CPU %.1f s; %.0f s from the stop to here%n", reads.reads(), reads.listings(),
                reads.dataReads(), reads.exists(), (double) reads.reads() / engines, perSecond,
                delta.getOrDefault("cpu_seconds", 0.0), (System.nanoTime() - t0) / 1e9);
        System.out.printf("expiry: registrations the writers made again on new sessions: %d%n", registry.reRegistered());
    }

    /**
     * Reads per second from {@code start}: counted client-side where the registry can (ZooKeeper),
     * else the servers' Range calls (etcd; a member that restarts counts from zero).
     */
    private static final class Series {
        private final Thread thread;
        private final List<Long> perSecond = java.util.Collections.synchronizedList(new ArrayList<>());

        Series(Registry registry, long start) {
            thread = new Thread(() -> {
                Registry.ClientCounts lastClients = registry.clientCounts();
                Registry.ServerSample lastServer = lastClients == null ? registry.sample() : null;
                for (int i = 1; !Thread.currentThread().isInterrupted(); i++) {
                    long due = start + TimeUnit.SECONDS.toNanos(i);
                    long left;
                    while ((left = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(left);
                        if (Thread.currentThread().isInterrupted()) {
                            return;
                        }
                    }
                    if (lastClients != null) {
                        Registry.ClientCounts now = registry.clientCounts();
                        perSecond.add(now.minus(lastClients).reads());
                        lastClients = now;
                    } else {
                        Registry.ServerSample now = registry.sample();
                        perSecond.add(Math.round(now.since(lastServer).getOrDefault("calls_Range", 0.0)));
                        lastServer = now;
                    }
                }
            }, "fleet-series");
            thread.setDaemon(true);
            thread.start();
        }

        List<Long> stop() throws InterruptedException {
            thread.interrupt();
            thread.join();
            synchronized (perSecond) {
                return new ArrayList<>(perSecond);
            }
        }
    }

    // ---------------------------------------------------------------- figures

    /**
     * @param pairs every (change, engine): from before the write call to the engine's output
     * @param acked the same from the write's acknowledgement (0 when the engine was first)
     * @param to99 per change: until 99 % of the engines' outputs show it (from before the write call)
     * @param toAll per change: until every engine's output shows it
     * @param writes per change: the write call alone
     * @param within1s the share of changes in 99 % of the engines within 1 s of the write's acknowledgement
     */
    private record Latencies(long[] pairs, long[] acked, long[] to99, long[] toAll, long[] writes, double within1s) {}

    private static Latencies latencies(List<Convergence.Change> changes, int engines) {
        List<Long> pairs = new ArrayList<>();
        List<Long> acked = new ArrayList<>();
        long[] to99 = new long[changes.size()];
        long[] toAll = new long[changes.size()];
        long[] writes = new long[changes.size()];
        int within = 0;
        for (int i = 0; i < changes.size(); i++) {
            Convergence.Change c = changes.get(i);
            long[] mine = new long[engines];
            for (int e = 0; e < engines; e++) {
                long seen = c.seen.get(e);
                mine[e] = seen == Convergence.UNSEEN ? Long.MAX_VALUE : Math.max(0, seen - c.start);
                if (seen != Convergence.UNSEEN) {
                    pairs.add(mine[e]);
                    acked.add(Math.max(0, seen - c.written));
                }
            }
            Arrays.sort(mine);
            to99[i] = pct(mine, 99);
            toAll[i] = mine[engines - 1];
            writes[i] = c.written - c.start;
            if (to99[i] - writes[i] <= TimeUnit.SECONDS.toNanos(1)) {
                within++;
            }
        }
        long[] p = pairs.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(p);
        long[] a = acked.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        Arrays.sort(to99);
        Arrays.sort(toAll);
        Arrays.sort(writes);
        return new Latencies(p, a, to99, toAll, writes, changes.isEmpty() ? 0 : (double) within / changes.size());
    }

    /** When the last engine's output showed the last of {@code changes}. */
    private static long lastSeen(List<Convergence.Change> changes) {
        long last = 0;
        boolean any = false;
        for (Convergence.Change c : changes) {
            for (int e = 0; e < c.seen.length(); e++) {
                long seen = c.seen.get(e);
                if (seen != Convergence.UNSEEN && (!any || seen - last > 0)) {
                    last = seen;
                    any = true;
                }
            }
        }
        return any ? last : System.nanoTime();
    }

    /** The per-second counts up to the last non-zero one. */
    private static List<Long> trim(List<Long> perSecond) {
        int end = perSecond.size();
        while (end > 0 && perSecond.get(end - 1) == 0) {
            end--;
        }
        return perSecond.subList(0, end);
    }

    private static String incomplete(List<Convergence.Change> changes) {
        long missing = changes.stream().filter(c -> !c.complete()).count();
        return missing + " changes not seen by every engine";
    }

    private static String readsSummary(String registry, Map<String, Double> d) {
        if (registry.equals("zookeeper")) {
            return String.format(Locale.ROOT, "%.0f reads, %.0f sessions created, CPU %.1f s",
                    d.getOrDefault("zk_cnt_readlatency", 0.0), d.getOrDefault("zk_connection_request_count", 0.0),
                    d.getOrDefault("cpu_seconds", 0.0));
        }
        return String.format(Locale.ROOT, "%.0f Range calls, %.0f watch streams, CPU %.1f s", d.getOrDefault("calls_Range", 0.0),
                d.getOrDefault("watch_streams_opened", 0.0), d.getOrDefault("cpu_seconds", 0.0));
    }

    private static String gauges(String registry, Registry.ServerSample s) {
        if (registry.equals("zookeeper")) {
            return String.format(Locale.ROOT, "%.0f connections, %.0f watches, %.0f znodes, data %.0f KB, RSS %.0f MB (3 members)",
                    s.sum("zk_num_alive_connections"), s.sum("zk_watch_count"), s.max("zk_znode_count"),
                    s.max("zk_approximate_data_size") / 1e3, s.sum("rss") / 1e6);
        }
        return String.format(Locale.ROOT, "%.0f watch streams, %.0f watchers, heap in use %.0f MB, RSS %.0f MB (3 members)",
                s.sum("watch_streams"), s.sum("watchers"), s.sum("heap_inuse") / 1e6, s.sum("rss") / 1e6);
    }

    /** Samples the servers' resident memory every second; keeps the peak. */
    private static Thread sampler(Registry registry, AtomicLong peak) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long rss = (long) registry.sample().sum("rss");
                peak.accumulateAndGet(rss, Math::max);
                try {
                    Thread.sleep(1000); // a sampling period, not a wait for a condition
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "fleet-rss-sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static long pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }

    private static long max(long[] sorted) {
        return sorted.length == 0 ? 0 : sorted[sorted.length - 1];
    }

    private static double ms(long nanos) {
        return nanos == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : nanos / 1e6;
    }

    private static boolean await(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            park(20);
        }
        return true;
    }

    private static void park(long ms) {
        parkUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms));
    }

    private static void parkUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            out.put(args[i].substring(2), args[i + 1]);
        }
        return out;
    }
}
