package io.synapse.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.config.ServiceConfig;
import io.synapse.config.SynapseConfig;
import io.synapse.engine.Engine;
import io.synapse.spi.Backend;
import io.synapse.spi.ConfigGenerator;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import io.synapse.spi.WatcherFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * N simulated synapse hosts in this JVM: each one a real {@link Engine} with the same services,
 * its own registry client (a watcher factory with its own pool: see {@link Registry#hostFactory}),
 * and an in-memory generator instead of files.
 *
 * <p>Why not {@code file_output}: a thousand hosts writing (and fsyncing) a file per service on
 * one shared disk would measure the disk, not the registry; the in-memory generator receives
 * exactly what {@code file_output} and {@code haproxy} receive (the engine's merged state, after
 * its settle window and dispatch), so every part of synapse but the file write is exercised.
 */
final class Fleet implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final String GENERATOR = "memory";

    private final Registry registry;
    private final List<String> services;
    private final Convergence tracker;
    private final SynapseConfig template;
    private final List<Engine> engines = new ArrayList<>();
    private final List<MemoryOutput> outputs = new ArrayList<>();

    Fleet(Registry registry, List<String> services, Convergence tracker, Path scratch) throws Exception {
        this.registry = registry;
        this.services = List.copyOf(services);
        this.tracker = tracker;
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode svc = root.putObject("services");
        for (String s : services) {
            svc.putObject(s).set("discovery", registry.discovery(s));
        }
        root.putObject("file_output").put("output_directory", scratch.toString());
        // parsed and validated once, as bin/synapse would; each host gets its own watcher factory and generator
        template = new ConfigLoader(Plugins.fromClasspath()).load(root, scratch, new ConfigProblems());
        template.generators().values().forEach(ConfigGenerator::close);
    }

    int size() {
        return engines.size();
    }

    /**
     * Starts {@code count} more hosts, {@code wave} at a time, each wave's engines waiting for their
     * first complete output before the next wave starts (as a fleet rolls out, not all at once).
     */
    void start(int count, int wave, Duration timeout) throws InterruptedException {
        int first = engines.size();
        for (int from = first; from < first + count; from += wave) {
            int to = Math.min(first + count, from + wave);
            for (int host = from; host < to; host++) {
                Engine engine = new Engine(hostConfig(host));
                engines.add(engine);
                engine.start();
                registry.hostStarted(host);
            }
            for (int host = from; host < to; host++) {
                if (!engines.get(host).awaitInitialized(timeout)) {
                    throw new IllegalStateException("host " + host + " not initialized within " + timeout.toSeconds() + " s: "
                            + engines.get(host).uninitializedServices());
                }
            }
        }
    }

    private SynapseConfig hostConfig(int host) {
        WatcherFactory<?> factory = registry.hostFactory(host);
        MemoryOutput output = new MemoryOutput(host, tracker);
        outputs.add(output);
        Map<String, ServiceConfig> mine = new LinkedHashMap<>();
        for (ServiceConfig sc : template.services().values()) {
            mine.put(sc.name(), new ServiceConfig(sc.name(), sc.method(), factory, sc.watcherConfig(), sc.labelFilters(),
                    sc.defaultServers(), sc.keepDefaultServers(), sc.usePreviousBackends(), sc.backendPortOverride(),
                    sc.leaderElection(), Map.of(GENERATOR, MAPPER.createObjectNode())));
        }
        return new SynapseConfig(mine, Map.of(GENERATOR, output), null);
    }

    /** What host {@code host}'s output shows now: service to {@code host:port}s. */
    Map<String, Set<String>> output(int host) {
        return outputs.get(host).current();
    }

    /** Hosts whose output differs from {@code registry}, with the first difference of each. */
    List<String> mismatches(Map<String, Set<String>> registryContents) {
        List<String> out = new ArrayList<>();
        for (int host = 0; host < outputs.size(); host++) {
            Map<String, Set<String>> mine = output(host);
            for (String s : services) {
                Set<String> want = registryContents.getOrDefault(s, Set.of());
                Set<String> have = mine.getOrDefault(s, Set.of());
                if (!want.equals(have)) {
                    Set<String> lost = new TreeSet<>(want);
                    lost.removeAll(have);
                    Set<String> stale = new TreeSet<>(have);
                    stale.removeAll(want);
                    out.add("host " + host + " service " + s + ": missing " + lost + ", stale " + stale);
                    break;
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        // many at once: each close waits for its dispatcher and for ZooKeeper to commit the end of its session
        // (one fsync'd transaction; the leader commits concurrent ones together), so two cores' worth of
        // threads would close a thousand hosts one fsync at a time
        ExecutorService closers = Executors.newFixedThreadPool(64);
        engines.forEach(engine -> closers.execute(engine::close));
        closers.shutdown();
        if (!closers.awaitTermination(10, TimeUnit.MINUTES)) {
            System.out.println("fleet: engines still closing after 10 minutes");
        }
    }

    /** The in-memory generator: remembers each service's backends and reports what changed to the tracker. */
    static final class MemoryOutput implements ConfigGenerator {
        private final int host;
        private final Convergence tracker;
        private final Map<String, Set<String>> current = new HashMap<>();

        MemoryOutput(int host, Convergence tracker) {
            this.host = host;
            this.tracker = tracker;
        }

        @Override
        public synchronized void update(GeneratorState state) {
            long now = System.nanoTime();
            for (String service : state.changed()) {
                ServiceView view = state.services().get(service);
                if (view == null) {
                    current.remove(service);
                    continue;
                }
                Set<String> ids = new HashSet<>(view.backends().size() * 2);
                for (Backend b : view.backends()) {
                    ids.add(b.host() + ":" + b.port());
                }
                Set<String> before = current.getOrDefault(service, Set.of());
                for (String id : ids) {
                    if (!before.contains(id)) {
                        tracker.seen(host, id, true, now);
                    }
                }
                for (String id : before) {
                    if (!ids.contains(id)) {
                        tracker.seen(host, id, false, now);
                    }
                }
                current.put(service, ids);
            }
        }

        synchronized Map<String, Set<String>> current() {
            Map<String, Set<String>> copy = new LinkedHashMap<>();
            current.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
            return copy;
        }
    }
}
