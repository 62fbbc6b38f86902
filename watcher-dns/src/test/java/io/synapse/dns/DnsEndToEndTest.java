package io.synapse.dns;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.dns.testing.Knot;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Through the engine and the HAProxy generator: SRV records of the seed's SkyDNS layout reach
 * haproxy.cfg with weights and backups, every dynamic update shows within one TTL, the file always
 * passes {@code haproxy -c}, and a stopped nameserver leaves the last good servers in place.
 */
class DnsEndToEndTest {
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration WITHIN_TTL = TTL.plusSeconds(1);

    private static Knot knot;

    @TempDir
    Path dir;

    @BeforeAll
    static void startKnot() {
        knot = Knot.start("dev.kw", """
                6a1b2c3d.grounduser 5 IN A 10.0.0.1
                6a1b2c3d.grounduser 5 IN AAAA fd00::1
                7e8f9a0b.grounduser 5 IN A 10.0.0.2
                9c8d7e6f.grounduser 5 IN A 10.0.0.3
                _grounduser._tcp 2 IN SRV 10 60 49153 6a1b2c3d.grounduser
                _grounduser._tcp 2 IN SRV 10 20 49154 7e8f9a0b.grounduser
                _grounduser._tcp 2 IN SRV 20 10 49155 9c8d7e6f.grounduser
                _redis._tcp 2 IN SRV 10 10 6379 7e8f9a0b.grounduser
                _weights._tcp 2 IN SRV 10 0 8000 7e8f9a0b.grounduser
                _weights._tcp 2 IN SRV 10 65535 8000 9c8d7e6f.grounduser
                """);
    }

    @AfterAll
    static void stopKnot() {
        knot.close();
    }

