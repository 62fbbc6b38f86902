package io.synapse.examples;

import com.sun.net.httpserver.HttpServer;
import io.synapse.Synapse;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.testing.EtcdCluster;
import io.synapse.testing.Haproxy;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * End to end with real parts: nerve (a separate process, examples/nerve.conf.json) health-checks a
 * local HTTP server and registers it in ZooKeeper and etcd; synapse (examples/zookeeper-nerve.json
 * and etcd-nerve.json) renders it into haproxy.cfg. The server fails its check and leaves both
 * files; it recovers and returns.
 */
class NerveToSynapseTest {
    @TempDir
    Path dir;

    @Test
    void aHealthyServiceIsInHaproxyAndAFailingOneIsNot() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/health", exchange -> {
            byte[] body = (healthy.get() ? "ok" : "failing").getBytes();
            exchange.sendResponseHeaders(healthy.get() ? 200 : 503, body.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            }
        });
        http.start();
        int port = http.getAddress().getPort();
        try (TestingServer zk = new TestingServer(true); EtcdCluster etcd = EtcdCluster.start(1)) {
            Map<String, String> env = new HashMap<>();
            env.put("ZK_HOSTS", zk.getConnectString());
            env.put("ETCD_ENDPOINT", etcd.endpoint(0));
            env.put("API_PORT", Integer.toString(port));
            env.put("NERVE_OUT", dir.resolve("nerve").toString());
            Files.createDirectories(dir.resolve("nerve"));

            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "io.synapse.nerve.NerveMain",
                    "--config", ExamplesTest.EXAMPLES.resolve("nerve.conf.json").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("nerve.log").toFile());
            pb.environment().putAll(env);
            Process nerve = pb.start();
            try (Synapse viaZk = synapse("zookeeper-nerve.json", dir.resolve("zk"), env);
                 Synapse viaEtcd = synapse("etcd-nerve.json", dir.resolve("etcd"), env)) {
                String server = "server web-host-1_127.0.0.1:" + port + " 127.0.0.1:" + port;
                Path zkCfg = dir.resolve("zk/haproxy.cfg");
                Path etcdCfg = dir.resolve("etcd/haproxy.cfg");
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    assertThat(read(zkCfg)).contains(server);
                    assertThat(read(etcdCfg)).contains(server);
                });
                // its id is 1 or 2: the fallback server holds 1 until the first registration arrives
                // when synapse starts before nerve registers, and a freed id is not reused at once (Ruby)
                assertThat(read(zkCfg)).containsPattern(java.util.regex.Pattern.quote(server) + " id [12] "
                        + java.util.regex.Pattern.quote("cookie web-host-1_127.0.0.1:" + port + " check inter 2s rise 3 fall 2 weight 100"));
                Haproxy.assertValid(zkCfg);

                healthy.set(false);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(read(zkCfg)).doesNotContain(server).contains("server fallback_127.0.0.1:18080");
                    assertThat(read(etcdCfg)).doesNotContain(server);
                });
                Haproxy.assertValid(etcdCfg);

                healthy.set(true);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(read(zkCfg)).contains(server).doesNotContain("fallback");
                    assertThat(read(etcdCfg)).contains(server);
                });
                assertThat(Files.exists(dir.resolve("nerve/heartbeat"))).isTrue();
            } finally {
                nerve.destroy();
                assertThat(nerve.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(nerve.exitValue()).as(Files.readString(dir.resolve("nerve.log"))).isZero();
            }
        } finally {
            http.stop(0);
        }
    }

    private static Synapse synapse(String example, Path out, Map<String, String> env) throws Exception {
        Files.createDirectories(out);
        Map<String, String> e = new HashMap<>(env);
        e.put("SYNAPSE_OUT", out.toString());
        Synapse s = Synapse.fromConfig(new ConfigLoader(Plugins.fromClasspath(), e::get).load(ExamplesTest.EXAMPLES.resolve(example)));
        s.start();
        return s;
    }

    private static String read(Path p) throws Exception {
        return Files.exists(p) ? Files.readString(p) : "";
    }

}
