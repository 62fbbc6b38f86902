package io.synapse.quickstart;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.nerve.NerveDaemon;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Everything the quickstart runs, in this one JVM: an embedded ZooKeeper, three HTTP backends,
 * nerve registering them, synapse writing {@code haproxy.cfg} (and, with a {@code haproxy}
 * binary, starting and reloading HAProxy through its {@code reload_command}). The configs it
 * writes into its directory are ordinary {@code nerve.conf.json} and {@code synapse.conf.json}.
 */
final class Quickstart implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger("quickstart");
    static final String SERVICE = "web";
    static final int BACKENDS = 3;
    /** sun_path holds 108 bytes; a longer socket path makes synapse reload instead of using the runtime API. */
    private static final int MAX_SOCKET_PATH = 100;

    private final Path dir;
    private final Path haproxyBinary;
    private final List<DemoBackend> backends = new ArrayList<>();
    private final ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "quickstart-config-watch");
        t.setDaemon(true);
        return t;
    });
    private TestingServer zookeeper;
    private NerveDaemon nerve;
    private Synapse synapse;
    private HaproxyConfigWatch configWatch;
    private int haproxyPort;
    private int statsPort;
    private InetSocketAddress synapseStatus;
    private InetSocketAddress nerveStatus;
    private boolean closed;

    /** {@code haproxyBinary} null: no HAProxy, synapse only writes its config. */
    Quickstart(Path dir, Path haproxyBinary) {
        this.dir = requireNonNull(dir, "dir is null").toAbsolutePath().normalize();
        this.haproxyBinary = haproxyBinary;
    }

    Path dir() {
        return dir;
    }

    Path haproxyConfig() {
        return dir.resolve("haproxy.cfg");
    }

    boolean withHaproxy() {
        return haproxyBinary != null;
    }

    List<DemoBackend> backends() {
        return backends;
    }

    int haproxyPort() {
        return haproxyPort;
    }

    int statsPort() {
        return statsPort;
    }

    HaproxyConfigWatch configWatch() {
        return configWatch;
    }

    /** Starts everything, logging one line per part; throws when a part cannot start (then call {@link #close()}). */
    synchronized void start() throws Exception {
        if (closed) {
            return;
        }
        Files.createDirectories(dir);
        List<Long> leftovers = HaproxyProcesses.stopAll(haproxyConfig(), Duration.ofSeconds(2));
        if (!leftovers.isEmpty()) {
            LOG.info("stopped HAProxy {} left running by an earlier quickstart in {}", leftovers, dir);
        }
        for (String file : List.of("haproxy.cfg", "haproxy.cfg.candidate", "haproxy.pid", "haproxy.sock")) {
            Files.deleteIfExists(dir.resolve(file));
        }

        zookeeper = new TestingServer(new InstanceSpec(dir.resolve("zookeeper").toFile(), -1, -1, -1, true, 1), true);
        String zk = "127.0.0.1:" + zookeeper.getPort();
        LOG.info("ZooKeeper: embedded in this JVM, listening on {}", zk);

        for (int i = 1; i <= BACKENDS; i++) {
            DemoBackend b = DemoBackend.start("backend-" + i);
            backends.add(b);
            LOG.info("{}: http://127.0.0.1:{}/ (nerve checks GET /health)", b.name(), b.port());
        }

        Path nerveConfig = dir.resolve("nerve.conf.json");
        write(nerveConfig, nerveConfig(zk, freePort()));
        nerve = NerveDaemon.start(nerveConfig, System.getenv());
        nerveStatus = nerve.statusAddress();
        LOG.info("nerve: checking the {} backends every 0.5 s, registering the healthy ones in ZooKeeper under /nerve/services/{} ({})",
                BACKENDS, SERVICE, nerveConfig);

        haproxyPort = freePort();
        statsPort = freePort();
        Path synapseConfig = dir.resolve("synapse.conf.json");
        write(synapseConfig, synapseConfig(zk, freePort()));
        synapse = Synapse.fromFile(synapseConfig, Plugins.fromClasspath());
        synapseStatus = synapse.startStatusEndpoint();
        configWatch = new HaproxyConfigWatch(haproxyConfig(), backends);
        watch.scheduleWithFixedDelay(configWatch::poll, 0, 100, TimeUnit.MILLISECONDS);
        synapse.start();
        LOG.info("synapse: watching ZooKeeper, writing {}{} ({})", haproxyConfig(),
                withHaproxy() ? " and starting/reloading HAProxy (" + haproxyBinary + ")" : "", synapseConfig);
        LOG.info("status pages: synapse http://{}/  nerve http://{}/  (JSON at /status, Prometheus at /metrics)",
                hostPort(synapseStatus), hostPort(nerveStatus));
        if (withHaproxy()) {
            LOG.info("HAProxy will serve http://127.0.0.1:{}/ (stats page http://127.0.0.1:{}/)", haproxyPort, statsPort);
        }
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private Map<String, Object> nerveConfig(String zk, int statusPort) {
        Map<String, Object> services = new LinkedHashMap<>();
        for (DemoBackend b : backends) {
            services.put(b.name(), ordered(
                    "host", "127.0.0.1",
                    "port", b.port(),
                    "reporter_type", "zookeeper",
                    "zk_hosts", List.of(zk),
                    "zk_path", "/nerve/services/" + SERVICE,
                    "check_interval", 0.5,
                    "checks", List.of(ordered("type", "http", "uri", "/health", "timeout", 1, "rise", 1, "fall", 1))));
        }
        return ordered(
                "instance_id", "quickstart",
                "services", services,
                "status", ordered("port", statusPort, "bind_address", "127.0.0.1"));
    }

    private Map<String, Object> synapseConfig(String zk, int statusPort) {
        Path cfg = haproxyConfig();
        Path pid = dir.resolve("haproxy.pid");
        Path socket = dir.resolve("haproxy.sock");
        boolean useSocket = withHaproxy() && socket.toString().length() <= MAX_SOCKET_PATH;
        List<String> global = new ArrayList<>(List.of("maxconn 256"));
        if (useSocket) {
            global.add("stats socket " + socket + " mode 600 level admin");
        }
        Map<String, Object> haproxy = ordered(
                "config_file_path", cfg.toString(),
                "bind_address", "127.0.0.1",
                "do_checks", withHaproxy(),
                "do_reloads", withHaproxy(),
                "do_socket", useSocket,
                "restart_interval", 1,
                "global", global,
                "defaults", List.of("mode http", "timeout connect 2s", "timeout client 10s", "timeout server 10s"),
                "extra_sections", Map.of("listen stats", List.of("bind 127.0.0.1:" + statsPort, "mode http",
                        "stats enable", "stats uri /", "stats refresh 2s")));
        if (withHaproxy()) {
            // Ruby Synapse's classic reload: a new daemon takes over the port, the old one finishes (-sf)
            String q = quote(haproxyBinary.toString());
            haproxy.put("reload_command", q + " -D -f " + quote(cfg.toString()) + " -p " + quote(pid.toString())
                    + " $( [ -s " + quote(pid.toString()) + " ] && echo -sf $(cat " + quote(pid.toString()) + ") )");
            haproxy.put("check_command", q + " -c -q -f " + quote(cfg + ".candidate"));
        }
        if (useSocket) {
            haproxy.put("socket_file_path", socket.toString());
        }
        return ordered(
                "services", Map.of(SERVICE, ordered(
                        "discovery", ordered("method", "zookeeper", "hosts", List.of(zk), "path", "/nerve/services/" + SERVICE),
                        "haproxy", ordered("port", haproxyPort, "server_options", "",
                                "listen", List.of("mode http", "balance roundrobin")))),
                "haproxy", haproxy,
                "status", ordered("port", statusPort, "bind_address", "127.0.0.1"));
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static Map<String, Object> ordered(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static void write(Path file, Map<String, Object> json) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(file, mapper.writeValueAsString(json) + "\n");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Stops everything in the order that leaves nothing behind: synapse (no more reloads), the
     * HAProxy processes, nerve (which deregisters), ZooKeeper, the backends. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("stopping");
        watch.shutdownNow();
        if (synapse != null) {
            synapse.close();
        }
        if (withHaproxy()) {
            List<Long> pids = HaproxyProcesses.stopAll(haproxyConfig(), Duration.ofSeconds(2));
            LOG.info("HAProxy: {}", pids.isEmpty() ? "not running" : "stopped (pid " + pids.stream().map(String::valueOf)
                    .reduce((a, b) -> a + ", " + b).orElse("") + ")");
        }
        if (nerve != null) {
            nerve.close();
        }
        if (zookeeper != null) {
            try {
                zookeeper.close();
            } catch (IOException e) {
                LOG.warn("ZooKeeper: {}", e.getMessage());
            }
        }
        backends.forEach(DemoBackend::close);
        // TestingServer deletes its data directory, not the properties file it writes beside it
        try (var files = Files.newDirectoryStream(dir, "zookeeper.configuration*.properties")) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            LOG.debug("{}: {}", dir, e.getMessage());
        }
        LOG.info("stopped: synapse, nerve, ZooKeeper, {} backends{}; nothing left running", backends.size(),
                withHaproxy() ? ", HAProxy" : "");
    }
}
