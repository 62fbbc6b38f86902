package io.synapse.ec2tag;

import io.synapse.common.concurrent.SharedResources;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.synapse.Synapse;
import io.synapse.ec2tag.Ec2Emulator.Inst;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherListener;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code bin/benchmark watcher-ec2tag io.synapse.ec2tag.Ec2TagBenchmark [--services 100]
 * [--interval 0.2] [--intervals 10] [--instances 50] [--changes 20]}
 *
 * <ol>
 *   <li>DescribeInstances calls made by {@code services} watchers over {@code intervals}
 *       intervals, for 1, 10 and {@code services} distinct filters (target: one call per distinct
 *       filter per interval; without sharing it would be one per service per interval);</li>
 *   <li>the time from a change in the emulator to the listener snapshot (every service of the
 *       changed query), with the change made at a random point of the interval;</li>
 *   <li>the same to haproxy.cfg on disk through the engine.</li>
 * </ol>
 */
public final class Ec2TagBenchmark {
    private Ec2TagBenchmark() {}

    public static void main(String[] args) throws Exception {
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        ((Logger) LoggerFactory.getLogger("io.synapse")).setLevel(Level.WARN);
        int services = intArg(args, "--services", 100);
        double interval = doubleArg(args, "--interval", 0.2);
        int intervals = intArg(args, "--intervals", 10);
        int instances = intArg(args, "--instances", 50);
        int changes = intArg(args, "--changes", 20);
        System.out.printf(Locale.ROOT, "ec2tag benchmark: %d services, interval %.2f s, %d intervals, %d instances per query%n",
                services, interval, intervals, instances);

        for (int distinct : new int[] {1, 10, services}) {
            calls(services, distinct, interval, intervals, instances);
        }
        listenerLatency(services, interval, instances, changes);
        engineLatency(services, interval, instances, changes);
        System.exit(0);
    }

