package io.synapse.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.common.zookeeper.ZooKeeperClients;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.spi.WatcherFactory;
import io.synapse.zookeeper.ZookeeperWatcherFactory;
import org.apache.curator.drivers.AdvancedTracerDriver;
import org.apache.curator.drivers.EventTrace;
import org.apache.curator.drivers.OperationTrace;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real 3-member ZooKeeper ensemble ({@link ZooKeeperProcesses}); hosts use the {@code zookeeper}
 * watcher, writers create ephemeral sequential children with nerve's JSON as nerve does.
 *
 * <p>Client-side counts come from a Curator tracer installed on each host's connection (every
 * operation the watcher issues, whether it set a watch, the size of the data it got); the server
 * side from {@code mntr} summed over the members.
 */
final class ZooKeeperRegistry implements Registry {
    static final String ROOT = "/fleet";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** mntr values that are counters (deltas are meaningful) or gauges; all are summed over members. */
    static final List<String> MNTR = List.of("zk_packets_received", "zk_packets_sent", "zk_bytes_received_count",
            "zk_response_bytes", "zk_cnt_readlatency", "zk_cnt_updatelatency", "zk_sum_node_children_watch_count",
            "zk_sum_node_created_watch_count", "zk_sum_node_deleted_watch_count", "zk_sum_node_changed_watch_count",
            "zk_watch_count", "zk_num_alive_connections", "zk_approximate_data_size", "zk_outstanding_requests",
            "zk_znode_count", "zk_ephemerals_count", "zk_connection_request_count", "zk_max_client_response_size",
            "zk_request_throttle_wait_count", "zk_connection_drop_count");

    private final ZooKeeperProcesses servers;
    private final CuratorFramework admin;
    private final List<CuratorFramework> writers = new ArrayList<>();
    private final Map<Integer, ZooKeeperClients> pools = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> counters = new ConcurrentHashMap<>();
    private final ZooKeeperEnsemble ensemble;
    /** What the writers registered, by handle: re-created after a writer's session expiry, as nerve does. */
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();
    private final AtomicLong reRegistered = new AtomicLong();
    private final ExecutorService reRegistrar;
    private final ExecutorService creators = Executors.newFixedThreadPool(32, r -> {
        Thread t = new Thread(r, "fleet-writers-create");
        t.setDaemon(true);
        return t;
    });
    /** Per writer: its session now, and the session its registrations were last made again for. */
    private final long[] sessions;
    private final long[] registeredFor;

    /** One writer's registration: its writer, what was registered and the node it is now. */
    private record Live(int writer, String service, NerveRegistration registration, String path) {}

