package io.synapse.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.spi.Backend;
import io.synapse.testing.FakeWatcherFactory;
import io.synapse.testing.Haproxy;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.FakeWatcherFactory.backends;
import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class EngineTest {
    @TempDir
    Path dir;

    private Synapse start(String id, ObjectNode service) throws Exception {
        ObjectNode c = json("{'services': {}}");
        c.with("services").set(id, service);
        c.set("haproxy", TestConfigs.haproxyGlobal(dir));
        c.set("file_output", json("{}"));
        c.with("file_output").put("output_directory", dir.resolve("out").toString());
        Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, c), Plugins.fromClasspath());
        synapse.start();
        return synapse;
    }

    private String cfg() throws Exception {
        Path p = dir.resolve("haproxy.cfg");
        return Files.exists(p) ? Files.readString(p) : "";
    }

    @Test
    void snapshotsReachTheConfigAndAFailureNeverEmptiesIt() throws Exception {
        ObjectNode svc = json("{'discovery': {'method': 'fake', 'id': 'e1'}, 'haproxy': {'port': 3300, 'backend_order': 'no_shuffle'}}");
        try (Synapse synapse = start("e1", svc)) {
            await().until(() -> FakeWatcherFactory.started("e1"));
            FakeWatcherFactory.listener("e1").onBackends(backends("a@10.0.0.1:80", "b@10.0.0.2:80"));
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            assertThat(cfg()).contains("server a_10.0.0.1:80 10.0.0.1:80 id 1", "server b_10.0.0.2:80 10.0.0.2:80 id 2");

            FakeWatcherFactory.listener("e1").onFailure("connection refused", null);
            FakeWatcherFactory.listener("e1").onBackends(List.of());
            FakeWatcherFactory.listener("e1").onBackends(backends("b@10.0.0.2:80", "c@10.0.0.3:80"));
            // as in Ruby, the id a left with is not handed out in the same round: c gets 3, not 1
            await().untilAsserted(() -> assertThat(cfg())
                    .contains("server b_10.0.0.2:80 10.0.0.2:80 id 2", "server c_10.0.0.3:80 10.0.0.3:80 id 3")
                    .doesNotContain("10.0.0.1"));
            await().untilAsserted(() -> assertThat(Files.readString(dir.resolve("out/e1.json")))
                    .contains("\"host\" : \"10.0.0.3\"").doesNotContain("10.0.0.1"));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
        }
        assertThat(FakeWatcherFactory.closed("e1")).isTrue();
    }

    @Test
    void aBurstOfSnapshotsIsCoalesced() throws Exception {
        ObjectNode svc = json("{'discovery': {'method': 'fake', 'id': 'e2'}, 'haproxy': {'port': 3301}}");
        try (Synapse synapse = start("e2", svc)) {
            await().until(() -> FakeWatcherFactory.started("e2"));
            FakeWatcherFactory.listener("e2").onBackends(backends("10.0.0.1:80"));
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            long before = engineRenders(synapse);
            for (int i = 1; i <= 1000; i++) {
                FakeWatcherFactory.listener("e2").onBackends(List.of(Backend.of("10.0.0.1", 80), Backend.of("10.1.0.1", i)));
            }
            await().untilAsserted(() -> assertThat(cfg()).contains("10.1.0.1:1000 "));
            assertThat(engineRenders(synapse) - before).isLessThan(100);
        }
    }

    @Test
    void registryGeneratorOverridesAreValidatedAndApplied() throws Exception {
        ObjectNode svc = json("{'discovery': {'method': 'fake', 'id': 'e3', 'initial': ['10.0.0.1:80']}, 'haproxy': {'port': 3302}}");
        try (Synapse synapse = start("e3", svc)) {
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            FakeWatcherFactory.listener("e3").onGeneratorConfig(Map.of("haproxy", json("{'port': 3310, 'server_options': 'check'}")));
            await().untilAsserted(() -> assertThat(cfg()).contains("bind localhost:3310", "10.0.0.1:80 id 1 cookie 10.0.0.1:80 check"));
            FakeWatcherFactory.listener("e3").onGeneratorConfig(Map.of("haproxy", json("{'port': 'x', 'backend': ['a\\nb']}")));
            FakeWatcherFactory.listener("e3").onBackends(backends("10.0.0.2:80"));
            await().untilAsserted(() -> assertThat(cfg()).contains("bind localhost:3310", "10.0.0.2:80 id"));
            FakeWatcherFactory.listener("e3").onGeneratorConfig(Map.of());
            await().untilAsserted(() -> assertThat(cfg()).contains("bind localhost:3302"));
        }
    }

    @Test
    void usePreviousBackendsKeepsTheSetWhenDiscoveryEmpties() throws Exception {
        ObjectNode svc = json("{'discovery': {'method': 'fake', 'id': 'e4', 'initial': ['10.0.0.1:80', '10.0.0.2:80']},"
                + " 'haproxy': {'port': 3303}}");
        try (Synapse synapse = start("e4", svc)) {
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            FakeWatcherFactory.listener("e4").onBackends(List.of());
            FakeWatcherFactory.listener("e4").onBackends(backends("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"));
            await().untilAsserted(() -> assertThat(cfg()).contains("10.0.0.3:80 id 3"));
            assertThat(cfg()).contains("10.0.0.1:80", "10.0.0.2:80");
        }
    }

    private static long engineRenders(Synapse synapse) throws Exception {
        var f = Synapse.class.getDeclaredField("engine");
        f.setAccessible(true);
        return ((Engine) f.get(synapse)).renders();
    }

    @Test
    void manyServicesRenderEveryOne() throws Exception {
        ObjectNode c = json("{'services': {}}");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ids.add("m" + i);
            c.with("services").set("m" + i, json("{'discovery': {'method': 'fake', 'id': 'many" + i + "', 'initial': ['10.0." + i + ".1:80']}}"));
        }
        c.set("haproxy", TestConfigs.haproxyGlobal(dir));
        try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, c), Plugins.fromClasspath())) {
            synapse.start();
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            String text = cfg();
            for (int i = 0; i < 50; i++) {
                assertThat(text).contains("backend m" + i + "\n\tserver 10.0." + i + ".1:80 ");
            }
        }
    }

    @Test
    void statsdReceivesRenderAndBackendMetrics() throws Exception {
        try (java.net.DatagramSocket udp = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            udp.setSoTimeout(10_000);
            ObjectNode c = json("{'services': {'st': {'discovery': {'method': 'fake', 'id': 'statsd', 'initial': ['10.0.0.1:80', '10.0.0.2:80']}}}}");
            c.set("haproxy", TestConfigs.haproxyGlobal(dir));
            c.set("statsd", json("{'host': '127.0.0.1'}"));
            c.with("statsd").put("port", udp.getLocalPort());
            try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, c), Plugins.fromClasspath())) {
                synapse.start();
                List<String> seen = new ArrayList<>();
                byte[] buf = new byte[512];
                while (!seen.contains("synapse.service.st.backends:2|g")) {
                    java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
                    udp.receive(p);
                    seen.add(new String(p.getData(), 0, p.getLength(), java.nio.charset.StandardCharsets.UTF_8));
                }
                assertThat(seen).contains("synapse.renders:1|c", "synapse.renders.ok:1|c");
            }
        }
    }
}