    private Synapse synapse(String servicesJson, boolean nerveWeights) throws Exception {
        ObjectNode config = TestConfigs.json("{'services': " + servicesJson.replace("NS", knot.address()) + "}");
        ObjectNode haproxy = TestConfigs.haproxyGlobal(dir);
        haproxy.put("use_nerve_weights", nerveWeights);
        config.set("haproxy", haproxy);
        Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config));
        synapse.start();
        assertThat(synapse.awaitInitialized(Duration.ofSeconds(20))).isTrue();
        return synapse;
    }

    private String cfg() throws Exception {
        return Files.readString(dir.resolve("haproxy.cfg"));
    }

    private void awaitCfg(Duration within, Consumer<String> check) {
        await().atMost(within).untilAsserted(() -> check.accept(cfg()));
        Haproxy.assertValid(dir.resolve("haproxy.cfg"));
    }

    @Test
    void srvRecordsReachHaproxyWithWeightsAndBackupsAndEveryUpdateWithinOneTtl() throws Exception {
        String services = "{'grounduser': {'discovery': {'method': 'dns', 'srv': '_grounduser._tcp.dev.kw', 'nameserver': 'NS',"
                + " 'min_interval': 0.1}, 'haproxy': {'port': " + FreePorts.next() + ", 'server_options': 'check inter 2s',"
                + " 'backend_order': 'no_shuffle', 'listen': ['mode http', 'option allbackups']}}}";
        try (Synapse synapse = synapse(services, false)) {
            awaitCfg(Duration.ofSeconds(10), cfg -> assertThat(cfg).contains(
                    "server 6a1b2c3d.grounduser.dev.kw_10.0.0.1:49153 10.0.0.1:49153 id 1 cookie 6a1b2c3d.grounduser.dev.kw_10.0.0.1:49153 check inter 2s weight 256\n",
                    "server 6a1b2c3d.grounduser.dev.kw_fd00::1:49153 [fd00::1]:49153 id 2 cookie 6a1b2c3d.grounduser.dev.kw_fd00::1:49153 check inter 2s weight 256\n",
                    "server 7e8f9a0b.grounduser.dev.kw_10.0.0.2:49154 10.0.0.2:49154 id 3 cookie 7e8f9a0b.grounduser.dev.kw_10.0.0.2:49154 check inter 2s weight 85\n",
                    "server 9c8d7e6f.grounduser.dev.kw_10.0.0.3:49155 10.0.0.3:49155 id 4 cookie 9c8d7e6f.grounduser.dev.kw_10.0.0.3:49155 check inter 2s weight 256 backup\n"));

            // a new container registers
            knot.update("update add 1f2e3d4c.grounduser.dev.kw. 5 A 10.0.0.4",
                    "update add _grounduser._tcp.dev.kw. 2 SRV 10 60 49156 1f2e3d4c.grounduser.dev.kw.");
            awaitCfg(WITHIN_TTL, cfg -> assertThat(cfg).contains("server 1f2e3d4c.grounduser.dev.kw_10.0.0.4:49156 10.0.0.4:49156 ")
                    .containsPattern("10.0.0.4:49156 .*check inter 2s weight 256\n"));
            // its weight changes
            knot.update("update delete _grounduser._tcp.dev.kw. SRV 10 60 49156 1f2e3d4c.grounduser.dev.kw.",
                    "update add _grounduser._tcp.dev.kw. 2 SRV 10 30 49156 1f2e3d4c.grounduser.dev.kw.");
            awaitCfg(WITHIN_TTL, cfg -> assertThat(cfg).containsPattern("10.0.0.4:49156 .*check inter 2s weight 128\n"));
            // the backup becomes a primary
            knot.update("update delete _grounduser._tcp.dev.kw. SRV 20 10 49155 9c8d7e6f.grounduser.dev.kw.",
                    "update add _grounduser._tcp.dev.kw. 2 SRV 10 10 49155 9c8d7e6f.grounduser.dev.kw.");
            awaitCfg(WITHIN_TTL, cfg -> assertThat(cfg).containsPattern("10.0.0.3:49155 .*check inter 2s weight 43\n"));
            // a container goes away, and an address of another changes
            knot.update("update delete _grounduser._tcp.dev.kw. SRV 10 20 49154 7e8f9a0b.grounduser.dev.kw.",
                    "update delete 6a1b2c3d.grounduser.dev.kw. AAAA");
            awaitCfg(WITHIN_TTL, cfg -> assertThat(cfg).doesNotContain("49154", "fd00::1").contains("10.0.0.1:49153"));
        }
    }

    @Test
    void withNerveWeightsTheWeightIsWrittenOnce() throws Exception {
        String services = "{'weights': {'discovery': {'method': 'dns', 'srv': '_weights._tcp.dev.kw', 'nameserver': 'NS'},"
                + " 'haproxy': {'port': " + FreePorts.next() + ", 'server_options': 'check weight 10'}}}";
        try (Synapse synapse = synapse(services, true)) {
            awaitCfg(Duration.ofSeconds(10), cfg -> assertThat(cfg)
                    .contains("10.0.0.2:8000 id ", "10.0.0.3:8000 id ")
                    .containsPattern("10.0.0.2:8000 .* check weight 1\n")
                    .containsPattern("10.0.0.3:8000 .* check weight 256\n"));
        }
    }

    @Test
    void emptyAnswersFollowTheEngineRulesAndAStoppedServerKeepsTheLastGoodServers() throws Exception {
        String services = "{"
                + "'keep': {'discovery': {'method': 'dns', 'srv': '_redis._tcp.dev.kw', 'nameserver': 'NS', 'min_interval': 0.1, 'max_interval': 1},"
                + "  'haproxy': {'port': " + FreePorts.next() + ", 'listen': ['mode tcp']}},"
                + "'drop': {'discovery': {'method': 'dns', 'srv': '_redis._tcp.dev.kw', 'nameserver': 'NS', 'min_interval': 0.1, 'max_interval': 1},"
                + "  'use_previous_backends': false, 'haproxy': {'port': " + FreePorts.next() + ", 'listen': ['mode tcp']}},"
                + "'fallback': {'discovery': {'method': 'dns', 'srv': '_nothing._tcp.dev.kw', 'nameserver': 'NS'},"
                + "  'default_servers': [{'name': 'local', 'host': '127.0.0.1', 'port': 6380}], 'haproxy': {'port': " + FreePorts.next() + ", 'listen': ['mode tcp']}}"
                + "}";
        try (Synapse synapse = synapse(services, false)) {
            awaitCfg(Duration.ofSeconds(10), cfg -> assertThat(cfg)
                    .contains("backend keep\n", "backend drop\n", "server local_127.0.0.1:6380 127.0.0.1:6380")
                    .containsPattern("backend keep\n(\t.*\n)*\tserver 7e8f9a0b.grounduser.dev.kw_10.0.0.2:6379 ")
                    .containsPattern("backend drop\n(\t.*\n)*\tserver 7e8f9a0b.grounduser.dev.kw_10.0.0.2:6379 "));

            knot.stop();
            try {
                // failures never empty a backend: both keep their server while the nameserver is down
                await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(cfg())
                        .containsPattern("backend keep\n(\t.*\n)*\tserver 7e8f9a0b")
                        .containsPattern("backend drop\n(\t.*\n)*\tserver 7e8f9a0b"));
            } finally {
                knot.restart();
            }
            knot.update("update add _redis._tcp.dev.kw. 2 SRV 10 10 6380 9c8d7e6f.grounduser.dev.kw.");
            awaitCfg(Duration.ofSeconds(5), cfg -> assertThat(cfg)
                    .containsPattern("backend keep\n(\t.*\n)*\tserver 9c8d7e6f.grounduser.dev.kw_10.0.0.3:6380 ")
                    .containsPattern("backend drop\n(\t.*\n)*\tserver 9c8d7e6f.grounduser.dev.kw_10.0.0.3:6380 "));

            // NXDOMAIN: an empty set; use_previous_backends (the default) keeps the servers, false empties the backend
            knot.update("update delete _redis._tcp.dev.kw. SRV");
            awaitCfg(WITHIN_TTL, cfg -> assertThat(cfg)
                    .containsPattern("backend keep\n(\t.*\n)*\tserver 9c8d7e6f.grounduser.dev.kw_10.0.0.3:6380 ")
                    .doesNotContainPattern("backend drop\n(\t.*\n)*\tserver "));
        }
    }
}
