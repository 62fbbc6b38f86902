package io.synapse.multi;

import io.synapse.Synapse;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** multi with a real ZooKeeper and a real etcd as children, through the engine into a haproxy.cfg that HAProxy accepts. */
class MultiRegistriesTest {
    static {
        MultiTesting.init();
    }

    private static Registries registries;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        registries = Registries.start();
    }

    @AfterAll
    static void stop() throws Exception {
        registries.close();
    }

    private Synapse synapse(String discovery) throws Exception {
        Synapse synapse = Synapse.fromFile(MultiTesting.synapseConfig(dir, "api", discovery, FreePorts.next()), MultiTesting.PLUGINS);
        synapse.start();
        assertThat(synapse.awaitInitialized(MultiTesting.WAIT)).isTrue();
        return synapse;
    }

    /** Waits until haproxy.cfg satisfies the condition, then checks it with haproxy -c. */
    private String awaitCfg(Predicate<String> condition) {
        Path cfg = dir.resolve("haproxy.cfg");
        await().until(() -> condition.test(MultiTesting.read(cfg)));
        Haproxy.assertValid(cfg);
        return MultiTesting.read(cfg);
    }

    @Test
    void unionOfZookeeperAndEtcd() throws Exception {
        String path = Registries.path("union");
        registries.zkRegister(path, "zk-1", "10.1.0.1", 8080);
        registries.etcdPut(path, "etcd-1", "10.2.0.1", 8080);
        registries.zkSetData(path, "{\"haproxy\": {\"port\": " + FreePorts.next() + ", \"server_options\": \"check inter 7s\"}}");
        String discovery = """
                {"method": "multi", "watchers": {"zookeeper": %s, "etcd": %s}, "resolver": {"method": "union"}}
                """.formatted(registries.zookeeperChild(path), registries.etcdChild(path));
        try (Synapse synapse = synapse(discovery)) {
            String cfg = awaitCfg(c -> c.contains("10.1.0.1:8080") && c.contains("10.2.0.1:8080"));
            assertThat(cfg).contains("check inter 7s"); // the generator config of the first child that has one

            // the same server in both registries is one backend
            registries.etcdPut(path, "zk-1", "10.1.0.1", 8080);
            String zkNode = registries.zkRegister(path, "zk-2", "10.1.0.2", 8080);
            cfg = awaitCfg(c -> c.contains("10.1.0.2:8080"));
            assertThat(cfg.lines().filter(l -> l.strip().startsWith("server ") && l.contains("10.1.0.1:8080"))).hasSize(1);

            registries.etcdDelete(path, "etcd-1");
            registries.zkDelete(zkNode);
            awaitCfg(c -> !c.contains("10.2.0.1:8080") && !c.contains("10.1.0.2:8080") && c.contains("10.1.0.1:8080"));
        }
    }

    @Test
    void sequentialFallsBackWhenZookeepersPathIsEmptiedAndReturnsWhenItFills() throws Exception {
        String path = Registries.path("seq");
        String zk1 = registries.zkRegister(path, "zk-1", "10.1.0.1", 8080);
        registries.etcdPut(path, "etcd-1", "10.2.0.1", 8080);
        registries.zkSetData(path, "{\"haproxy\": {\"port\": " + FreePorts.next() + ", \"server_options\": \"check inter 7s\"}}");
        String discovery = """
                {"method": "multi", "watchers": {"zookeeper": %s, "etcd": %s},
                 "resolver": {"method": "sequential", "sequential_order": ["zookeeper", "etcd"]}}
                """.formatted(registries.zookeeperChild(path), registries.etcdChild(path));
        try (Synapse synapse = synapse(discovery)) {
            String cfg = awaitCfg(c -> c.contains("10.1.0.1:8080"));
            assertThat(cfg).doesNotContain("10.2.0.1:8080").contains("check inter 7s");

            registries.zkDelete(zk1);
            cfg = awaitCfg(c -> c.contains("10.2.0.1:8080") && !c.contains("10.1.0.1:8080"));
            assertThat(cfg).doesNotContain("check inter 7s"); // etcd publishes no generator config: the file's applies

            registries.zkRegister(path, "zk-2", "10.1.0.2", 8080);
            cfg = awaitCfg(c -> c.contains("10.1.0.2:8080") && !c.contains("10.2.0.1:8080"));
            assertThat(cfg).contains("check inter 7s");
        }
    }

    @Test
    void fileToggleIsMovedByEditingTheFile() throws Exception {
        String path = Registries.path("toggle");
        registries.zkRegister(path, "zk-1", "10.1.0.1", 8080);
        registries.etcdPut(path, "etcd-1", "10.2.0.1", 8080);
        Path toggle = dir.resolve("api-toggle.yaml");
        Files.writeString(toggle, "zookeeper: 1\netcd: 0\n");
        String discovery = """
                {"method": "multi", "watchers": {"zookeeper": %s, "etcd": %s},
                 "resolver": {"method": "file_toggle", "path": "%s", "polling_interval_seconds": 0.2}}
                """.formatted(registries.zookeeperChild(path), registries.etcdChild(path), toggle);
        try (Synapse synapse = synapse(discovery)) {
            awaitCfg(c -> c.contains("10.1.0.1:8080") && !c.contains("10.2.0.1:8080"));

            MultiTesting.replace(toggle, "zookeeper: 0\netcd: 1\n");
            awaitCfg(c -> c.contains("10.2.0.1:8080") && !c.contains("10.1.0.1:8080"));

            // edited in place too
            Files.writeString(toggle, "zookeeper: 5\netcd: 0\n");
            awaitCfg(c -> c.contains("10.1.0.1:8080") && !c.contains("10.2.0.1:8080"));

            // an invalid file, a file naming an unknown watcher and a deleted file keep the pick
            long reads = TogglePoller.POLLERS.acquire(new ToggleSpec.File(toggle, java.time.Duration.ofMillis(200))).get().reads();
            Files.writeString(toggle, "zookeeper: -1\n");
            awaitReads(toggle, reads + 3);
            Files.writeString(toggle, "etdc: 1\n");
            awaitReads(toggle, reads + 6);
            Files.delete(toggle);
            awaitReads(toggle, reads + 9);
            registries.zkRegister(path, "zk-2", "10.1.0.2", 8080);
            awaitCfg(c -> c.contains("10.1.0.1:8080") && c.contains("10.1.0.2:8080") && !c.contains("10.2.0.1:8080"));
        }
    }

    private static void awaitReads(Path toggle, long reads) {
        try (var lease = TogglePoller.POLLERS.acquire(new ToggleSpec.File(toggle, java.time.Duration.ofMillis(200)))) {
            await().until(() -> lease.get().reads() >= reads);
        }
    }
}
