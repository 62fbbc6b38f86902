package io.synapse.etcd;

import io.synapse.testing.FreePorts;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EtcdClientsTest {
    private static EtcdClients.Connection connection(String user) {
        return new EtcdClients.Connection(List.of(URI.create("http://127.0.0.1:" + FreePorts.next())), null, null, null, user,
                user == null ? null : "pw");
    }

    @Test
    void oneClientPerConnectionClosedWithTheLastHandle() throws Exception {
        int before = EtcdClients.liveClients();
        EtcdClients.Connection c = connection(null);
        EtcdClients.Handle a = EtcdClients.acquire(c);
        EtcdClients.Handle b = EtcdClients.acquire(new EtcdClients.Connection(c.endpoints(), null, null, null, null, null));
        assertThat(b.client()).isSameAs(a.client());
        EtcdClients.Handle other = EtcdClients.acquire(new EtcdClients.Connection(c.endpoints(), null, null, null, "u", "pw"));
        assertThat(other.client()).isNotSameAs(a.client());
        assertThat(EtcdClients.liveClients()).isEqualTo(before + 2);
        a.close();
        a.close();
        assertThat(EtcdClients.liveClients()).isEqualTo(before + 2);
        b.close();
        other.close();
        assertThat(EtcdClients.liveClients()).isEqualTo(before);
    }

    @Test
    void theChannelCanBeToldToReconnectNow() throws Exception {
        try (EtcdClients.Handle handle = EtcdClients.acquire(connection(null))) {
            assertThat(handle.reconnectNow()).as("jetcd's channel is reachable for resetConnectBackoff").isTrue();
        }
    }

    @Test
    void theConnectionNeverPrintsThePassword() {
        assertThat(connection("synapse").toString()).contains("as synapse").doesNotContain("pw");
    }
}
