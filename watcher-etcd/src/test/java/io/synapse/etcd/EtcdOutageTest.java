package io.synapse.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.CompactOption;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.EtcdCluster;
import io.synapse.testing.FreePorts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.synapse.etcd.EtcdTesting.delete;
import static io.synapse.etcd.EtcdTesting.json;
import static io.synapse.etcd.EtcdTesting.nerve;
import static io.synapse.etcd.EtcdTesting.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The watcher when etcd goes away: compaction while cut off, a stopped and restarted server, no server at all. */
class EtcdOutageTest {

    @Test
    void aCompactionPastTheWatchersRevisionLeadsToAFreshExactSet() {
        try (EtcdCluster etcd = EtcdCluster.start(1);
             Client client = EtcdTesting.client(etcd.endpoints());
             TcpProxy proxy = new TcpProxy(EtcdTesting.port(etcd.endpoint(0)))) {
            put(client, "/compact/a", nerve("10.0.0.1", 80, "a"));
            put(client, "/compact/b", nerve("10.0.0.2", 80, "b"));
            put(client, "/compact/c", nerve("10.0.0.3", 80, "c"));
            RecordingListener listener = new RecordingListener();
            try (ServiceWatcher watcher = EtcdTesting.watcher("api",
                    "{\"endpoints\": " + json(List.of(proxy.endpoint())) + ", \"path\": \"/compact\"}", listener)) {
                watcher.start();
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                        assertThat(listener.lastAddresses()).containsExactly("a@10.0.0.1:80", "b@10.0.0.2:80", "c@10.0.0.3:80"));

                proxy.cut();
                await().atMost(Duration.ofSeconds(15)).until(() -> !listener.failures.isEmpty());
                assertThat(listener.failures.get(0)).startsWith("watch of prefix \"/compact/\" on etcd " + proxy.endpoint() + " broke at revision ");
                int snapshots = listener.snapshots.size();

                // while the watcher is cut off: changes, then a compaction past every revision it has seen
                delete(client, "/compact/a");
                put(client, "/compact/b", nerve("10.0.0.2", 81, "b"));
                put(client, "/compact/d", nerve("10.0.0.4", 80, "d"));
                long revision = put(client, "/compact/e", nerve("10.0.0.5", 80, "e"));
                delete(client, "/compact/e");
                EtcdTesting.await(client.getKVClient().compact(revision, CompactOption.builder().withCompactPhysical(true).build()));
                assertThat(listener.snapshots).as("nothing is published while etcd is unreachable").hasSize(snapshots);

                proxy.restore();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(listener.lastAddresses()).containsExactly("b@10.0.0.2:81", "c@10.0.0.3:80", "d@10.0.0.4:80"));
                assertThat(((EtcdServiceWatcher) watcher).reads()).as("the prefix was read again").isEqualTo(2);
                assertThat(listener.snapshots.subList(snapshots, listener.snapshots.size()))
                        .as("after the outage: the fresh exact set, never a partial one")
                        .allSatisfy(s -> assertThat(s).isIn(listener.snapshots.get(snapshots - 1), listener.last()));

                // and the watch goes on from the re-read
                put(client, "/compact/f", nerve("10.0.0.6", 80, "f"));
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(listener.lastAddresses())
                        .containsExactly("b@10.0.0.2:81", "c@10.0.0.3:80", "d@10.0.0.4:80", "f@10.0.0.6:80"));
                assertThat(listener.snapshots).allSatisfy(s -> assertThat(s).isNotEmpty());
            }
        }
    }

    @Test
    void etcdStoppedAndRestartedKeepsTheLastSetThenCatchesUp() {
        try (EtcdCluster etcd = EtcdCluster.start(1);
             Client client = EtcdTesting.client(etcd.endpoints())) {
            put(client, "/restart/a", nerve("10.0.0.1", 80, "a"));
            RecordingListener listener = new RecordingListener();
            try (ServiceWatcher watcher = EtcdTesting.watcher("api",
                    "{\"endpoints\": " + json(etcd.endpoints()) + ", \"path\": \"/restart\"}", listener)) {
                watcher.start();
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                        assertThat(listener.lastAddresses()).containsExactly("a@10.0.0.1:80"));

                etcd.kill(0);
                await().atMost(Duration.ofSeconds(15)).until(() -> !listener.failures.isEmpty());
                int snapshots = listener.snapshots.size();

                etcd.restart(0);
                put(client, "/restart/b", nerve("10.0.0.2", 80, "b"));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(listener.lastAddresses()).containsExactly("a@10.0.0.1:80", "b@10.0.0.2:80"));
                assertThat(listener.snapshots.subList(snapshots, listener.snapshots.size()))
                        .as("after the outage: the same set again (the episode is over), then the new one")
                        .allSatisfy(s -> assertThat(s).extracting(Backend::name).startsWith("a"));
                assertThat(((EtcdServiceWatcher) watcher).reads()).as("resumed from its revision, no re-read").isEqualTo(1);
            }
        }
    }

    @Test
    void noReachableEtcdReportsAFailureAndPublishesNothing() {
        String endpoint = "http://127.0.0.1:" + FreePorts.next();
        RecordingListener listener = new RecordingListener();
        try (ServiceWatcher watcher = EtcdTesting.watcher("api",
                "{\"endpoints\": " + json(List.of(endpoint)) + ", \"path\": \"/nothing\"}", listener)) {
            watcher.start();
            await().atMost(Duration.ofSeconds(15)).until(() -> !listener.failures.isEmpty());
            assertThat(listener.failures.get(0)).startsWith("cannot read prefix \"/nothing/\" from etcd " + endpoint + ": ");
            assertThat(listener.snapshots).isEmpty();
        }
    }

    @Test
    void anEtcdThatWentBackInTimeIsReadAgain() {
        try (EtcdCluster first = EtcdCluster.start(1);
             EtcdCluster replacement = EtcdCluster.start(1);
             Client firstClient = EtcdTesting.client(first.endpoints());
             Client replacementClient = EtcdTesting.client(replacement.endpoints());
             TcpProxy proxy = new TcpProxy(EtcdTesting.port(first.endpoint(0)))) {
            for (int i = 0; i < 20; i++) {
                put(firstClient, "/wiped/a", nerve("10.0.0.1", 80 + i, "a"));
            }
            RecordingListener listener = new RecordingListener();
            try (ServiceWatcher watcher = EtcdTesting.watcher("api",
                    "{\"endpoints\": " + json(List.of(proxy.endpoint())) + ", \"path\": \"/wiped\"}", listener)) {
                watcher.start();
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                        assertThat(listener.lastAddresses()).containsExactly("a@10.0.0.1:99"));

                // the cluster is replaced by one with fewer revisions (a restored backup, a re-created cluster)
                proxy.cut();
                await().atMost(Duration.ofSeconds(15)).until(() -> !listener.failures.isEmpty());
                put(replacementClient, "/wiped/x", nerve("10.0.0.7", 80, "x"));
                put(replacementClient, "/wiped/y", nerve("10.0.0.8", 80, "y"));
                proxy.retarget(EtcdTesting.port(replacement.endpoint(0)));
                proxy.restore();

                await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(listener.lastAddresses()).containsExactly("x@10.0.0.7:80", "y@10.0.0.8:80"));
                assertThat(((EtcdServiceWatcher) watcher).reads()).isEqualTo(2);
                put(replacementClient, "/wiped/z", nerve("10.0.0.9", 80, "z"));
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                        assertThat(listener.lastAddresses()).containsExactly("x@10.0.0.7:80", "y@10.0.0.8:80", "z@10.0.0.9:80"));
            }
        }
    }
}
