package io.synapse.dns;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.synapse.Synapse;
import io.synapse.common.concurrent.SharedResources;
import io.synapse.dns.testing.Knot;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code bin/benchmark watcher-dns io.synapse.dns.DnsBenchmark [--services 500] [--names 500]
 * [--targets 3] [--ttl 5] [--seconds 30] [--changes 20]}
 *
 * <p>A real Knot serves {@code names} SRV names (each with {@code targets} SRV records whose
 * targets' A records come in the additional section), all with TTL {@code ttl}; {@code services}
 * services (service i asks name i mod names) run through the engine into one haproxy.cfg. It
 * prints:
 * <ol>
 *   <li>queries per second sent to the nameserver over {@code seconds} (one query per name per
 *       TTL expected: names / ttl), and the CPU used by the synapse JVM and by knotd meanwhile;</li>
 *   <li>the time from a record change (knsupdate started at a random point of the TTL) to
 *       haproxy.cfg on disk holding it, for {@code changes} changes (target: at most TTL + 100 ms).</li>
 * </ol>
 */
public final class DnsBenchmark {
    private DnsBenchmark() {}

    public static void main(String[] args) throws Exception {
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        ((Logger) LoggerFactory.getLogger("io.synapse")).setLevel(Arrays.asList(args).contains("--verbose") ? Level.TRACE : Level.WARN);
        int services = intArg(args, "--services", 500);
        int names = intArg(args, "--names", services);
        int targets = intArg(args, "--targets", 3);
        int ttl = intArg(args, "--ttl", 5);
        int seconds = intArg(args, "--seconds", 30);
        int changes = intArg(args, "--changes", 20);
        System.out.printf(Locale.ROOT, "dns benchmark: %d services, %d SRV names x %d targets, TTL %d s, one nameserver (knotd)%n",
                services, names, targets, ttl);

        StringBuilder zone = new StringBuilder();
        for (int n = 0; n < names; n++) {
            for (int t = 0; t < targets; t++) {
                zone.append(String.format(Locale.ROOT, "h%d-%d %d IN A 10.%d.%d.%d%n", n, t, ttl, n / 250, n % 250, t + 1));
                zone.append(String.format(Locale.ROOT, "_s%d._tcp %d IN SRV 10 %d %d h%d-%d%n", n, ttl, 10 * (t + 1), 8000 + t, n, t));
            }
        }
        Path dir = Files.createTempDirectory("dns-bench");
        Path cfg = dir.resolve("haproxy.cfg");
        try (Knot knot = Knot.start("bench.kw", zone.toString())) {
            StringBuilder json = new StringBuilder("{\"services\": {");
            for (int s = 0; s < services; s++) {
                json.append(s == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "\"s%d\": {\"discovery\": {\"method\": \"dns\", \"srv\": \"_s%d._tcp.bench.kw\", \"nameserver\": \"%s\"},"
                                + " \"haproxy\": {\"server_options\": \"check\"}}", s, s % names, knot.address()));
            }
            json.append("}, \"haproxy\": {\"config_file_path\": \"").append(cfg)
                    .append("\", \"do_reloads\": false, \"do_socket\": false, \"global\": [\"maxconn 100\"],"
                            + " \"defaults\": [\"mode http\", \"timeout connect 5s\", \"timeout client 30s\", \"timeout server 30s\"]}}");
            Path config = dir.resolve("synapse.conf.json");
            Files.writeString(config, json);
            long loadNanos = System.nanoTime();
            try (Synapse synapse = Synapse.fromFile(config)) {
                long startNanos = System.nanoTime();
                synapse.start();
                if (!synapse.awaitInitialized(Duration.ofSeconds(60))) {
                    System.out.println("not initialized within 60 s: " + synapse.uninitializedServices().size() + " services missing");
                    return;
                }
                System.out.printf(Locale.ROOT, "config loaded in %.0f ms; start -> first complete haproxy.cfg (%d KB): %.0f ms (a cold JVM)%n",
                        (startNanos - loadNanos) / 1e6, Files.size(cfg) / 1024, (System.nanoTime() - startNanos) / 1e6);
                // one TTL to warm up before measuring
                Thread.sleep(ttl * 1000L);

                ResolverKey key = new ResolverKey(List.of(knot.socketAddress()), Duration.ofSeconds((long) DnsWatcherFactory.DEFAULT_TIMEOUT));
                try (SharedResources.Lease<ResolverKey, DnsClient> client = DnsClient.SHARED.acquire(key)) {
                    steadyState(client.get(), knot, seconds, names, ttl);
                    changeLatency(knot, cfg, names, ttl, changes);
                }
            }
        }
        System.exit(0);
    }

    private static void steadyState(DnsClient client, Knot knot, int seconds, int names, int ttl) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long queries0 = client.queriesSent();
        long cpu0 = os.getProcessCpuTime();
        long knotCpu0 = knotCpuNanos(knot);
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long wall = System.nanoTime() - t0;
        long queries = client.queriesSent() - queries0;
        double cpu = (os.getProcessCpuTime() - cpu0) / (double) wall * 100;
        double knotCpu = (knotCpuNanos(knot) - knotCpu0) / (double) wall * 100;
        System.out.printf(Locale.ROOT, "steady state over %d s: %d queries = %.1f queries/s (one per name per TTL: %.1f/s); %d polls;"
                        + " CPU synapse JVM %.1f %% of one core, knotd %.1f %%%n",
                seconds, queries, queries / (wall / 1e9), names / (double) ttl, client.polls(), cpu, knotCpu);
    }

    private static void changeLatency(Knot knot, Path cfg, int names, int ttl, int changes) throws Exception {
        if (changes <= 0) {
            return;
        }
        Random random = new Random(42);
        double[] latency = new double[changes];
        double[] fromStart = new double[changes];
        double[] knsupdate = new double[changes];
        for (int c = 0; c < changes; c++) {
            Thread.sleep(Math.round(random.nextDouble() * ttl * 1000));
            int name = random.nextInt(names);
            int port = 20000 + c;
            String needle = ":" + port + " ";
            long t0 = System.nanoTime();
            knot.update(String.format(Locale.ROOT, "update add _s%d._tcp.bench.kw. %d SRV 10 10 %d h%d-0.bench.kw.", name, ttl, port, name));
            long t1 = System.nanoTime();
            while (!Files.readString(cfg).contains(needle)) {
                Thread.sleep(1);
            }
            long t2 = System.nanoTime();
            latency[c] = (t2 - t1) / 1e6;
            fromStart[c] = (t2 - t0) / 1e6;
            knsupdate[c] = (t1 - t0) / 1e6;
        }
        System.out.printf(Locale.ROOT, "record change (knsupdate done: the zone has it) -> haproxy.cfg on disk, %d changes: %s"
                + " (target: TTL + 100 ms = %d ms)%n", changes, summary(latency), ttl * 1000 + 100);
        System.out.printf(Locale.ROOT, "  the same from knsupdate started: %s; knsupdate itself: %s%n", summary(fromStart), summary(knsupdate));
    }

    private static String summary(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "p50 %.0f ms, p90 %.0f ms, max %.0f ms",
                percentile(sorted, 50), percentile(sorted, 90), sorted[sorted.length - 1]);
    }

    /** utime + stime of knotd from /proc, in nanoseconds (0 when unreadable). */
    private static long knotCpuNanos(Knot knot) {
        try {
            String stat = Files.readString(Path.of("/proc/" + knot.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * 10_000_000L; // USER_HZ is 100 on Linux
        } catch (Exception e) {
            return 0;
        }
    }

    private static double percentile(double[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
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
