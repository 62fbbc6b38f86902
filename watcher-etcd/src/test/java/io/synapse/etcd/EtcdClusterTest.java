package io.synapse.etcd;

import io.etcd.jetcd.Client;
import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.EtcdCluster;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.synapse.etcd.EtcdTesting.delete;
import static io.synapse.etcd.EtcdTesting.json;
import static io.synapse.etcd.EtcdTesting.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A 3-member cluster: whichever member the watcher uses is killed, changes go on, the member comes back. */
class EtcdClusterTest {

    @Test
    void killingEachMemberInTurnLosesNoChange() {
        try (EtcdCluster etcd = EtcdCluster.start(3)) {
            RecordingListener listener = new RecordingListener();
            List<String> expected = new ArrayList<>();
            try (ServiceWatcher watcher = EtcdTesting.watcher("api", "{\"endpoints\": " + json(etcd.endpoints())
                    + ", \"path\": \"/cluster/api\", \"decode\": {\"method\": \"key\"}}", listener)) {
                watcher.start();
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(listener.lastAddresses()).isEqualTo(expected));

                // the watch stream lives on one of the members: killing each in turn kills that one for sure
                for (int member = 0; member < 3; member++) {
                    etcd.kill(member);
                    List<String> alive = new ArrayList<>(etcd.endpoints());
                    alive.remove(member);
                    try (Client writer = EtcdTesting.client(alive)) {
                        put(writer, "/cluster/api/10.0.0." + (member + 1) + ":80", "up");
                        expected.add("10.0.0." + (member + 1) + ":80");
                        if (member == 2) {
                            delete(writer, "/cluster/api/10.0.0.1:80");
                            expected.remove(0);
                        }
                    }
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(listener.lastAddresses()).isEqualTo(expected));
                    etcd.restart(member);
                }

                try (Client writer = EtcdTesting.client(etcd.endpoints())) {
                    put(writer, "/cluster/api/10.0.0.9:80", "up");
                    expected.add("10.0.0.9:80");
                }
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(listener.lastAddresses()).isEqualTo(expected));
                assertThat(((EtcdServiceWatcher) watcher).reads()).as("every break resumed from its revision").isEqualTo(1);
                assertThat(listener.snapshots).allSatisfy(s -> assertThat(s).doesNotHaveDuplicates());
            }
        }
    }
}
