package io.synapse.nerve;

import com.sun.management.OperatingSystemMXBean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Nerve under load: N services (default 500) with one tcp check each against real local listeners,
 * checked every second (fall 1), registering into an in-JVM ZooKeeper TestingServer. Nerve itself
 * runs as a child JVM (as in production) so its CPU can be measured alone.
 *
 * <p>Prints: time to register all services; nerve's CPU over a steady-state window that starts
 * {@code --warmup} seconds after the last registration (the JIT compiler's work is done by then)
 * (the child's CPU time from {@link ProcessHandle}, the threads that used it from /proc, plus this
 * harness's own from {@link OperatingSystemMXBean});
 * then, for {@code --failures} services closed one at a time at random phases, the time from the
 * listener closing to the ZooKeeper node being gone (p50 / p90 / p99 / max; target p99 at most the
 * check interval + 100 ms); and the SIGTERM-to-exit time with the remaining registrations.
 *
 * <pre>
 * BENCH_NO_BUILD=1 bin/benchmark nerve-reporter io.synapse.nerve.NerveBenchmark [--services 500]
 *     [--interval 1] [--warmup 15] [--measure 20] [--failures 400] [--gap-ms 40] [--verify-interval SECONDS]
 * </pre>
 */
public final class NerveBenchmark {
    private NerveBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        int services = Integer.parseInt(opts.getOrDefault("services", "500"));
        double interval = Double.parseDouble(opts.getOrDefault("interval", "1"));
        int measureSeconds = Integer.parseInt(opts.getOrDefault("measure", "20"));
        int warmupSeconds = Integer.parseInt(opts.getOrDefault("warmup", "15"));
        int failures = Math.min(services, Integer.parseInt(opts.getOrDefault("failures", Integer.toString(services * 4 / 5))));
        int gapMs = Integer.parseInt(opts.getOrDefault("gap-ms", "40"));
        String verify = opts.get("verify-interval"); // nerve's default (10 s) when absent

        Path dir = Files.createTempDirectory("nerve-bench");
        try (TestingServer zk = new TestingServer(true);
             Listeners listeners = new Listeners(services);
             CuratorFramework reader = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
            reader.start();
            reader.create().creatingParentsIfNeeded().forPath("/bench");
            Map<String, Long> deleted = new ConcurrentHashMap<>();
            Map<String, String> registered = new ConcurrentHashMap<>();
            CuratorCache cache = CuratorCache.build(reader, "/bench");
            cache.listenable().addListener(CuratorCacheListener.builder()
                    .forCreates(node -> {
                        String service = serviceOf(node.getPath());
                        if (service != null) {
                            registered.put(service, node.getPath());
                        }
                    })
                    .forDeletes(node -> {
                        String service = serviceOf(node.getPath());
                        if (service != null) {
                            deleted.putIfAbsent(service, System.nanoTime());
                            registered.remove(service, node.getPath());
                        }
                    })
                    .build());
            cache.start();

            StringBuilder json = new StringBuilder("{\"instance_id\": \"bench-1\", "
                    + (verify == null ? "" : "\"verify_interval\": " + verify + ", ") + "\"services\": {");
            for (int i = 0; i < services; i++) {
                json.append(i == 0 ? "" : ",").append("\"s").append(i).append("\": {\"host\": \"127.0.0.1\", \"port\": ")
                        .append(listeners.port(i)).append(", \"zk_hosts\": [\"").append(zk.getConnectString())
                        .append("\"], \"zk_path\": \"/bench/s").append(i).append("\", \"check_interval\": ").append(interval)
                        .append(", \"checks\": [{\"type\": \"tcp\", \"timeout\": 0.5, \"fall\": 1, \"rise\": 1}]}");
            }
            json.append("}}");
            Path config = dir.resolve("nerve.json");
            Files.writeString(config, json);
            Path log = dir.resolve("nerve.log");

            long launched = System.nanoTime();
            Process nerve = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-cp", System.getProperty("java.class.path"), NerveMain.class.getName(), "-c", config.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                waitFor(() -> registered.size() == services, Duration.ofSeconds(120), "all services registered", log);
                System.out.printf("services: %d, tcp check every %.2f s, fall 1; nerve child JVM pid %d%n",
                        services, interval, nerve.pid());
                System.out.printf("all %d registered %d ms after launch (includes JVM start)%n", services,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - launched));

                // steady state CPU
                park(Duration.ofSeconds(warmupSeconds));
                Map<String, Long> threadCpu0 = threadCpu(nerve.pid());
                OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                Duration childCpu0 = nerve.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
                long ownCpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                park(Duration.ofSeconds(measureSeconds));
                long wall = System.nanoTime() - t0;
                Duration childCpu = nerve.toHandle().info().totalCpuDuration().orElse(Duration.ZERO).minus(childCpu0);
                long ownCpu = os.getProcessCpuTime() - ownCpu0;
                Map<String, Long> threadCpu = threadCpu(nerve.pid());
                System.out.printf("steady state over %d s: nerve CPU %.1f%% of one core (%.2f%% of the %d-core machine), "
                                + "%.0f checks/s, verify_interval %s s, %s threads; harness (ZooKeeper + listeners) CPU %.1f%% "
                                + "of one core, load now %.2f%n",
                        measureSeconds, 100.0 * childCpu.toNanos() / wall,
                        100.0 * childCpu.toNanos() / wall / os.getAvailableProcessors(), os.getAvailableProcessors(),
                        services / interval, verify == null ? "10" : verify, threads(nerve.pid()), 100.0 * ownCpu / wall,
                        os.getSystemLoadAverage());
                System.out.println("  by thread: " + byThread(threadCpu0, threadCpu, wall));
                if (registered.size() != services) {
                    System.out.printf("WARNING: only %d of %d registered during the steady state%n", registered.size(), services);
                }

                // fall=1 latency: close listeners one by one, at random phases against the check schedule
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < services; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, new Random(42));
                Map<String, Long> failedAt = new ConcurrentHashMap<>();
                Random jitter = new Random(7);
                for (int k = 0; k < failures; k++) {
                    int i = order.get(k);
                    failedAt.put("s" + i, listeners.close(i));
                    park(Duration.ofMillis(gapMs / 2 + jitter.nextInt(gapMs + 1)));
                }
                waitFor(() -> failedAt.keySet().stream().allMatch(deleted::containsKey),
                        Duration.ofSeconds(30), "failed services deregistered", log);
                List<Long> latencies = new ArrayList<>();
                for (Map.Entry<String, Long> e : failedAt.entrySet()) {
                    latencies.add(TimeUnit.NANOSECONDS.toMillis(deleted.get(e.getKey()) - e.getValue()));
                }
                Collections.sort(latencies);
                long target = Math.round(interval * 1000) + 100;
                long p99 = percentile(latencies, 99);
                System.out.printf("check failure -> registration gone, %d failures: p50 %d ms, p90 %d ms, p99 %d ms, max %d ms "
                                + "(target p99 <= %d ms: %s)%n", latencies.size(), percentile(latencies, 50),
                        percentile(latencies, 90), p99, latencies.get(latencies.size() - 1), target,
                        p99 <= target ? "met" : "MISSED");

                // SIGTERM with the remaining registrations
                int remaining = registered.size();
                long term = System.nanoTime();
                nerve.destroy();
                boolean exited = nerve.waitFor(10, TimeUnit.SECONDS);
                long exitMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - term);
                waitFor(registered::isEmpty, Duration.ofSeconds(15), "registrations removed after SIGTERM", log);
                System.out.printf("SIGTERM with %d registrations: %s in %d ms (code %s), all gone %d ms after the signal%n",
                        remaining, exited ? "exited" : "NOT exited", exitMs, exited ? nerve.exitValue() : "-",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - term));
                cache.close();
            } finally {
                nerve.destroyForcibly();
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** CPU ticks (1/100 s) per thread name of process {@code pid}, numbers stripped ("nerve-worker-7" -> "nerve-worker"). */
    private static Map<String, Long> threadCpu(long pid) {
        Map<String, Long> ticks = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip().replaceAll("[-#]?\\d+$", "");
                    String stat = Files.readString(task.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum); // utime + stime
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return ticks;
    }

    /** The threads' shares of one core between two {@link #threadCpu} samples, largest first (threads that ended are not counted). */
    private static String byThread(Map<String, Long> before, Map<String, Long> after, long wallNanos) {
        double seconds = wallNanos / 1e9;
        return after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(8)
                .map(e -> String.format("%s %.1f%%", e.getKey(), e.getValue() / seconds))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** The number of threads of process {@code pid}, from /proc ("?" where there is none). */
    private static String threads(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Threads:")) {
                    return line.substring("Threads:".length()).strip();
                }
            }
        } catch (IOException e) {
            return "?";
        }
        return "?";
    }

    private static String serviceOf(String path) {
        String[] parts = path.split("/");
        return parts.length == 4 ? parts[2] : null;
    }

    private static long percentile(List<Long> sorted, int p) {
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }

    private static void park(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            LockSupport.parkNanos(end - System.nanoTime());
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout, String what, Path log)
            throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                String text = Files.readString(log);
                throw new IllegalStateException("timed out waiting for " + what + "; nerve log tail:\n"
                        + text.substring(Math.max(0, text.length() - 4000)));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new ConcurrentHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            out.put(args[i].substring(2), args[i + 1]);
        }
        return out;
    }

    /** N listening sockets served by one selector thread that accepts and closes every connection. */
    private static final class Listeners implements AutoCloseable {
        private final Selector selector;
        private final List<ServerSocketChannel> channels = new ArrayList<>();
        private final ConcurrentLinkedQueue<Object[]> toClose = new ConcurrentLinkedQueue<>();
        private final Thread thread;
        private volatile boolean running = true;

        Listeners(int n) throws IOException {
            selector = Selector.open();
            for (int i = 0; i < n; i++) {
                ServerSocketChannel c = ServerSocketChannel.open();
                c.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_ACCEPT);
                channels.add(c);
            }
            thread = new Thread(this::loop, "bench-listeners");
            thread.setDaemon(true);
            thread.start();
        }

        int port(int i) {
            return channels.get(i).socket().getLocalPort();
        }

        /** Closes listener i (in the selector thread) and returns the nanoTime at which it was closed. */
        long close(int i) throws InterruptedException {
            Object[] request = {channels.get(i), null};
            toClose.add(request);
            selector.wakeup();
            synchronized (request) {
                while (request[1] == null) {
                    request.wait();
                }
            }
            return (Long) request[1];
        }

        private void loop() {
            while (running) {
                try {
                    selector.select(100);
                    for (SelectionKey key : selector.selectedKeys()) {
                        if (key.isValid() && key.isAcceptable()) {
                            SocketChannel s;
                            while ((s = ((ServerSocketChannel) key.channel()).accept()) != null) {
                                s.close();
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                    Object[] request;
                    while ((request = toClose.poll()) != null) {
                        ServerSocketChannel c = (ServerSocketChannel) request[0];
                        c.keyFor(selector).cancel();
                        c.close();
                        selector.selectNow(); // completes the deregistration, which releases the socket
                        synchronized (request) {
                            request[1] = System.nanoTime();
                            request.notifyAll();
                        }
                    }
                } catch (java.nio.channels.ClosedSelectorException e) {
                    return;
                } catch (IOException e) {
                    // keep serving the others
                }
            }
        }

        @Override
        public void close() throws IOException {
            running = false;
            selector.wakeup();
            for (ServerSocketChannel c : channels) {
                c.close();
            }
            selector.close();
        }
    }
}
