package io.synapse.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Real etcd members (the {@code etcd} binary from Debian's {@code etcd-server}) on loopback, with
 * free ports and temporary data directories. {@code EtcdCluster.start(1)} for a single server,
 * {@code start(3)} for a cluster. Members can be stopped and restarted with their data.
 */
public final class EtcdCluster implements AutoCloseable {
    private final Path etcd;
    private final Path baseDir;
    private final List<Member> members = new ArrayList<>();
    private final String initialCluster;

    private EtcdCluster(Path etcd, int size) throws IOException {
        this.etcd = etcd;
        this.baseDir = Files.createTempDirectory("etcd-test");
        for (int i = 0; i < size; i++) {
            members.add(new Member("m" + i, FreePorts.next(), FreePorts.next(), baseDir.resolve("m" + i)));
        }
        initialCluster = members.stream()
                .map(m -> m.name + "=http://127.0.0.1:" + m.peerPort)
                .collect(Collectors.joining(","));
    }

    public static EtcdCluster start(int size) {
        Path etcd = Binaries.etcd();
        try {
            EtcdCluster cluster = new EtcdCluster(etcd, size);
            for (Member m : cluster.members) {
                cluster.launch(m);
            }
            for (Member m : cluster.members) {
                cluster.awaitHealthy(m);
            }
            return cluster;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Client URLs of all members, e.g. {@code http://127.0.0.1:23791}. */
    public List<String> endpoints() {
        return members.stream().map(Member::clientUrl).collect(Collectors.toList());
    }

    public String endpoint(int member) {
        return members.get(member).clientUrl();
    }

    public int size() {
        return members.size();
    }

    /** Kills member {@code i} (SIGKILL), keeping its data directory. */
    public void kill(int i) {
        Member m = members.get(i);
        if (m.process != null) {
            m.process.destroyForcibly();
            try {
                m.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            m.process = null;
        }
    }

    /** Restarts a killed member on the same ports and data. */
    public void restart(int i) {
        Member m = members.get(i);
        if (m.process != null) {
            return;
        }
        try {
            launch(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (members.size() == 1 || members.stream().filter(x -> x.process != null).count() > members.size() / 2) {
            awaitHealthy(m);
        }
    }

    private void launch(Member m) throws IOException {
        Files.createDirectories(m.dataDir);
        List<String> cmd = List.of(
                etcd.toString(),
                "--name", m.name,
                "--data-dir", m.dataDir.toString(),
                "--listen-client-urls", m.clientUrl(),
                "--advertise-client-urls", m.clientUrl(),
                "--listen-peer-urls", "http://127.0.0.1:" + m.peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + m.peerPort,
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", "test-" + baseDir.getFileName(),
                "--heartbeat-interval", "50",
                "--election-timeout", "500");
        m.process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(m.dataDir.resolveSibling(m.name + ".log").toFile())
                .start();
    }

    private void awaitHealthy(Member m) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "";
        while (System.nanoTime() < deadline) {
            if (m.process == null || !m.process.isAlive()) {
                throw new AssertionError("etcd member " + m.name + " exited; log: " + log(m));
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(m.clientUrl() + "/health")).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.ofString());
                last = r.body();
                if (r.statusCode() == 200 && r.body().contains("\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            // polling a process we started: there is no event to wait on
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        throw new AssertionError("etcd member " + m.name + " not healthy after 30 s (" + last + "); log: " + log(m));
    }

    private static String log(Member m) {
        try {
            String s = Files.readString(m.dataDir.resolveSibling(m.name + ".log"));
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
        final String name;
        final int clientPort;
        final int peerPort;
        final Path dataDir;
        Process process;

        Member(String name, int clientPort, int peerPort, Path dataDir) {
            this.name = name;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
            this.dataDir = dataDir;
        }

        String clientUrl() {
            return "http://127.0.0.1:" + clientPort;
        }
    }
}
