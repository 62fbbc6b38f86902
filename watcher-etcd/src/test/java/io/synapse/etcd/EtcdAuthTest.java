package io.synapse.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.EtcdCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.synapse.etcd.EtcdTesting.await;
import static io.synapse.etcd.EtcdTesting.bytes;
import static io.synapse.etcd.EtcdTesting.json;
import static io.synapse.etcd.EtcdTesting.nerve;
import static io.synapse.etcd.EtcdTesting.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** etcd with authentication on: a user that may read the prefix, and a wrong password. */
class EtcdAuthTest {
    private static EtcdCluster etcd;
    private static Client root;

    @BeforeAll
    static void startEtcdWithAuth() {
        etcd = EtcdCluster.start(1);
        try (Client admin = EtcdTesting.client(etcd.endpoints())) {
            await(admin.getAuthClient().roleAdd(bytes("root")));
            await(admin.getAuthClient().userAdd(bytes("root"), bytes("root-secret")));
            await(admin.getAuthClient().userGrantRole(bytes("root"), bytes("root")));
            await(admin.getAuthClient().roleAdd(bytes("synapse-reader")));
            await(admin.getAuthClient().roleGrantPermission(bytes("synapse-reader"), bytes("/secure/api/"),
                    EtcdServiceWatcher.prefixEnd(bytes("/secure/api/")), Permission.Type.READ));
            await(admin.getAuthClient().userAdd(bytes("synapse"), bytes("s3cret")));
            await(admin.getAuthClient().userGrantRole(bytes("synapse"), bytes("synapse-reader")));
            await(admin.getAuthClient().authEnable());
        }
        root = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new))
                .user(bytes("root")).password(bytes("root-secret")).build();
        put(root, "/secure/api/i-1", nerve("10.0.0.1", 80, "i-1"));
    }

    @AfterAll
    static void stopEtcd() {
        root.close();
        etcd.close();
    }

    private String discovery(String user, String password) {
        return "{\"endpoints\": " + json(etcd.endpoints()) + ", \"path\": \"/secure/api\", \"user\": \"" + user
                + "\", \"password\": \"" + password + "\"}";
    }

    @Test
    void aUserWithReadAccessWatchesThePrefix() {
        RecordingListener listener = new RecordingListener();
        try (ServiceWatcher watcher = EtcdTesting.watcher("api", discovery("synapse", "s3cret"), listener)) {
            watcher.start();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(listener.lastAddresses()).containsExactly("i-1@10.0.0.1:80"));
            put(root, "/secure/api/i-2", nerve("10.0.0.2", 80, "i-2"));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(listener.lastAddresses()).containsExactly("i-1@10.0.0.1:80", "i-2@10.0.0.2:80"));
            assertThat(listener.failures).isEmpty();
        }
    }

    @Test
    void aWrongPasswordIsAClearFailureAndPublishesNothing() {
        RecordingListener listener = new RecordingListener();
        try (ServiceWatcher watcher = EtcdTesting.watcher("api", discovery("synapse", "wrong"), listener)) {
            watcher.start();
            await().atMost(Duration.ofSeconds(15)).until(() -> !listener.failures.isEmpty());
            assertThat(listener.failures.get(0)).isEqualTo("cannot read prefix \"/secure/api/\" from etcd "
                    + etcd.endpoint(0) + ": authentication failed for user \"synapse\": etcdserver: authentication failed, invalid user ID or password");
            assertThat(listener.snapshots).isEmpty();
        }
    }

    @Test
    void aUserWithoutAccessToThePrefixIsAClearFailure() {
        RecordingListener listener = new RecordingListener();
        String discovery = "{\"endpoints\": " + json(etcd.endpoints()) + ", \"path\": \"/secure/other\", "
                + "\"user\": \"synapse\", \"password\": \"s3cret\"}";
        try (ServiceWatcher watcher = EtcdTesting.watcher("other", discovery, listener)) {
            watcher.start();
            await().atMost(Duration.ofSeconds(15)).until(() -> !listener.failures.isEmpty());
            assertThat(listener.failures.get(0)).isEqualTo("cannot read prefix \"/secure/other/\" from etcd "
                    + etcd.endpoint(0) + ": permission denied for user \"synapse\": etcdserver: permission denied");
            assertThat(listener.snapshots).isEmpty();
        }
    }

    @Test
    void noUserOnAClusterWithAuthenticationIsAClearFailure() {
        RecordingListener listener = new RecordingListener();
        try (ServiceWatcher watcher = EtcdTesting.watcher("anon",
                "{\"endpoints\": " + json(etcd.endpoints()) + ", \"path\": \"/secure/api\"}", listener)) {
            watcher.start();
            await().atMost(Duration.ofSeconds(15)).until(() -> !listener.failures.isEmpty());
            assertThat(listener.failures.get(0)).isEqualTo("cannot read prefix \"/secure/api/\" from etcd "
                    + etcd.endpoint(0) + ": authentication failed (no user configured): etcdserver: user name is empty");
            assertThat(listener.snapshots).isEmpty();
        }
    }
}
