package io.synapse.nerve;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.synapse.testing.EtcdCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** nerve against an etcd with authentication on: etcd_user / etcd_password. */
class EtcdAuthNerveTest {
    private static EtcdCluster etcd;
    private static Client root;

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @BeforeAll
    static void startEtcdWithAuth() throws Exception {
        etcd = EtcdCluster.start(1);
        try (Client admin = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            var auth = admin.getAuthClient();
            auth.roleAdd(bytes("root")).get(10, TimeUnit.SECONDS);
            auth.userAdd(bytes("root"), bytes("root-secret")).get(10, TimeUnit.SECONDS);
            auth.userGrantRole(bytes("root"), bytes("root")).get(10, TimeUnit.SECONDS);
            auth.roleAdd(bytes("nerve-writer")).get(10, TimeUnit.SECONDS);
            auth.roleGrantPermission(bytes("nerve-writer"), bytes("/secure/nerve/"), bytes("/secure/nerve0"),
                    Permission.Type.READWRITE).get(10, TimeUnit.SECONDS);
            auth.userAdd(bytes("nerve"), bytes("n3rve")).get(10, TimeUnit.SECONDS);
            auth.userGrantRole(bytes("nerve"), bytes("nerve-writer")).get(10, TimeUnit.SECONDS);
            auth.authEnable().get(10, TimeUnit.SECONDS);
        }
        root = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new))
                .user(bytes("root")).password(bytes("root-secret")).build();
    }

    @AfterAll
    static void stopEtcd() {
        root.close();
        etcd.close();
    }

    private static Nerve nerve(String service, String password) {
        String json = """
                {"instance_id": "i-auth", "services": {"%s": {"host": "127.0.0.1", "port": 8080, "reporter_type": "etcd",
                 "etcd_endpoints": ["%s"], "etcd_path": "/secure/nerve", "etcd_user": "nerve", "etcd_password": "%s",
                 "check_interval": 0.1, "checks": [{"type": "noop"}]}}}""".formatted(service, etcd.endpoint(0), password);
        Nerve nerve = new Nerve(ZooKeeperNerveTest.config(json));
        nerve.start();
        return nerve;
    }

    private static long keys(String prefix) throws Exception {
        return root.getKVClient().get(bytes(prefix), io.etcd.jetcd.options.GetOption.newBuilder().isPrefix(true).build())
                .get(5, TimeUnit.SECONDS).getCount();
    }

    @Test
    void registersWithAUserAndPassword() throws Exception {
        try (Nerve nerve = nerve("api", "n3rve")) {
            await().atMost(Duration.ofSeconds(20)).until(() -> keys("/secure/nerve/i-auth_api") == 1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> keys("/secure/nerve/i-auth_api") == 0);
    }

    @Test
    void aWrongPasswordRegistersNothing() throws Exception {
        try (Nerve nerve = nerve("web", "wrong")) {
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> keys("/secure/nerve/i-auth_web") == 0);
        }
        assertThat(keys("/secure/nerve/i-auth_web")).isZero();
    }
}
