package io.synapse.zookeeper;

import io.synapse.Synapse;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.synapse.zookeeper.Zk.json;
import static io.synapse.zookeeper.Zk.nerve;
import static io.synapse.zookeeper.Zk.register;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Through the real engine: ZooKeeper changes end up in a haproxy.cfg that HAProxy accepts. */
class ZookeeperEndToEndTest {
    static {
        Zk.init();
    }

    @TempDir
    Path dir;
    private TestingServer server;
    private CuratorFramework admin;

    @BeforeEach
    void start() throws Exception {
        server = Zk.server();
        admin = Zk.admin(server.getConnectString());
    }

    @AfterEach
    void stop() throws Exception {
        admin.close();
        server.close();
    }

    private String read(Path file) throws Exception {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    @Test
    void rendersEveryFormatIntoHaproxyCfg() throws Exception {
        String nervePath = Zk.path("e2e-nerve");
        String encodedPath = Zk.path("e2e-encoded");
        String serversetPath = Zk.path("e2e-serverset");
        String a = register(admin, nervePath, "i-a", nerve("10.9.0.1", 8080, "i-a"));
        byte[] encoded = NerveRegistration.of("10.9.1.1", 3000, "i-enc").toJson();
        String encodedChild = admin.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                .forPath(encodedPath + "/" + NerveRegistration.pathEncodedPrefix(encoded), new byte[0]);
        String member = "{\"serviceEndpoint\": {\"host\": \"10.9.2.%d\", \"port\": 31943},"
                + " \"additionalEndpoints\": {\"http\": {\"host\": \"10.9.2.%d\", \"port\": 8081}}, \"status\": \"ALIVE\", \"shard\": %d}";
        String m0 = register(admin, serversetPath, "member", json(member.formatted(1, 1, 0)));

        Path cfg = dir.resolve("haproxy.cfg");
        String hosts = "[\"" + server.getConnectString() + "\"]";
        Path conf = dir.resolve("synapse.conf.json");
        Files.writeString(conf, """
                {"services": {
                   "api": {"discovery": {"method": "zookeeper", "hosts": %s, "path": "%s"},
                           "haproxy": {"port": %d, "server_options": "check"}},
                   "enc": {"discovery": {"method": "zookeeper", "hosts": %s, "path": "%s"},
                           "haproxy": {"port": %d, "server_options": "check"}},
                   "ss":  {"discovery": {"method": "zookeeper_poll", "hosts": %s, "path": "%s", "polling_interval_sec": 0.2,
                                         "decode": {"method": "serverset", "endpoint_name": "http"}},
                           "haproxy": {"port": %d, "server_options": "check"}}},
                 "haproxy": {"config_file_path": "%s", "do_reloads": false, "do_socket": false,
                             "global": ["maxconn 100"],
                             "defaults": ["mode http", "timeout connect 5s", "timeout client 30s", "timeout server 30s"]}}
                """.formatted(hosts, nervePath, FreePorts.next(), hosts, encodedPath, FreePorts.next(),
                hosts, serversetPath, FreePorts.next(), cfg));

        try (Synapse synapse = Synapse.fromFile(conf)) {
            synapse.start();
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(30))).as("initialized: %s", synapse.uninitializedServices()).isTrue();
            String first = read(cfg);
            assertThat(first).contains("10.9.0.1:8080", "10.9.1.1:3000", "10.9.2.1:8081").doesNotContain("31943");
            Haproxy.assertValid(cfg);

            // register, change, remove in each format
            register(admin, nervePath, "i-b", nerve("10.9.0.2", 8080, "i-b"));
            admin.setData().forPath(a, nerve("10.9.0.1", 9090, "i-a"));
            admin.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(encodedPath + "/"
                    + NerveRegistration.pathEncodedPrefix(NerveRegistration.of("10.9.1.2", 3000, "i-enc2").toJson()), new byte[0]);
            admin.delete().forPath(encodedChild);
            admin.setData().forPath(m0, json(member.formatted(3, 3, 0)));
            register(admin, serversetPath, "member", json(member.formatted(2, 2, 1)));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                String text = read(cfg);
                return text.contains("10.9.0.1:9090") && text.contains("10.9.0.2:8080") && !text.contains("10.9.0.1:8080")
                        && text.contains("10.9.1.2:3000") && !text.contains("10.9.1.1:3000")
                        && text.contains("10.9.2.3:8081") && text.contains("10.9.2.2:8081") && !text.contains("10.9.2.1:8081");
            });
            Haproxy.assertValid(cfg);

            // the parent's data overrides the service's haproxy settings at run time
            admin.setData().forPath(nervePath, json("{\"haproxy\": {\"port\": " + FreePorts.next()
                    + ", \"server_options\": \"check inter 7s\"}}"));
            await().atMost(Duration.ofSeconds(20)).until(() -> read(cfg).contains("check inter 7s"));
            Haproxy.assertValid(cfg);

            admin.delete().forPath(a);
            await().atMost(Duration.ofSeconds(20)).until(() -> !read(cfg).contains("10.9.0.1:9090"));
            assertThat(read(cfg)).contains("10.9.0.2:8080");
            Haproxy.assertValid(cfg);
        }
    }
}