    ZooKeeperRegistry(int writerSessions, String heap) throws Exception {
        servers = ZooKeeperProcesses.start(3, heap);
        ensemble = ZooKeeperEnsemble.of(servers.hosts(), null);
        admin = client();
        admin.create().creatingParentsIfNeeded().forPath(ROOT);
        sessions = new long[writerSessions];
        registeredFor = new long[writerSessions];
        reRegistrar = Executors.newFixedThreadPool(writerSessions, r -> {
            Thread t = new Thread(r, "fleet-writers-reregister");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < writerSessions; i++) {
            CuratorFramework writer = client();
            int index = i;
            sessions[i] = registeredFor[i] = sessionId(writer);
            // nerve re-creates its registrations on a new session; so do the simulated writers
            writer.getConnectionStateListenable().addListener((c, state) -> {
                if (state.isConnected()) {
                    long now = sessionId(c);
                    synchronized (sessions) {
                        if (now == sessions[index]) {
                            return;
                        }
                        sessions[index] = now;
                    }
                    reRegistrar.execute(() -> reRegister(index, now));
                }
            });
            writers.add(writer);
        }
    }

    private static long sessionId(CuratorFramework c) {
        try {
            return c.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return -1;
        }
    }

    /** After writer {@code index}'s session expired: every registration of it whose node is gone is created again. */
    private void reRegister(int index, long session) {
        CuratorFramework writer = writers.get(index);
        // as nerve does, each registration on its own (nerve's services report in parallel on its worker pool)
        List<Future<Boolean>> results = new ArrayList<>();
        for (Map.Entry<String, Live> e : live.entrySet()) {
            Live old = e.getValue();
            if (old.writer() == index) {
                results.add(creators.submit(() -> reRegisterOne(writer, session, e.getKey(), old)));
            }
        }
        int done = 0;
        for (Future<Boolean> f : results) {
            try {
                done += f.get() ? 1 : 0;
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException ex) {
                System.out.printf("writer %d: re-registering failed (%s)%n", index, ex.getCause());
            }
        }
        reRegistered.addAndGet(done);
        synchronized (sessions) {
            registeredFor[index] = session;
            sessions.notifyAll();
        }
        System.out.printf("writer %d: new session; re-registered %d registrations%n", index, done);
    }

    /**
     * Creates {@code old}'s node again unless it belongs to {@code session}; true when it did. As
     * nerve does, a node of the old session is not trusted: Curator starts a new session once the
     * old one's timeout has passed on the client, and the server may expire the old one (and delete
     * its nodes) only later.
     */
    private boolean reRegisterOne(CuratorFramework writer, long session, String handle, Live old) throws Exception {
        Stat stat = writer.checkExists().forPath(old.path());
        if (stat != null && stat.getEphemeralOwner() == session) {
            return false;
        }
        String created = create(writer, old.service(), old.registration());
        if (live.replace(handle, old, new Live(old.writer(), old.service(), old.registration(), created))) {
            return true;
        }
        writer.delete().forPath(created); // deregistered meanwhile
        return false;
    }

    @Override
    public boolean awaitWriters(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (sessions) {
            while (!java.util.Arrays.equals(sessions, registeredFor)) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                sessions.wait(left);
            }
        }
        return true;
    }

    /** Registrations the writers made again after their sessions expired. */
    long reRegistered() {
        return reRegistered.get();
    }

