package io.synapse.ec2tag;

import io.synapse.Synapse;
import io.synapse.ec2tag.Ec2Emulator.Inst;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The watcher inside the real engine: EC2 emulator to haproxy.cfg checked by {@code haproxy -c}. */
class EngineEndToEndTest {
    private static final Map<String, String> TAGGED = Map.of("servicename", "true");

    @TempDir
    Path dir;

    private Ec2Emulator emulator;

    @BeforeEach
    void setUp() {
        emulator = Ec2Emulator.start();
    }

    @AfterEach
    void tearDown() {
        emulator.close();
    }

    private Path writeConfig(String discoveryExtra, String haproxyService) throws IOException {
        Path config = dir.resolve("synapse.conf.json");
        Files.writeString(config, """
                {"services": {"api": {
                   "discovery": {"method": "ec2tag", "tag_name": "servicename", "tag_value": "true",
                                 "aws_region": "us-east-1", "aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "dummy",
                                 "endpoint": "%s", "check_interval": 0.2%s},
                   "haproxy": %s}},
                 "haproxy": {"config_file_path": "%s", "do_reloads": false, "do_socket": false,
                             "global": ["maxconn 100"],
                             "defaults": ["mode http", "timeout connect 5s", "timeout client 30s", "timeout server 30s"]}}
                """.formatted(emulator.endpoint(), discoveryExtra, haproxyService, dir.resolve("haproxy.cfg")));
        return config;
    }

    private List<String> serverLines() throws IOException {
        Path cfg = dir.resolve("haproxy.cfg");
        if (!Files.exists(cfg)) {
            return List.of();
        }
        return Files.readAllLines(cfg).stream().map(String::strip).filter(l -> l.startsWith("server ")).toList();
    }

    @Test
    void theClayIoSetupRendersBackupServersAndFollowsEc2() throws Exception {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED)).put(Inst.running("i-02", "10.0.0.2", TAGGED))
                .put(Inst.running("i-03", "10.0.0.3", TAGGED).withState("stopped"));
        int port = FreePorts.next();
        Path config = writeConfig("", """
                {"port": %d, "listen": ["mode http"], "server_port_override": "50001",
                 "server_backup_port": "50002", "server_options": "check"}""".formatted(port));

        try (Synapse synapse = Synapse.fromFile(config)) {
            synapse.start();
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(30))).isTrue();
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
            assertThat(serverLines()).hasSize(4)
                    .anySatisfy(l -> assertThat(l).startsWith("server i-01_10.0.0.1:50001 10.0.0.1:50001").contains("check").doesNotContain("backup"))
                    .anySatisfy(l -> assertThat(l).startsWith("server i-02_10.0.0.2:50001 10.0.0.2:50001"))
                    .anySatisfy(l -> assertThat(l).contains("10.0.0.1:50002").contains("backup"))
                    .anySatisfy(l -> assertThat(l).contains("10.0.0.2:50002").contains("backup"))
                    .noneSatisfy(l -> assertThat(l).contains("65535"));

            emulator.put(emulator.get("i-01").withState("stopped"));
            emulator.put(Inst.running("i-04", "10.0.0.4", TAGGED));
            await().atMost(Duration.ofSeconds(20)).until(() -> serverLines().stream().anyMatch(l -> l.contains("10.0.0.4:50001"))
                    && serverLines().stream().noneMatch(l -> l.contains("10.0.0.1:")));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
            assertThat(serverLines()).hasSize(4);

            // throttled: the file keeps the last good servers
            emulator.throttleNext(3);
            int calls = emulator.calls();
            await().until(() -> emulator.calls() >= calls + 3);
            assertThat(serverLines()).hasSize(4).anySatisfy(l -> assertThat(l).contains("10.0.0.4:50001"));
        }
    }

    @Test
    void portsFromAPortTag() throws Exception {
        emulator.put(Inst.running("i-01", "10.0.0.1", Map.of("servicename", "true", "port", "8081")))
                .put(Inst.running("i-02", "10.0.0.2", Map.of("servicename", "true", "port", "bad")));
        int port = FreePorts.next();
        Path config = writeConfig(", \"port_tag\": \"port\"", """
                {"port": %d, "server_options": "check"}""".formatted(port));

        try (Synapse synapse = Synapse.fromFile(config)) {
            synapse.start();
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(30))).isTrue();
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
            assertThat(serverLines()).singleElement().satisfies(l -> assertThat(l).startsWith("server i-01_10.0.0.1:8081 10.0.0.1:8081"));
        }
    }
}
