package io.synapse.nerve;

import io.etcd.jetcd.Client;
import io.synapse.testing.EtcdCluster;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.synapse.nerve.ZooKeeperNerveTest.children;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The real daemon as a child JVM: signals, exit codes, and the command line. */
class NerveProcessTest {
    private static final Duration START = Duration.ofSeconds(40);
    private static TestingServer zk;
    private static CuratorFramework reader;
    private static EtcdCluster etcd;
    private static Client etcdReader;
    private final List<Process> processes = new ArrayList<>();

    @BeforeAll
    static void startRegistries() throws Exception {
        zk = new TestingServer(true);
        reader = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
        reader.start();
        etcd = EtcdCluster.start(1);
        etcdReader = Client.builder().endpoints(etcd.endpoints().toArray(new String[0])).build();
    }

    @AfterAll
    static void stopRegistries() throws Exception {
        etcdReader.close();
        etcd.close();
        reader.close();
        zk.close();
    }

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process startNerve(Path config, Path log) throws IOException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                NerveMain.class.getName(), "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        processes.add(p);
        return p;
    }

    private static String zkService(String path, String extra) {
        return """
                {"host": "127.0.0.1", "port": 8080, "zk_hosts": ["%s"], "zk_path": "%s", "check_interval": 0.1,
                 "checks": [{"type": "noop"}]%s}""".formatted(zk.getConnectString(), path, extra);
    }

    private static String log(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "<no log>";
        }
    }

    @Test
    void sigtermRemovesEveryRegistrationThenExitsZero(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("nerve.json");
        Files.writeString(config, "{\"instance_id\": \"i-1\", \"services\": {"
                + "\"web\": " + zkService("/p1/web", "") + ","
                + "\"api\": " + EtcdNerveTest.service(etcd.endpoint(0), "/p1/api", 9090, "{\"type\": \"noop\"}", "") + "}}");
        Path log = dir.resolve("nerve.log");
        Process nerve = startNerve(config, log);
        await().atMost(START).until(() -> children(reader, "/p1/web").size() == 1
                && EtcdNerveTest.get(etcdReader, "/p1/api/i-1_api") != null);

        long start = System.nanoTime();
        nerve.destroy(); // SIGTERM
        assertThat(nerve.waitFor(10, TimeUnit.SECONDS)).as(log(log)).isTrue();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(nerve.exitValue()).as(log(log)).isZero();
        // gone by the time the process has exited: no waiting here
        assertThat(children(reader, "/p1/web")).isEmpty();
        assertThat(EtcdNerveTest.get(etcdReader, "/p1/api/i-1_api")).isNull();
        assertThat(took).as(log(log)).isLessThan(Duration.ofMillis(1500));
        assertThat(log(log)).contains("shutdown: 2 services deregistered in");
    }

    @Test
    void sighupReloadsTheConfig(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("nerve.json");
        Files.writeString(config, "{\"instance_id\": \"i-1\", \"services\": {\"a\": " + zkService("/p2/a", "") + "}}");
        Path log = dir.resolve("nerve.log");
        Process nerve = startNerve(config, log);
        await().atMost(START).until(() -> children(reader, "/p2/a").size() == 1);

        Files.writeString(config, "{\"instance_id\": \"i-1\", \"services\": {"
                + "\"b\": " + zkService("/p2/b", "") + ","
                + "\"bad\": " + zkService("/p2/bad", ", \"weight\": \"heavy\"") + "}}");
        hup(nerve);
        await().atMost(Duration.ofSeconds(15)).until(() -> children(reader, "/p2/a").isEmpty() && children(reader, "/p2/b").size() == 1);
        assertThat(children(reader, "/p2/bad")).isEmpty();
        assertThat(log(log)).contains("config: services.bad.weight: expected an integer 0-256, got \"heavy\"");
        String b = children(reader, "/p2/b").get(0);

        Files.writeString(config, "{\"instance_id\": ");
        hup(nerve);
        await().atMost(Duration.ofSeconds(15)).until(() -> log(log).contains("is invalid; keeping the running config"));
        assertThat(nerve.isAlive()).isTrue();
        assertThat(children(reader, "/p2/b")).containsExactly(b);

        nerve.destroy();
        assertThat(nerve.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(nerve.exitValue()).as(log(log)).isZero();
        assertThat(children(reader, "/p2/b")).isEmpty();
    }

    private static void hup(Process nerve) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(nerve.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    private record Cli(int code, String out, String err) {}

    private static Cli cli(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter usage = new StringWriter();
        CommandLine cmd = new CommandLine(new NerveMain(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        cmd.setOut(new PrintWriter(usage, true));
        cmd.setErr(new PrintWriter(usage, true));
        int code = cmd.execute(args);
        return new Cli(code, out.toString(StandardCharsets.UTF_8) + usage, err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void checkConfigReportsEveryProblemAndExitsNonZero(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.json");
        Files.writeString(good, "{\"instance_id\": \"${ID}\", \"services\": {\"web\": " + zkService("/p3/web", "") + "}}");
        assertThat(cli(Map.of("ID", "i-7"), "-k", "-c", good.toString()))
                .isEqualTo(new Cli(0, good + ": OK, instance i-7, 1 services (web)\n", ""));
        assertThat(cli(Map.of("NERVE_CONFIG", good.toString(), "NERVE_INSTANCE_ID", "i-8"), "--check-config").out())
                .isEqualTo(good + ": OK, instance i-8, 1 services (web)\n");
        assertThat(cli(Map.of(), "--check-config", "-i", "i-9", "-c", good.toString()).out())
                .isEqualTo(good + ": OK, instance i-9, 1 services (web)\n");

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"instance_id\": \"i-1\", \"services\": {\"web\": {\"host\": \"127.0.0.1\", \"port\": \"80a\","
                + " \"zk_hosts\": [\"z:2181\"], \"zk_path\": \"/w\", \"checks\": [{\"type\": \"tpc\"}]}}}");
        assertThat(cli(Map.of(), "-k", "-c", bad.toString())).isEqualTo(new Cli(1, "", "nerve: " + bad + ": 2 problems:\n"
                + "  services.web.port: expected an integer 1-65535, got \"80a\"\n"
                + "  services.web.checks[0].type: unknown check type \"tpc\" (did you mean \"tcp\"?) (supported: http, tcp, redis, exec, noop)\n"));
        assertThat(cli(Map.of(), "-c", dir.resolve("missing.json").toString()).code()).isEqualTo(1);
        assertThat(cli(Map.of(), "-k")).isEqualTo(new Cli(2, "", "nerve: no config file: use --config FILE or set NERVE_CONFIG\n"));
        Cli help = cli(Map.of(), "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("--check-config", "--instance-id=ID", "--config=FILE", "--status-address=ADDRESS:PORT");
        assertThat(cli(Map.of(), "-c", good.toString(), "--status-address", "nerve.local:9091")).isEqualTo(new Cli(2, "",
                "nerve: --status-address: expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, "
                        + "or ::1 / ::) or \"localhost\", got \"nerve.local\"\n"));
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThat(cli(Map.of("ID", "i-7"), "-c", good.toString(), "--status-address", "127.0.0.1:" + port)).isEqualTo(new Cli(1, "",
                    "nerve: status endpoint 127.0.0.1:" + port + ": cannot listen: Address already in use\n"));
        }
    }

    @Test
    void checkConfigAlsoChecksWhatOnlyThisHostCanTell(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("nerve.json");
        Files.writeString(dir.resolve("plain"), "a file, not a directory");
        Files.writeString(config, "{\"instance_id\": \"i-1\", \"heartbeat_path\": \"" + dir.resolve("plain/gone/hb") + "\", "
                + "\"services\": {\"web\": {\"host\": \"127.0.0.1\", \"port\": 8080, \"zk_hosts\": [\"z:2181\"], \"zk_path\": \"/p4\", "
                + "\"checks\": [{\"type\": \"exec\", \"command\": [\"no-such-tool\"]}]}, "
                + "\"api\": {\"host\": \"127.0.0.1\", \"port\": 1, \"reporter_type\": \"etcd\", \"etcd_host\": \"127.0.0.1\", "
                + "\"etcd_ca_file\": \"" + dir.resolve("ca.pem") + "\"}}}");
        assertThat(cli(Map.of("PATH", "/usr/bin:/bin"), "-k", "-c", config.toString())).isEqualTo(new Cli(1, "",
                "nerve: " + config + ": 3 problems:\n"
                        + "  services.api.etcd_ca_file: " + dir.resolve("ca.pem") + ": no such file\n"
                        + "  heartbeat_path: the directory " + dir.resolve("plain/gone") + " cannot be created: " + dir.resolve("plain")
                        + " is not a directory\n"
                        + "  services.web.checks[0].command: program \"no-such-tool\" not found in PATH\n"));
    }
}