    private static void calls(int services, int distinct, double interval, int intervals, int instances) throws Exception {
        try (Ec2Emulator emulator = Ec2Emulator.start()) {
            for (int g = 0; g < distinct; g++) {
                for (int i = 0; i < instances; i++) {
                    emulator.put(Inst.running("i-g" + g + "n" + i, "10." + (g / 250) + "." + (g % 250) + "." + (i + 1), Map.of("servicename", "g" + g)));
                }
            }
            SharedResources<PollerKey, Ec2Poller> registry = Ec2TagWatcherFactory.pollers();
            Ec2TagWatcherFactory factory = new Ec2TagWatcherFactory(registry, name -> null);
            List<ServiceWatcher> watchers = new ArrayList<>();
            List<RecordingListener> listeners = new ArrayList<>();
            for (int s = 0; s < services; s++) {
                RecordingListener listener = new RecordingListener();
                listeners.add(listener);
                ServiceWatcher watcher = factory.create(new WatcherContext("s" + s, "services.s" + s + ".discovery"),
                        TestSupport.emulated(emulator.endpoint(), interval, "{\"tag_value\": \"g" + (s % distinct) + "\"}"), listener);
                watchers.add(watcher);
                watcher.start();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (listeners.stream().anyMatch(l -> l.last() == null) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            int before = emulator.calls();
            Thread.sleep(Math.round(interval * intervals * 1000));
            int made = emulator.calls() - before;
            watchers.forEach(ServiceWatcher::close);
            System.out.printf(Locale.ROOT,
                    "calls: %3d services, %3d distinct queries, %d intervals: %4d DescribeInstances calls (%.1f per query per interval; one per service would be %d); %d pollers%n",
                    services, distinct, intervals, made, made / (double) distinct / intervals, services * intervals, distinct);
        }
    }

    /** Records when each instance id first appears in a snapshot. */
    private static final class FirstSeen implements WatcherListener {
        final Map<String, Long> seen = new ConcurrentHashMap<>();
        volatile boolean initialized;

        @Override
        public void onBackends(List<Backend> backends) {
            long now = System.nanoTime();
            backends.forEach(b -> seen.putIfAbsent(b.name(), now));
            initialized = true;
        }

        @Override
        public void onFailure(String message, Throwable cause) {}
    }

    private static void listenerLatency(int services, double interval, int instances, int changes) throws Exception {
        try (Ec2Emulator emulator = Ec2Emulator.start()) {
            for (int i = 0; i < instances; i++) {
                emulator.put(Inst.running("i-base" + i, "10.1.0." + (i + 1), Map.of("servicename", "true")));
            }
            SharedResources<PollerKey, Ec2Poller> registry = Ec2TagWatcherFactory.pollers();
            Ec2TagWatcherFactory factory = new Ec2TagWatcherFactory(registry, name -> null);
            List<ServiceWatcher> watchers = new ArrayList<>();
            List<FirstSeen> listeners = new ArrayList<>();
            for (int s = 0; s < services; s++) {
                FirstSeen listener = new FirstSeen();
                listeners.add(listener);
                ServiceWatcher watcher = factory.create(new WatcherContext("s" + s, "services.s" + s + ".discovery"),
                        TestSupport.emulated(emulator.endpoint(), interval, null), listener);
                watchers.add(watcher);
                watcher.start();
            }
            while (listeners.stream().anyMatch(l -> !l.initialized)) {
                Thread.sleep(5);
            }
            Random random = new Random(42);
            double[] first = new double[changes];
            double[] all = new double[changes];
            for (int c = 0; c < changes; c++) {
                Thread.sleep(Math.round(random.nextDouble() * interval * 1000));
                String id = "i-new" + c;
                long t0 = System.nanoTime();
                emulator.put(Inst.running(id, "10.2.0." + (c + 1), Map.of("servicename", "true")));
                while (listeners.stream().anyMatch(l -> !l.seen.containsKey(id))) {
                    Thread.sleep(1);
                }
                first[c] = listeners.stream().mapToLong(l -> l.seen.get(id)).min().orElseThrow() - t0;
                all[c] = listeners.stream().mapToLong(l -> l.seen.get(id)).max().orElseThrow() - t0;
            }
            watchers.forEach(ServiceWatcher::close);
            System.out.println("change -> listener snapshot (first service): " + summary(first));
            System.out.println("change -> listener snapshot (all " + services + " services): " + summary(all));
        }
    }

    private static void engineLatency(int services, double interval, int instances, int changes) throws Exception {
        Path dir = Files.createTempDirectory("ec2tag-bench");
        Path cfg = dir.resolve("haproxy.cfg");
        try (Ec2Emulator emulator = Ec2Emulator.start()) {
            for (int i = 0; i < instances; i++) {
                emulator.put(Inst.running("i-base" + i, "10.1.0." + (i + 1), Map.of("servicename", "true")));
            }
            StringBuilder json = new StringBuilder("{\"services\": {");
            for (int s = 0; s < services; s++) {
                json.append(s == 0 ? "" : ",").append(String.format(Locale.ROOT, """
                        "s%d": {"discovery": {"method": "ec2tag", "tag_name": "servicename", "tag_value": "true",
                                "aws_region": "us-east-1", "aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "dummy",
                                "endpoint": "%s", "check_interval": %s},
                                "backend_port_override": "8080",
                                "haproxy": {"server_options": "check"}}""", s, emulator.endpoint(), interval));
            }
            json.append("}, \"haproxy\": {\"config_file_path\": \"").append(cfg)
                    .append("\", \"do_reloads\": false, \"do_socket\": false, \"global\": [\"maxconn 100\"],"
                            + " \"defaults\": [\"mode http\", \"timeout connect 5s\", \"timeout client 30s\", \"timeout server 30s\"]}}");
            Path config = dir.resolve("synapse.conf.json");
            Files.writeString(config, json);
            try (Synapse synapse = Synapse.fromFile(config)) {
                synapse.start();
                if (!synapse.awaitInitialized(Duration.ofSeconds(60))) {
                    System.out.println("engine: not initialized within 60 s: " + synapse.uninitializedServices());
                    return;
                }
                Random random = new Random(7);
                double[] latency = new double[changes];
                for (int c = 0; c < changes; c++) {
                    Thread.sleep(Math.round(random.nextDouble() * interval * 1000));
                    String address = " 10.3.0." + (c + 1) + ":8080";
                    long t0 = System.nanoTime();
                    emulator.put(Inst.running("i-eng" + c, "10.3.0." + (c + 1), Map.of("servicename", "true")));
                    // every one of the services has the new server in the file on disk
                    while (count(cfg, address) < services) {
                        Thread.sleep(1);
                    }
                    latency[c] = System.nanoTime() - t0;
                }
                System.out.println("change -> haproxy.cfg on disk (all " + services + " services, through the engine): " + summary(latency));
            }
        }
    }

    private static int count(Path file, String needle) {
        try {
            String text = Files.readString(file);
            int n = 0;
            for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
                n++;
            }
            return n;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String summary(double[] nanos) {
        double[] ms = Arrays.stream(nanos).map(n -> n / 1e6).sorted().toArray();
        return String.format(Locale.ROOT, "n=%d min %.1f ms, p50 %.1f ms, p90 %.1f ms, max %.1f ms",
                ms.length, ms[0], ms[ms.length / 2], ms[(int) Math.min(ms.length - 1, Math.ceil(ms.length * 0.9) - 1)], ms[ms.length - 1]);
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }

    private static double doubleArg(String[] args, String name, double fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Double.parseDouble(args[i + 1]);
            }
        }
        return fallback;
    }
}
