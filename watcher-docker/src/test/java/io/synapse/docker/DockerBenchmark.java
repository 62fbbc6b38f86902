package io.synapse.docker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.testing.FreePorts;
import io.synapse.testing.TestConfigs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

import static io.synapse.testing.TestConfigs.json;

/**
 * The docker watcher's speed against the real local engine: {@code --containers} containers (100)
 * started one after another, then stopped one after another, with synapse watching them through the
 * engine (haproxy generator, no reloads). For each change: the time from the engine's event ({@code
 * timeNano} of its {@code start} or {@code die} event, read from a separate event stream) to the new
 * {@code haproxy.cfg} on disk (found by polling the file's inode every 0.1 ms: the generator writes a
 * temporary file and renames it); and the Docker API calls the watcher made per change.
 *
 * <p>Run: {@code bin/benchmark watcher-docker io.synapse.docker.DockerBenchmark [--containers 100]}
 * (dockerd running; the busybox test image is made on first use).
 */
public final class DockerBenchmark {
    private static final int WARMUP = 5;

    private DockerBenchmark() {}

    public static void main(String[] args) throws Exception {
        int containers = intArg(args, "--containers", 100);
        System.out.printf(Locale.ROOT, "docker watcher benchmark: %d containers started then stopped, %d cores%n", containers,
                Runtime.getRuntime().availableProcessors());
        try (DockerFixture docker = DockerFixture.start()) {
            run(docker, containers);
        }
    }

