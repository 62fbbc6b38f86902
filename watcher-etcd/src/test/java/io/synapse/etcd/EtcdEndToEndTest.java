package io.synapse.etcd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.Client;
import io.synapse.Synapse;
import io.synapse.testing.EtcdCluster;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import static io.synapse.etcd.EtcdTesting.delete;
import static io.synapse.etcd.EtcdTesting.nerve;
import static io.synapse.etcd.EtcdTesting.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Through the engine: each decoder's put, update, delete and lease expiry reach the rendered haproxy.cfg. */
class EtcdEndToEndTest {
    private static EtcdCluster etcd;
    private static Client client;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(1);
        client = EtcdTesting.client(etcd.endpoints());
    }

    @AfterAll
    static void stopEtcd() {
        client.close();
        etcd.close();
    }

    private Synapse synapse(String discoveryJson) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode config = mapper.createObjectNode();
        ObjectNode service = config.putObject("services").putObject("api");
        service.set("discovery", mapper.readTree(discoveryJson));
        service.putObject("haproxy").put("port", FreePorts.next()).put("server_options", "check");
        ObjectNode haproxy = config.putObject("haproxy");
        haproxy.put("config_file_path", dir.resolve("haproxy.cfg").toString())
                .put("do_reloads", false).put("do_socket", false);
        haproxy.putArray("global").add("maxconn 100");
        haproxy.putArray("defaults").add("mode http").add("timeout connect 5s").add("timeout client 30s").add("timeout server 30s");
        Path file = dir.resolve("synapse.conf.json");
        Files.writeString(file, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        Synapse synapse = Synapse.fromFile(file);
        synapse.start();
        assertThat(synapse.awaitInitialized(Duration.ofSeconds(20))).isTrue();
        return synapse;
    }

    private void awaitConfig(Consumer<String> check) {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> check.accept(Files.readString(dir.resolve("haproxy.cfg"))));
    }

    private long lease() {
        return EtcdTesting.await(client.getLeaseClient().grant(1)).getID();
    }

    @Test
    void nerveRegistrations() throws Exception {
        put(client, "/e2e/nerve/i-1", nerve("10.0.0.1", 8080, "i-1"));
        try (Synapse synapse = synapse("{\"method\": \"etcd\", \"endpoints\": [\"" + etcd.endpoint(0) + "\"], \"path\": \"/e2e/nerve\"}")) {
            awaitConfig(cfg -> assertThat(cfg).contains("server i-1_10.0.0.1:8080 10.0.0.1:8080 "));
            put(client, "/e2e/nerve/i-2", "{\"host\": \"10.0.0.2\", \"port\": 8080, \"name\": \"i-2\", \"haproxy_server_options\": \"backup\"}");
            awaitConfig(cfg -> assertThat(cfg).containsPattern("server i-2_10.0.0.2:8080 10.0.0.2:8080 .*check backup\n"));
            put(client, "/e2e/nerve/i-1", nerve("10.0.0.1", 9090, "i-1"));
            awaitConfig(cfg -> assertThat(cfg).contains("server i-1_10.0.0.1:9090 10.0.0.1:9090 ").doesNotContain("10.0.0.1:8080"));
            delete(client, "/e2e/nerve/i-2");
            awaitConfig(cfg -> assertThat(cfg).doesNotContain("10.0.0.2"));
            put(client, "/e2e/nerve/i-3", nerve("10.0.0.3", 8080, "i-3"), lease());
            awaitConfig(cfg -> assertThat(cfg).contains("server i-3_10.0.0.3:8080 10.0.0.3:8080 "));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
            awaitConfig(cfg -> assertThat(cfg).doesNotContain("10.0.0.3").contains("server i-1_10.0.0.1:9090 "));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
        }
    }

    @Test
    void jsonAnnouncements() throws Exception {
        try (Synapse synapse = synapse("{\"method\": \"etcd\", \"endpoints\": [\"" + etcd.endpoint(0) + "\"], \"path\": \"/e2e/json\", "
                + "\"decode\": {\"method\": \"json\", \"host_field\": \"IP\", \"port_field\": \"EXT_PORT\", \"name_field\": \"ID\"}}")) {
            put(client, "/e2e/json/0ce60d000eac",
                    "{\"ID\": \"0ce60d000eac\", \"SERVICE\": \"web\", \"IP\": \"10.250.136.243\", \"EXT_PORT\": \"49178\"}");
            awaitConfig(cfg -> assertThat(cfg).contains("server 0ce60d000eac_10.250.136.243:49178 10.250.136.243:49178 "));
            put(client, "/e2e/json/0ce60d000eac",
                    "{\"ID\": \"0ce60d000eac\", \"SERVICE\": \"web\", \"IP\": \"10.250.136.243\", \"EXT_PORT\": \"49180\"}");
            awaitConfig(cfg -> assertThat(cfg).contains("10.250.136.243:49180 ").doesNotContain("49178"));
            put(client, "/e2e/json/77", "{\"ID\": \"77\", \"IP\": \"10.250.136.77\", \"EXT_PORT\": 80}", lease());
            awaitConfig(cfg -> assertThat(cfg).contains("server 77_10.250.136.77:80 10.250.136.77:80 "));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
            awaitConfig(cfg -> assertThat(cfg).doesNotContain("10.250.136.77"));
            put(client, "/e2e/json/88", "{\"ID\": \"88\", \"IP\": \"10.250.136.88\", \"EXT_PORT\": 80}");
            delete(client, "/e2e/json/0ce60d000eac");
            awaitConfig(cfg -> assertThat(cfg).doesNotContain("10.250.136.243").contains("server 88_10.250.136.88:80 "));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
        }
    }

    @Test
    void hostAndPortInTheKey() throws Exception {
        try (Synapse synapse = synapse("{\"method\": \"etcd\", \"endpoints\": [\"" + etcd.endpoint(0) + "\"], \"path\": \"/e2e/service_dis\", "
                + "\"decode\": {\"method\": \"key\"}}")) {
            put(client, "/e2e/service_dis/192.168.1.4:9001", "ok", lease());
            put(client, "/e2e/service_dis/[::1]:9002", "ok");
            awaitConfig(cfg -> assertThat(cfg).contains("server 192.168.1.4:9001 192.168.1.4:9001 ", "server ::1:9002 [::1]:9002 "));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
            // the shell loop's registration expires with its TTL
            awaitConfig(cfg -> assertThat(cfg).doesNotContain("192.168.1.4").contains("[::1]:9002"));
            put(client, "/e2e/service_dis/192.168.1.4:9001", "ok again");
            awaitConfig(cfg -> assertThat(cfg).contains("server 192.168.1.4:9001 192.168.1.4:9001 "));
            delete(client, "/e2e/service_dis/[::1]:9002");
            awaitConfig(cfg -> assertThat(cfg).doesNotContain("::1"));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
        }
    }
}