    /** A writer's or the admin's client: 40 s sessions (the servers' maximum), longer than the engines' 30 s. */
    private CuratorFramework client() throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(servers.connectString())
                .sessionTimeoutMs(40_000)
                .connectionTimeoutMs(10_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 2_000))
                .build();
        c.start();
        if (!c.blockUntilConnected(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("cannot connect to ZooKeeper " + servers.connectString());
        }
        return c;
    }

    ZooKeeperProcesses servers() {
        return servers;
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public int members() {
        return servers.size();
    }

    @Override
    public ObjectNode discovery(String service) {
        ObjectNode d = MAPPER.createObjectNode();
        d.put("method", "zookeeper");
        servers.hosts().forEach(d.putArray("hosts")::add);
        d.put("path", ROOT + "/" + service);
        return d;
    }

    @Override
    public WatcherFactory<?> hostFactory(int host) {
        ZooKeeperClients pool = ZookeeperWatcherFactory.newClients();
        pools.put(host, pool);
        return new ZookeeperWatcherFactory(pool);
    }

    @Override
    public void hostStarted(int host) {
        Counter counter = counters.computeIfAbsent(host, h -> new Counter());
        pools.get(host).find(ensemble).ifPresent(c -> c.client().getZookeeperClient().setTracerDriver(counter));
    }

    @Override
    public ClientCounts clientCounts() {
        long listings = 0;
        long data = 0;
        long exists = 0;
        long watched = 0;
        long bytes = 0;
        long max = 0;
        int n = counters.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        long[] per = new long[n];
        for (Map.Entry<Integer, Counter> e : counters.entrySet()) {
            Counter c = e.getValue();
            long l = c.listings.sum();
            long d = c.data.sum();
            long x = c.exists.sum();
            listings += l;
            data += d;
            exists += x;
            watched += c.watched.sum();
            bytes += c.bytes.sum();
            per[e.getKey()] = l + d + x;
            max = Math.max(max, l + d + x);
        }
        return new ClientCounts(listings, data, exists, watched, bytes, max, per);
    }

    @Override
    public String register(String service, NerveRegistration registration) throws Exception {
        int index = Math.floorMod((service + registration.name()).hashCode(), writers.size());
        String created = create(writers.get(index), service, registration);
        String handle = Long.toString(handles.incrementAndGet());
        live.put(handle, new Live(index, service, registration, created));
        return handle;
    }

    private static String create(CuratorFramework writer, String service, NerveRegistration registration) throws Exception {
        return writer.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                .forPath(ROOT + "/" + service + "/" + registration.name() + "_", registration.toJson());
    }

    @Override
    public void deregister(String service, String handle) throws Exception {
        Live gone = live.remove(handle);
        if (gone == null) {
            return;
        }
        try {
            writers.get(gone.writer()).delete().forPath(gone.path());
        } catch (KeeperException.NoNodeException e) {
            // gone already (its session expired)
        }
    }

    @Override
    public Map<String, Set<String>> contents(Iterable<String> services) throws Exception {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String service : services) {
            Set<String> ids = new TreeSet<>();
            String path = ROOT + "/" + service;
            if (admin.checkExists().forPath(path) != null) {
                for (String child : admin.getChildren().forPath(path)) {
                    try {
                        NerveRegistration r = NerveRegistration.parse(admin.getData().forPath(path + "/" + child));
                        ids.add(r.host() + ":" + r.port());
                    } catch (KeeperException.NoNodeException e) {
                        // deleted meanwhile
                    }
                }
            }
            out.put(service, ids);
        }
        return out;
    }

    @Override
    public ServerSample sample() {
        List<Map<String, Double>> members = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            Map<String, Double> m = new LinkedHashMap<>();
            if (servers.isRunning(i)) {
                Map<String, Double> mntr = servers.mntr(i);
                for (String key : MNTR) {
                    Double v = mntr.get(key);
                    if (v != null) {
                        m.put(key, v);
                    }
                }
                m.put("rss", (double) servers.rssBytes(i));
            }
            // kept across restarts by ZooKeeperProcesses, so never reset
            m.put("cpu_seconds", servers.cpuNanos(i) / 1e9);
            members.add(m);
        }
        return new ServerSample(members);
    }

    @Override
    public int leader() {
        for (int i = 0; i < servers.size(); i++) {
            if (servers.isRunning(i) && servers.mntr(i).getOrDefault("leader", 0.0) == 1.0) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int busiestFollower() {
        int leader = leader();
        int best = -1;
        double most = -1;
        for (int i = 0; i < servers.size(); i++) {
            double c = servers.mntr(i).getOrDefault("zk_num_alive_connections", 0.0);
            if (i != leader && c > most) {
                most = c;
                best = i;
            }
        }
        return best;
    }

    @Override
    public void kill(int member) {
        servers.kill(member);
    }

    @Override
    public void restart(int member) {
        servers.restart(member, true);
    }

    void restartNoWait(int member) {
        servers.restart(member, false);
    }

    @Override
    public void close() {
        reRegistrar.shutdownNow();
        creators.shutdownNow();
        writers.forEach(CuratorFramework::close);
        admin.close();
        pools.values().forEach(ZooKeeperClients::close);
        servers.close();
    }

    /** Counts one host's operations, from Curator's operation traces. */
    private static final class Counter extends AdvancedTracerDriver {
        final LongAdder listings = new LongAdder();
        final LongAdder data = new LongAdder();
        final LongAdder exists = new LongAdder();
        final LongAdder watched = new LongAdder();
        final LongAdder bytes = new LongAdder();

        @Override
        public void addTrace(OperationTrace trace) {
            String name = trace.getName();
            if (name.startsWith("GetChildren")) {
                listings.increment();
            } else if (name.startsWith("GetData")) {
                data.increment();
            } else if (name.startsWith("Exists")) {
                exists.increment();
            } else {
                return;
            }
            if (trace.isWithWatcher()) {
                watched.increment();
            }
            bytes.add(trace.getResponseBytesLength());
        }

        @Override
        public void addEvent(EventTrace trace) {
            // connection events are not reads
        }
    }
}
