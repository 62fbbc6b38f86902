package io.synapse.quickstart;

import io.synapse.testing.Binaries;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Runs the quickstart as bin/quickstart does (its main class in a JVM of its own, so that what it
 * leaves behind can be checked): with the real HAProxy until --duration ends, with HAProxy until
 * SIGTERM, and without HAProxy.
 */
class QuickstartTest {
    private static final Duration RUN_LIMIT = Duration.ofSeconds(90);
    private static final Pattern PORT = Pattern.compile("127\\.0\\.0\\.1:(\\d+)");

    @Test
    void showsRequestsSpreadABackendLeavingAndComingBackThenStopsEverything() throws Exception {
        Path haproxy = Binaries.haproxy();
        Path dir = freshDir("with-haproxy");
        Run run = Run.start(dir, "--duration", "1", "--haproxy", haproxy.toString());
        int exit = run.awaitExit();
        List<String> out = run.lines();
        assertThat(exit).as(run.text()).isEqualTo(0);

        List<String> demo = quickstartLines(out);
        assertThat(demo.stream().map(l -> l.startsWith("demo: 6 requests to ") ? "demo: 6 requests" : l).toList())
                .as(run.text()).containsSubsequence(
                "haproxy.cfg: 3 servers: backend-1, backend-2, backend-3",
                "demo: 6 requests",
                "demo: backend-2 now fails its health check (GET /health answers 503)",
                "haproxy.cfg: 2 servers: backend-1, backend-3 (-backend-2)",
                "demo: 6 requests",
                "demo: backend-2 passes its health check again",
                "haproxy.cfg: 3 servers: backend-1, backend-2, backend-3 (+backend-2)",
                "demo: 6 requests",
                "demo: done: backend-2 left and came back without anyone editing a config",
                "stopping",
                "stopped: synapse, nerve, ZooKeeper, 3 backends, HAProxy; nothing left running");
        List<String> rounds = demo.stream().filter(l -> l.startsWith("demo: 6 requests to ")).toList();
        assertThat(rounds).as(run.text()).hasSize(3);
        assertThat(answered(rounds.get(0))).containsExactly("backend-1", "backend-2", "backend-3");
        assertThat(answered(rounds.get(1))).containsExactly("backend-1", "backend-3");
        assertThat(answered(rounds.get(2))).containsExactly("backend-1", "backend-2", "backend-3");
        assertThat(line(out, "status pages: synapse http://127.0.0.1:")).matches(
                ".*status pages: synapse http://127\\.0\\.0\\.1:\\d+/  nerve http://127\\.0\\.0\\.1:\\d+/  .*");

        assertNothingLeft(dir, out);
    }

    @Test
    void sigtermWhileTheDemoRunsStopsHaproxyAndEverythingElse() throws Exception {
        Path haproxy = Binaries.haproxy();
        Path dir = freshDir("sigterm");
        Run run = Run.start(dir, "--haproxy", haproxy.toString());
        await().atMost(RUN_LIMIT).until(() -> run.text().contains("demo: HAProxy is up (pid "));
        assertThat(HaproxyProcesses.running(dir.resolve("haproxy.cfg"))).isNotEmpty();
        // the status pages it printed answer
        Matcher status = Pattern.compile("status pages: synapse (http://\\S+)  nerve (http://\\S+)  ").matcher(run.text());
        assertThat(status.find()).as(run.text()).isTrue();
        for (String url : List.of(status.group(1), status.group(2))) {
            HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).as(url).isEqualTo(200);
            assertThat(page.body()).as(url).contains("<html");
        }

