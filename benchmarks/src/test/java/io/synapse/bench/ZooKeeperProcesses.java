package io.synapse.bench;

import io.synapse.testing.FreePorts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real ZooKeeper ensemble on loopback: one {@code QuorumPeerMain} process per member, started
 * from the zookeeper jar on this JVM's classpath, each with its own data directory and free ports.
 *
 * <p>Separate processes rather than Curator's in-JVM {@code TestingCluster}: the servers' CPU and
 * memory are then theirs alone (read from {@code /proc} through {@link ProcessHandle}), not mixed
 * with the simulated engines' in one JVM, and killing a member is a real {@code SIGKILL}.
 * Configured as a production ensemble would be, except {@code maxClientCnxns=0} (every simulated
 * host connects from 127.0.0.1, and the default allows 60 connections per address) and the
 * four-letter words {@code mntr}, {@code wchs}, {@code cons}, {@code srvr} being allowed.
 */
final class ZooKeeperProcesses implements AutoCloseable {
    private final Path baseDir;
    private final String heap;
    private final List<Member> members = new ArrayList<>();

    private ZooKeeperProcesses(int size, String heap) throws IOException {
        this.baseDir = Files.createTempDirectory("fleet-zk");
        this.heap = heap;
        for (int i = 0; i < size; i++) {
            members.add(new Member(i + 1, FreePorts.next(), FreePorts.next(), FreePorts.next(), baseDir.resolve("m" + (i + 1))));
        }
    }

    /** Starts {@code size} members and waits until each serves (one leads, the others follow). */
    static ZooKeeperProcesses start(int size, String heap) {
        try {
            ZooKeeperProcesses zk = new ZooKeeperProcesses(size, heap);
            for (Member m : zk.members) {
                zk.writeConfig(m);
                zk.launch(m);
            }
            for (Member m : zk.members) {
                zk.awaitServing(m, Duration.ofSeconds(300));
            }
            return zk;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int size() {
        return members.size();
    }

    /** {@code 127.0.0.1:p1,127.0.0.1:p2,...} */
    String connectString() {
        return String.join(",", hosts());
    }

    List<String> hosts() {
        return members.stream().map(m -> "127.0.0.1:" + m.clientPort).collect(Collectors.toList());
    }

    boolean isRunning(int i) {
        Process p = members.get(i).process;
        return p != null && p.isAlive();
    }

    /** SIGKILL member {@code i} (its data stays). */
    void kill(int i) {
        Member m = members.get(i);
        if (m.process != null) {
            long cpu = m.cpuNanosOfProcess(); // read before the process is gone
            m.process.destroyForcibly();
            try {
                m.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            m.cpuBeforeNanos += cpu;
            m.process = null;
        }
    }

    /** Restarts a killed member and waits until it serves (when a quorum is up). */
    void restart(int i, boolean await) {
        Member m = members.get(i);
        if (m.process != null) {
            return;
        }
        try {
            launch(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (await) {
            awaitServing(m, Duration.ofSeconds(300));
        }
    }

    /** CPU time of member {@code i} since it was first started (restarts included). */
    long cpuNanos(int i) {
        Member m = members.get(i);
        return m.cpuBeforeNanos + m.cpuNanosOfProcess();
    }

    /** Resident set size of member {@code i} in bytes, from /proc; 0 when it is not running. */
    long rssBytes(int i) {
        Process p = members.get(i).process;
        if (p == null) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    /** The numeric values of {@code mntr} on member {@code i}; empty when it does not answer. */
    Map<String, Double> mntr(int i) {
        Map<String, Double> out = new LinkedHashMap<>();
        String text = fourLetterWord(i, "mntr");
        for (String line : text.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab < 0) {
                continue;
            }
            String key = line.substring(0, tab).strip();
            String value = line.substring(tab + 1).strip();
            try {
                out.put(key, Double.parseDouble(value));
            } catch (NumberFormatException e) {
                if (key.equals("zk_server_state")) {
                    out.put("leader", value.equals("leader") ? 1.0 : 0.0);
                }
            }
        }
        return out;
    }

    /** Sends a four-letter word to member {@code i}; "" when it does not answer. */
    String fourLetterWord(int i, String word) {
        Member m = members.get(i);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", m.clientPort), 2000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private void writeConfig(Member m) throws IOException {
        Files.createDirectories(m.dataDir);
        Files.writeString(m.dataDir.resolve("myid"), Integer.toString(m.id));
        StringBuilder cfg = new StringBuilder()
                .append("tickTime=2000\ninitLimit=10\nsyncLimit=5\n")
                .append("dataDir=").append(m.dataDir).append('\n')
                .append("clientPort=").append(m.clientPort).append('\n')
                .append("clientPortAddress=127.0.0.1\n")
                .append("maxClientCnxns=0\n")
                .append("4lw.commands.whitelist=mntr,wchs,cons,srvr,ruok\n")
                .append("admin.enableServer=false\n")
                .append("autopurge.snapRetainCount=3\nautopurge.purgeInterval=1\n");
        for (Member other : members) {
            cfg.append("server.").append(other.id).append("=127.0.0.1:").append(other.peerPort).append(':')
                    .append(other.electionPort).append('\n');
        }
        Files.writeString(m.config(), cfg);
        Files.writeString(m.logbackConfig(), """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n</pattern></encoder>
                  </appender>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
    }

    private void launch(Member m) throws IOException {
        List<String> cmd = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms" + heap, "-Xmx" + heap,
                "-Dlogback.configurationFile=" + m.logbackConfig(),
                "-Dzookeeper.admin.enableServer=false",
                "-cp", System.getProperty("java.class.path"),
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", m.config().toString());
        m.process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log().toFile()))
                .start();
    }

    private void awaitServing(Member m, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (m.process == null || !m.process.isAlive()) {
                throw new IllegalStateException("ZooKeeper member " + m.id + " exited; log: " + tail(m.log()));
            }
            String state = fourLetterWord(m.id - 1, "srvr");
            if (state.contains("Mode: leader") || state.contains("Mode: follower") || state.contains("Mode: standalone")) {
                return;
            }
            // polling a process we started: there is no event to wait on
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        throw new IllegalStateException("ZooKeeper member " + m.id + " not serving after " + timeout.toSeconds()
                + " s; log: " + tail(m.log()));
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
        } catch (IOException e) {
            return "<no log>";
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < members.size(); i++) {
            kill(i);
        }
        try (Stream<Path> files = Files.walk(baseDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temporary directory; best effort
        }
    }

    private static final class Member {
        final int id;
        final int clientPort;
        final int peerPort;
        final int electionPort;
        final Path dataDir;
        Process process;
        long cpuBeforeNanos;

        Member(int id, int clientPort, int peerPort, int electionPort, Path dataDir) {
            this.id = id;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
            this.electionPort = electionPort;
            this.dataDir = dataDir;
        }

        Path config() {
            return dataDir.resolveSibling("zoo" + id + ".cfg");
        }

        Path logbackConfig() {
            return dataDir.resolveSibling("logback" + id + ".xml");
        }

        Path log() {
            return dataDir.resolveSibling("zk" + id + ".log");
        }

        long cpuNanosOfProcess() {
            Process p = process;
            if (p == null) {
                return 0;
            }
            return p.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }
    }
}