    private static void run(DockerFixture docker, int count) throws Exception {
        String label = "io.synapse.bench=" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createTempDirectory("docker-bench");
        Path cfg = dir.resolve("haproxy.cfg");
        ObjectNode config = json("{'services': {'bench': {'use_previous_backends': false, 'haproxy': {'bind_address': '127.0.0.1'}}}}");
        ObjectNode bench = config.with("services").with("bench");
        bench.set("discovery", json("{'method': 'docker', 'socket': '" + DockerFixture.SOCKET + "', 'container_port': 80,"
                + " 'labels': ['" + label + "']}"));
        bench.with("haproxy").put("port", FreePorts.next());
        config.set("haproxy", TestConfigs.haproxyGlobal(dir));

        Endpoint local = Endpoint.unix(DockerFixture.SOCKET);
        Map<String, Long> started = new ConcurrentHashMap<>();
        Map<String, Long> died = new ConcurrentHashMap<>();
        List<String> ids = new ArrayList<>();
        try (DockerClient client = DockerHost.client(local, null, DockerHost.RESPONSE_TIMEOUT);
             ResultCallback.Adapter<Event> events = client.eventsCmd().withEventTypeFilter(EventType.CONTAINER)
                     .withEventFilter("start", "die").withLabelFilter(label).exec(new ResultCallback.Adapter<>() {
                         @Override
                         public void onNext(Event e) {
                             (Objects.equals(e.getAction(), "start") ? started : died).put(e.getActor().getId(), e.getTimeNano());
                         }
                     });
             Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath())) {
            events.awaitStarted(10, TimeUnit.SECONDS);
            synapse.start();
            if (!synapse.awaitInitialized(Duration.ofSeconds(60))) {
                throw new IllegalStateException("synapse not initialized");
            }
            // warm-up, not measured: a few containers through the whole path
            for (int i = 0; i < WARMUP; i++) {
                String id = create(client, label, "warmup-" + i);
                ids.add(id);
                client.startContainerCmd(id).exec();
                awaitEvent(started, id);
                client.stopContainerCmd(id).withTimeout(0).exec();
                awaitEvent(died, id);
            }
            try (var lease = DockerHost.HOSTS.acquire(local)) {
                DockerHost host = lease.get();
                // when the shared copy of the engine's containers gained or lost each container (the watcher's input)
                Map<String, Long> added = new ConcurrentHashMap<>();
                Map<String, Long> removed = new ConcurrentHashMap<>();
                java.util.Set<String> present = ConcurrentHashMap.newKeySet();
                DockerHost.Subscriber probe = new DockerHost.Subscriber() {
                    @Override
                    public double checkIntervalSeconds() {
                        return DockerWatcherFactory.DEFAULT_CHECK_INTERVAL;
                    }

                    @Override
                    public void onHostState(DockerHost.HostState state) {
                        long now = epochNanos();
                        if (state.containers() == null) {
                            return;
                        }
                        for (String id : state.containers().keySet()) {
                            if (present.add(id)) {
                                added.putIfAbsent(id, now);
                            }
                        }
                        for (String id : List.copyOf(present)) {
                            if (!state.containers().containsKey(id)) {
                                present.remove(id);
                                removed.putIfAbsent(id, now);
                            }
                        }
                    }
                };
                host.subscribe(probe);
                long callsBefore = host.apiCalls();
                long readsBefore = host.fullReads();
                long[] startMicros = new long[count];
                long[] stopMicros = new long[count];
                long[] startCopyMicros = new long[count];
                long[] stopCopyMicros = new long[count];
                Versions versions = new Versions(cfg);
                List<String> measured = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    String id = create(client, label, String.valueOf(i));
                    ids.add(id);
                    measured.add(id);
                    client.startContainerCmd(id).exec();
                    String port = ":" + client.inspectContainerCmd(id).exec().getNetworkSettings().getPorts().getBindings()
                            .get(ExposedPort.tcp(80))[0].getHostPortSpec() + " ";
                    long written = versions.await(awaitEvent(started, id), text -> text.contains(port));
                    startMicros[i] = (written - awaitEvent(started, id)) / 1000;
                    startCopyMicros[i] = (awaitEvent(added, id) - awaitEvent(started, id)) / 1000;
                }
                for (int i = 0; i < count; i++) {
                    String id = measured.get(i);
                    String port = ":" + client.inspectContainerCmd(id).exec().getNetworkSettings().getPorts().getBindings()
                            .get(ExposedPort.tcp(80))[0].getHostPortSpec() + " ";
                    client.stopContainerCmd(id).withTimeout(0).exec();
                    long written = versions.await(awaitEvent(died, id), text -> !text.contains(port));
                    stopMicros[i] = (written - awaitEvent(died, id)) / 1000;
                    stopCopyMicros[i] = (awaitEvent(removed, id) - awaitEvent(died, id)) / 1000;
                }
                host.unsubscribe(probe);
                versions.close();
                long calls = host.apiCalls() - callsBefore;
                long reads = host.fullReads() - readsBefore;
                report("start event -> watcher's copy", startCopyMicros);
                report("die event   -> watcher's copy", stopCopyMicros);
                report("start -> haproxy.cfg", startMicros);
                report("stop  -> haproxy.cfg", stopMicros);
                long[] all = Arrays.copyOf(startMicros, 2 * count);
                System.arraycopy(stopMicros, 0, all, count, count);
                report("all changes          ", all);
                System.out.printf(Locale.ROOT, "Docker API calls by the watcher: %d for %d changes = %.2f per change"
                        + " (%d of them periodic full reads)%n", calls, 2 * count, calls / (2.0 * count), reads);
            }
        } finally {
            docker.removeAll();
            for (String id : ids) {
                DockerFixture.exec(List.of("docker", "rm", "-f", id), 60);
            }
        }
    }

    private static String create(DockerClient client, String label, String i) {
        String[] kv = label.split("=", 2);
        return client.createContainerCmd(DockerFixture.IMAGE)
                .withLabels(Map.of(kv[0], kv[1], DockerFixture.TEST_LABEL, "bench"))
                .withExposedPorts(ExposedPort.tcp(80))
                .withHostConfig(HostConfig.newHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindIp("127.0.0.1"), ExposedPort.tcp(80))))
                .withCmd("httpd", "-f", "-p", "80", "-h", "/www")
                .withName("synapse-bench-" + label.substring(label.indexOf('=') + 1) + "-" + i)
                .exec().getId();
    }

    /**
     * Every version of haproxy.cfg with the time it was first seen: a thread polls the file's inode
     * every 0.1 ms (the generator writes a temporary file and renames it over the old one), so the time
     * does not depend on what the benchmark's main thread is doing.
     */
    private static final class Versions implements AutoCloseable {
        record Version(long seenNanos, String text) {}

        private final List<Version> versions = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Thread poller;
        private volatile boolean closed;

        Versions(Path cfg) {
            poller = new Thread(() -> {
                Object inode = fileKey(cfg);
                while (!closed) {
                    Object key = fileKey(cfg);
                    if (key != null && !key.equals(inode)) {
                        long seen = epochNanos();
                        inode = key;
                        try {
                            versions.add(new Version(seen, Files.readString(cfg)));
                        } catch (java.io.IOException e) {
                            inode = null; // replaced again meanwhile: read the next one
                        }
                    }
                    LockSupport.parkNanos(100_000);
                }
            }, "haproxy.cfg-poller");
            poller.setDaemon(true);
            poller.start();
        }

        /** When the first version written after {@code afterNanos} that passes {@code condition} was seen. */
        long await(long afterNanos, Predicate<String> condition) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                for (Version v : versions) {
                    if (v.seenNanos() >= afterNanos && condition.test(v.text())) {
                        return v.seenNanos();
                    }
                }
                LockSupport.parkNanos(1_000_000);
            }
            throw new IllegalStateException("haproxy.cfg did not change as expected within 60 s");
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            poller.join();
        }
    }

    private static long awaitEvent(Map<String, Long> events, String id) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Long t = events.get(id);
            if (t != null) {
                return t;
            }
            LockSupport.parkNanos(1_000_000);
        }
        throw new IllegalStateException("no event for " + id);
    }

    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static void report(String what, long[] micros) {
        long[] sorted = micros.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        System.out.printf(Locale.ROOT, "%s (%d changes): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", what, n,
                sorted[n / 2] / 1000.0, sorted[(int) Math.ceil(n * 0.99) - 1] / 1000.0, sorted[n - 1] / 1000.0);
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