        // SIGTERM, handled as Ctrl-C's SIGINT (the JVM runs the shutdown hook); through the handle,
        // since Process.destroy() would also close the pipe the last lines come through
        run.process.toHandle().destroy();
        assertThat(run.awaitExit()).isEqualTo(143);
        assertThat(quickstartLines(run.lines())).as(run.text())
                .endsWith("stopped: synapse, nerve, ZooKeeper, 3 backends, HAProxy; nothing left running");
        assertNothingLeft(dir, run.lines());
    }

    @Test
    void withoutHaproxySaysHowToInstallItAndStillShowsTheConfigChanging() throws Exception {
        Path dir = freshDir("without-haproxy");
        Path missing = dir.resolve("no-such-haproxy");
        Run run = Run.start(dir, "--duration", "0", "--haproxy", missing.toString());
        int exit = run.awaitExit();
        assertThat(exit).as(run.text()).isEqualTo(0);

        List<String> demo = quickstartLines(run.lines());
        assertThat(demo).as(run.text()).containsSubsequence(
                "HAProxy: " + missing + " is not an executable file, so synapse will only write haproxy.cfg; to see requests"
                        + " flow through HAProxy, install it (" + HaproxyProcesses.INSTALL_HINT + ") and run bin/quickstart again",
                "haproxy.cfg: 3 servers: backend-1, backend-2, backend-3",
                "haproxy.cfg: 2 servers: backend-1, backend-3 (-backend-2)",
                "haproxy.cfg: 3 servers: backend-1, backend-2, backend-3 (+backend-2)",
                "demo: done: backend-2 left and came back without anyone editing a config",
                "stopped: synapse, nerve, ZooKeeper, 3 backends; nothing left running");
        assertThat(demo).noneMatch(l -> l.contains("requests to"));
        assertThat(HaproxyConfigWatch.servers(Files.readString(dir.resolve("haproxy.cfg")), "web")).hasSize(3);
        assertNothingLeft(dir, run.lines());
    }

    /** No HAProxy started with this run's haproxy.cfg is alive, and no port the run printed still answers. */
    private static void assertNothingLeft(Path dir, List<String> out) {
        assertThat(HaproxyProcesses.running(dir.resolve("haproxy.cfg"))).isEmpty();
        List<Integer> ports = new ArrayList<>();
        for (String l : out) {
            if (l.contains(" quickstart - ")) {
                Matcher m = PORT.matcher(l);
                while (m.find()) {
                    ports.add(Integer.parseInt(m.group(1)));
                }
            }
        }
        // ZooKeeper, 3 backends, 2 status pages (+ HAProxy and its stats page when it ran)
        assertThat(ports).hasSizeGreaterThanOrEqualTo(6);
        for (int port : ports) {
            assertThat(refused(port)).as("port %d still answers after the quickstart stopped", port).isTrue();
        }
    }

    private static boolean refused(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> answered(String round) {
        String by = round.substring(round.indexOf(" answered by ") + " answered by ".length());
        return List.of(by.split(", ")).stream().map(s -> s.substring(0, s.lastIndexOf(" x"))).sorted().toList();
    }

    /** The quickstart's own lines, without the time and level. */
    private static List<String> quickstartLines(List<String> out) {
        return out.stream().filter(l -> l.contains(" quickstart - "))
                .map(l -> l.substring(l.indexOf(" quickstart - ") + " quickstart - ".length())).toList();
    }

    private static String line(List<String> out, String part) {
        return out.stream().filter(l -> l.contains(part)).findFirst().orElseThrow(() -> new AssertionError("no line with " + part
                + " in:\n" + String.join("\n", out)));
    }

    private static Path freshDir(String name) throws IOException {
        Path dir = Path.of("target", "quickstart-test", name).toAbsolutePath();
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return Files.createDirectories(dir);
    }

    /** The quickstart's main class in its own JVM, its stdout and stderr collected line by line. */
    private record Run(Process process, List<String> out, Thread reader) {
        static Run start(Path dir, String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"),
                    QuickstartMain.class.getName(), "--dir", dir.toString(), "--pace", "0"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            List<String> out = new ArrayList<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        synchronized (out) {
                            out.add(l);
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "quickstart-output");
            reader.setDaemon(true);
            reader.start();
            return new Run(p, out, reader);
        }

        int awaitExit() throws InterruptedException {
            await().atMost(RUN_LIMIT).until(() -> !process.isAlive());
            reader.join(10_000); // the pipe is closed: the reader has read the last lines
            return process.exitValue();
        }

        List<String> lines() {
            synchronized (out) {
                return List.copyOf(out);
            }
        }

        String text() {
            return String.join("\n", lines());
        }
    }
}
