package io.synapse.nerve;

import io.synapse.common.config.ConfigException;
import io.synapse.testing.FreePorts;
import io.synapse.testing.HttpBackends;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** nerve embedded in another program: registers, serves its status page, deregisters on close. */
class NerveDaemonTest {
    @TempDir
    Path tmp;

    @Test
    void registersTheHealthyServiceServesItsStatusAndDeregistersOnClose() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             HttpBackends backend = HttpBackends.start("app");
             CuratorFramework reader = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
            reader.start();
            reader.blockUntilConnected(10, TimeUnit.SECONDS);
            int statusPort = FreePorts.next();
            Path config = tmp.resolve("nerve.conf.json");
            Files.writeString(config, """
                    {"instance_id": "embedded", "status": {"port": %d},
                     "services": {"app": {"host": "127.0.0.1", "port": %d, "zk_hosts": ["${ZK}"], "zk_path": "/nerve/app",
                                          "check_interval": 0.1, "checks": [{"type": "tcp", "timeout": 1}]}}}
                    """.formatted(statusPort, backend.port()));

            NerveDaemon nerve = NerveDaemon.start(config, Map.of("ZK", zk.getConnectString()));
            try {
                assertThat(nerve.statusAddress().getPort()).isEqualTo(statusPort);
                await().atMost(Duration.ofSeconds(15)).until(() -> reader.checkExists().forPath("/nerve/app") != null
                        && reader.getChildren().forPath("/nerve/app").size() == 1);
                HttpResponse<String> status = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(status.statusCode()).isEqualTo(200);
            } finally {
                nerve.close();
            }
            assertThat(reader.getChildren().forPath("/nerve/app")).isEmpty();
            nerve.close(); // idempotent
        }
    }

    @Test
    void anInvalidConfigListsEveryProblemAndStartsNothing() throws Exception {
        Path config = tmp.resolve("nerve.conf.json");
        Files.writeString(config, """
                {"instance_id": "embedded",
                 "services": {"app": {"host": "127.0.0.1", "prot": 80, "zk_hosts": ["127.0.0.1:1"], "zk_path": "/a"}}}
                """);
        assertThatThrownBy(() -> NerveDaemon.start(config, Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "services.app.prot: unknown key (did you mean \"port\"?)",
                        "services.app.port: is required"));
    }
}
