package io.synapse.common.etcd;

import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.tls.TlsFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static io.synapse.common.etcd.EtcdConnectionsTest.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The pool and the client setup; talking to a real etcd is tested where the clients are used
 * (watcher-etcd, nerve-reporter), since etcd's test harness lives in synapse-core's test jar.
 */
class EtcdClientsTest {
    private static final EtcdClientSettings SETTINGS = new EtcdClientSettings(Duration.ofSeconds(1), null, null,
            Duration.ofMillis(100), Duration.ofSeconds(1), null, false, null);
    private final EtcdClients clients = new EtcdClients(SETTINGS);

    /** An endpoint nothing listens on: jetcd connects lazily, so creating clients needs no server. */
    private static EtcdConnection connection(String user) {
        return new EtcdConnection(List.of(URI.create("http://127.0.0.1:9")), TlsFiles.NONE, user, user == null ? null : "pw");
    }

    @AfterEach
    void close() {
        clients.close();
    }

    @Test
    void oneClientPerConnectionClosedWithTheLastLease() throws Exception {
        Lease<EtcdConnection, SharedEtcdClient> a = clients.acquire(connection(null));
        Lease<EtcdConnection, SharedEtcdClient> b = clients.acquire(connection(null));
        Lease<EtcdConnection, SharedEtcdClient> other = clients.acquire(connection("u"));
        assertThat(b.get()).isSameAs(a.get());
        assertThat(other.get().client()).isNotSameAs(a.get().client());
        assertThat(clients.size()).isEqualTo(2);
        a.close();
        b.close();
        assertThat(clients.size()).isEqualTo(1);
        assertThat(clients.find(connection("u"))).containsSame(other.get());
        other.close();
        assertThat(clients.size()).isZero();
    }

    @Test
    void renewMakesANewClientForTheConnection() throws Exception {
        Lease<EtcdConnection, SharedEtcdClient> a = clients.acquire(connection(null));
        Lease<EtcdConnection, SharedEtcdClient> b = clients.acquire(connection(null));
        Lease<EtcdConnection, SharedEtcdClient> renewed = clients.renew(a);
        assertThat(renewed.get().client()).isNotSameAs(b.get().client());
        assertThat(clients.find(connection(null))).containsSame(renewed.get());
        b.close();
        renewed.close();
        assertThat(clients.size()).isZero();
    }

    @Test
    void theChannelCanBeToldToReconnectNow() throws Exception {
        try (Lease<EtcdConnection, SharedEtcdClient> lease = clients.acquire(connection(null))) {
            assertThat(lease.get().reconnectNow()).as("jetcd's channel is reachable for resetConnectBackoff").isTrue();
        }
    }

    @Test
    void tlsClientsAreBuiltFromEveryKeyFormAndBadFilesAreRefused() throws Exception {
        for (String form : List.of("pkcs1", "sec1", "pkcs8")) {
            EtcdConnection tls = new EtcdConnection(List.of(URI.create("https://127.0.0.1:9")),
                    new TlsFiles(file("ca.pem"), file(form + ".pem"), file(form + ".key")), null, null);
            try (Lease<EtcdConnection, SharedEtcdClient> lease = clients.acquire(tls)) {
                assertThat(lease.get().connection()).isEqualTo(tls);
            }
        }
        EtcdConnection bad = new EtcdConnection(List.of(URI.create("https://127.0.0.1:9")),
                new TlsFiles(file("ca.pem"), file("sec1.pem"), file("ca.pem")), null, null);
        assertThatThrownBy(() -> clients.acquire(bad)).isInstanceOf(TlsFiles.TlsException.class)
                .hasMessage(file("ca.pem") + ": no PEM private key found");
        assertThat(clients.size()).isZero();
    }

    @Test
    void theConnectionNeverPrintsThePassword() {
        assertThat(connection("synapse").toString()).isEqualTo("http://127.0.0.1:9 as synapse");
    }
}
