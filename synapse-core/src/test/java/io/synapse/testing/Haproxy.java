package io.synapse.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The real {@code haproxy} binary: checking rendered configs, and running it in master-worker mode. */
public final class Haproxy {
    private Haproxy() {}

    /** Runs {@code haproxy -c -f file}; fails with HAProxy's own output when it rejects the file. */
    public static void assertValid(Path config) {
        CheckResult result = check(config);
        if (!result.ok()) {
            String text;
            try {
                text = Files.readString(config);
            } catch (IOException e) {
                text = "<unreadable: " + e + ">";
            }
            if (text.length() > 4000) {
                text = text.substring(0, 4000) + "\n...";
            }
            throw new AssertionError("haproxy -c rejected " + config + ":\n" + result.output() + "\n--- config ---\n" + text);
        }
    }

    /** Checks a config given as text (written to a temporary file). */
    public static void assertValid(String configText) {
        try {
            Path tmp = Files.createTempFile("haproxy-check", ".cfg");
            try {
                Files.writeString(tmp, configText, StandardCharsets.UTF_8);
                assertValid(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    public static CheckResult check(Path config) {
        Path haproxy = Binaries.haproxy();
        try {
            Process p = new ProcessBuilder(haproxy.toString(), "-c", "-f", config.toString())
                    .redirectErrorStream(true)
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("haproxy -c timed out on " + config);
            }
            return new CheckResult(p.exitValue() == 0, new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("could not run " + haproxy + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public record CheckResult(boolean ok, String output) {}

    /**
     * Starts {@code haproxy -W -S <masterSocket> -f <config>} (master-worker, in the foreground, its
     * output in {@code <config>.log}) and waits until its master socket answers.
     */
    public static MasterWorker startMasterWorker(Path config, Path masterSocket) {
        Path haproxy = Binaries.haproxy();
        try {
            Path log = config.resolveSibling(config.getFileName() + ".log");
            Process p = new ProcessBuilder(haproxy.toString(), "-W", "-S", masterSocket.toString(), "-f", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            MasterWorker mw = new MasterWorker(p, masterSocket, log);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> mw.workerPid() > 0);
            return mw;
        } catch (IOException e) {
            throw new AssertionError("could not start " + haproxy + ": " + e, e);
        }
    }

    /** A master-worker HAProxy started by a test; closing it stops the master and its workers. */
    public static final class MasterWorker implements AutoCloseable {
        private final Process process;
        private final Path masterSocket;
        private final Path log;

        private MasterWorker(Process process, Path masterSocket, Path log) {
            this.process = process;
            this.masterSocket = masterSocket;
            this.log = log;
        }

        public Path masterSocket() {
            return masterSocket;
        }

        /** A command on the master CLI ({@code @1 <command>} reaches the current worker); the whole answer. */
        public String command(String command) throws IOException {
            try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                ch.connect(java.net.UnixDomainSocketAddress.of(masterSocket));
                ch.write(java.nio.ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
                ch.shutdownOutput();
                java.io.ByteArrayOutputStream in = new java.io.ByteArrayOutputStream();
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(65536);
                while (ch.read(buf) > 0) {
                    in.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                return in.toString(StandardCharsets.UTF_8);
            }
        }

        /** The current worker's pid ({@code show proc}), 0 when none is listed. */
        public long workerPid() throws IOException {
            boolean workers = false;
            for (String line : command("show proc").split("\n")) {
                if (line.startsWith("#")) {
                    workers = line.startsWith("# workers");
                } else if (workers && line.contains(" worker ")) {
                    return Long.parseLong(line.trim().split("\\s+")[0]);
                }
            }
            return 0;
        }

        /** How many reloads the master did (failed ones included). */
        public int reloads() throws IOException {
            for (String line : command("show proc").split("\n")) {
                String[] w = line.trim().split("\\s+");
                if (w.length > 2 && "master".equals(w[1])) {
                    return Integer.parseInt(w[2]);
                }
            }
            throw new IOException("show proc without a master line");
        }

        /** What HAProxy wrote to its output. */
        public String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "<" + e + ">";
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
