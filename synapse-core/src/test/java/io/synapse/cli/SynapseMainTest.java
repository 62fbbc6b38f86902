package io.synapse.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.testing.Haproxy;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

class SynapseMainTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = new CommandLine(new SynapseMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private ObjectNode config() {
        ObjectNode c = json("{'services': {'api': {'discovery': {'method': 'base'},"
                + " 'default_servers': [{'name': 'a', 'host': '127.0.0.1', 'port': 8081}], 'haproxy': {'port': 3600}}}}");
        c.set("haproxy", TestConfigs.haproxyGlobal(dir));
        return c;
    }

    @Test
    void onceWritesTheOutputsAndExits() throws Exception {
        assertThat(run("--config", TestConfigs.write(dir, config()).toString(), "--once")).isZero();
        assertThat(Files.readString(dir.resolve("haproxy.cfg"))).contains("server a_127.0.0.1:8081 127.0.0.1:8081 id 1");
        Haproxy.assertValid(dir.resolve("haproxy.cfg"));
    }

    @Test
    void onceTimesOutNamingTheSilentServices() throws Exception {
        ObjectNode c = config();
        c.with("services").set("quiet", json("{'discovery': {'method': 'fake', 'id': 'cli-quiet'}}"));
        assertThat(run("--config", TestConfigs.write(dir, c).toString(), "--once", "--timeout", "0.5")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("synapse: --once timed out after 0.5 s; no snapshot yet from: quiet\n");
    }

    @Test
    void checkListsEveryProblemAndWritesNothing() throws Exception {
        ObjectNode c = config();
        c.with("services").with("api").with("haproxy").put("port", "80a");
        c.with("services").with("api").put("use_previous_backend", true);
        Path file = TestConfigs.write(dir, c);
        assertThat(run("--config", file.toString(), "--check")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("synapse: invalid configuration " + file + ":\n"
                + "  services.api.use_previous_backend: unknown key (did you mean \"use_previous_backends\"?)\n"
                + "  services.api.haproxy.port: expected an integer 1-65535, got \"80a\"\n");
        // the daemon refuses it the same way, writing nothing
        assertThat(run("--config", file.toString(), "--once")).isEqualTo(2);
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }

    @Test
    void aBadStatusAddressIsAConfigErrorWithItsPath() throws Exception {
        ObjectNode c = config();
        c.set("status", json("{'port': 9090, 'bind_address': 'status.example.com'}"));
        Path file = TestConfigs.write(dir, c);
        assertThat(run("--config", file.toString(), "--check")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("synapse: invalid configuration " + file + ":\n"
                + "  status.bind_address: expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, "
                + "or ::1 / ::) or \"localhost\", got \"status.example.com\"\n");
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }

    @Test
    void aBadStatusAddressOnTheCommandLine() {
        assertThat(run("--config", TestConfigs.write(dir, config()).toString(), "--status-address", "9090")).isEqualTo(2);
        assertThat(err.toString()).isEqualTo(
                "synapse: --status-address: expected ADDRESS:PORT like 127.0.0.1:9090 or [::1]:9090, got \"9090\"\n");
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }

    @Test
    void aStatusAddressInUseStopsTheDaemonBeforeItWritesAnything() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThat(run("--config", TestConfigs.write(dir, config()).toString(), "--status-address", "127.0.0.1:" + port)).isEqualTo(1);
            assertThat(err.toString()).isEqualTo("synapse: status endpoint 127.0.0.1:" + port + ": cannot listen: Address already in use\n");
        }
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }

    @Test
    void checkAcceptsAValidConfig() {
        assertThat(run("--config", TestConfigs.write(dir, config()).toString(), "--check")).isZero();
        assertThat(out.toString()).isEqualTo("configuration OK: 1 service(s), generators haproxy\n");
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }

    @Test
    void helpAndMissingConfig() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("Usage: synapse", "--config=FILE", "--once", "--check", "--status-address=ADDRESS:PORT",
                "SYNAPSE_LOG_FORMAT=json", "Exit status");
        assertThat(out.toString()).contains("default: $SYNAPSE_CONFIG");
        if (System.getenv("SYNAPSE_CONFIG") == null) {
            assertThat(run()).isEqualTo(2);
            assertThat(err.toString()).isEqualTo("synapse: --config FILE is required (or set SYNAPSE_CONFIG); see --help\n");
        }
    }

    @Test
    void sigtermStopsTheDaemonQuickly() throws Exception {
        Path file = TestConfigs.write(dir, config());
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SynapseMain.class.getName(), "--config", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile()).start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> Files.exists(dir.resolve("haproxy.cfg")));
            long start = System.nanoTime();
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2000);
            assertThat(Files.readString(dir.resolve("daemon.log"))).contains("stopping");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void twoRunsInTwoJvmsWriteTheSameBytes() throws Exception {
        // many labels (a per-JVM hash order would show), a shuffled backend, file_output: run twice, compare
        Files.writeString(dir.resolve("synapse.conf.json"), """
                {
                  "services": {
                    "api": {
                      "discovery": {"method": "base"},
                      "default_servers": [
                        {"name": "a", "host": "10.0.0.1", "port": 80, "labels": {"zone": "1", "az": "a", "rack": "r1", "team": "t",
                         "canary": "false", "build": "42", "region": "eu", "deploy": "blue", "owner": "ops", "tier": "web"}},
                        {"name": "b", "host": "10.0.0.2", "port": 80}, {"name": "c", "host": "10.0.0.3", "port": 80},
                        {"name": "d", "host": "10.0.0.4", "port": 80}, {"name": "e", "host": "10.0.0.5", "port": 80}
                      ],
                      "haproxy": {"port": 3601}
                    }
                  },
                  "haproxy": {"config_file_path": "${OUT}/haproxy.cfg", "do_reloads": false, "do_socket": false,
                              "global": ["maxconn 100"], "defaults": ["mode http", "timeout connect 5s", "timeout client 5s", "timeout server 5s"]},
                  "file_output": {"output_directory": "${OUT}/services"}
                }
                """);
        for (String run : java.util.List.of("first", "second")) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), SynapseMain.class.getName(),
                    "--config", dir.resolve("synapse.conf.json").toString(), "--once")
                    .redirectErrorStream(true).redirectOutput(dir.resolve(run + ".log").toFile());
            pb.environment().put("OUT", dir.resolve(run).toString());
            Process p = pb.start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(Files.readString(dir.resolve(run + ".log"))).isZero();
        }
        for (String file : java.util.List.of("haproxy.cfg", "services/api.json")) {
            assertThat(Files.readString(dir.resolve("second").resolve(file))).as(file)
                    .isEqualTo(Files.readString(dir.resolve("first").resolve(file)));
        }
        assertThat(Files.readString(dir.resolve("first/services/api.json"))).contains("""
                  "labels" : {
                    "az" : "a",
                    "build" : "42",
                    "canary" : "false",
                    "deploy" : "blue",
                    "owner" : "ops",
                    "rack" : "r1",
                    "region" : "eu",
                    "team" : "t",
                    "tier" : "web",
                    "zone" : "1"
                  }
                """);
    }
}
