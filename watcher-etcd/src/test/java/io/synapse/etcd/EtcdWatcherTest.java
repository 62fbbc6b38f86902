package io.synapse.etcd;

import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.etcd.EtcdConnections;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.EtcdCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.synapse.etcd.EtcdTesting.bytes;
import static io.synapse.etcd.EtcdTesting.delete;
import static io.synapse.etcd.EtcdTesting.json;
import static io.synapse.etcd.EtcdTesting.nerve;
import static io.synapse.etcd.EtcdTesting.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The watcher against one real etcd member: each decoder, ordering, bad values, paging, lifecycle. */
class EtcdWatcherTest {
    private static EtcdCluster etcd;
    private static Client client;
    private final List<ServiceWatcher> watchers = new ArrayList<>();

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

    @AfterEach
    void closeWatchers() {
        watchers.forEach(ServiceWatcher::close);
    }

    private RecordingListener watch(String service, String discovery) {
        RecordingListener listener = new RecordingListener();
        ServiceWatcher watcher = EtcdTesting.watcher(service, discovery, listener);
        watchers.add(watcher);
        watcher.start();
        return listener;
    }

    private String endpoints() {
        return json(etcd.endpoints());
    }

    private static void awaitLast(RecordingListener listener, List<String> expected) {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(listener.lastAddresses()).isEqualTo(expected));
    }

    @Test
    void nerveDecoderSeesPutUpdateDeleteAndLeaseExpiry() {
        RecordingListener listener = watch("api", "{\"endpoints\": " + endpoints() + ", \"path\": \"/nerve/api\"}");
        awaitLast(listener, List.of());

        put(client, "/nerve/api/i-1", nerve("10.0.0.1", 8080, "i-1"));
        awaitLast(listener, List.of("i-1@10.0.0.1:8080"));

        NerveRegistration full = new NerveRegistration("10.0.0.2", 8081, "i-2", 20, "backup", Map.of("az", "a"), null);
        long created = put(client, "/nerve/api/i-2", new String(full.toJson(), StandardCharsets.UTF_8));
        awaitLast(listener, List.of("i-1@10.0.0.1:8080", "i-2@10.0.0.2:8081"));
        Backend second = listener.last().get(1);
        assertThat(second).isEqualTo(new Backend("i-2", "10.0.0.2", 8081, 20, "backup", Map.of("az", "a"), created, null));

        put(client, "/nerve/api/i-1", nerve("10.0.0.1", 9090, "i-1"));
        awaitLast(listener, List.of("i-1@10.0.0.1:9090", "i-2@10.0.0.2:8081"));

        delete(client, "/nerve/api/i-1");
        awaitLast(listener, List.of("i-2@10.0.0.2:8081"));

        long lease = EtcdTesting.await(client.getLeaseClient().grant(1)).getID();
        put(client, "/nerve/api/i-3", nerve("10.0.0.3", 8080, "i-3"), lease);
        awaitLast(listener, List.of("i-2@10.0.0.2:8081", "i-3@10.0.0.3:8080"));
        // the lease is not kept alive: etcd deletes the key when it expires
        awaitLast(listener, List.of("i-2@10.0.0.2:8081"));

        // a key outside the directory is not part of the service
        put(client, "/nerve/api2/x", nerve("10.0.0.9", 8080, "x"));
        put(client, "/nerve/api/i-4", nerve("10.0.0.4", 8080, "i-4"));
        awaitLast(listener, List.of("i-2@10.0.0.2:8081", "i-4@10.0.0.4:8080"));
        assertThat(listener.failures).isEmpty();
        assertThat(listener.snapshots).allSatisfy(s -> assertThat(s).doesNotHaveDuplicates());
    }

    @Test
    void jsonDecoderReadsTheNamedFields() {
        RecordingListener listener = watch("web", "{\"endpoints\": " + endpoints() + ", \"path\": \"/registrator/web/\", "
                + "\"decode\": {\"method\": \"json\", \"host_field\": \"IP\", \"port_field\": \"EXT_PORT\", \"name_field\": \"ID\"}}");
        awaitLast(listener, List.of());

        put(client, "/registrator/web/0ce60d000eac",
                "{\"ID\": \"0ce60d000eac\", \"SERVICE\": \"web\", \"IP\": \"10.250.136.243\", \"EXT_PORT\": \"49178\"}");
        awaitLast(listener, List.of("0ce60d000eac@10.250.136.243:49178"));

        put(client, "/registrator/web/1a2b3c4d5e6f",
                "{\"ID\": \"1a2b3c4d5e6f\", \"SERVICE\": \"web\", \"IP\": \"10.250.136.244\", \"EXT_PORT\": 49200}");
        awaitLast(listener, List.of("0ce60d000eac@10.250.136.243:49178", "1a2b3c4d5e6f@10.250.136.244:49200"));

        put(client, "/registrator/web/0ce60d000eac",
                "{\"ID\": \"0ce60d000eac\", \"SERVICE\": \"web\", \"IP\": \"10.250.136.243\", \"EXT_PORT\": \"49179\"}");
        awaitLast(listener, List.of("0ce60d000eac@10.250.136.243:49179", "1a2b3c4d5e6f@10.250.136.244:49200"));

        delete(client, "/registrator/web/1a2b3c4d5e6f");
        awaitLast(listener, List.of("0ce60d000eac@10.250.136.243:49179"));

        long lease = EtcdTesting.await(client.getLeaseClient().grant(1)).getID();
        put(client, "/registrator/web/99", "{\"ID\": \"99\", \"IP\": \"10.250.136.99\", \"EXT_PORT\": \"80\"}", lease);
        awaitLast(listener, List.of("0ce60d000eac@10.250.136.243:49179", "99@10.250.136.99:80"));
        awaitLast(listener, List.of("0ce60d000eac@10.250.136.243:49179"));
        assertThat(listener.failures).isEmpty();
    }

    @Test
    void keyDecoderReadsHostAndPortFromTheLastSegment() {
        RecordingListener listener = watch("dis", "{\"endpoints\": " + endpoints() + ", \"path\": \"/service_dis\", "
                + "\"decode\": {\"method\": \"key\"}}");
        awaitLast(listener, List.of());

        put(client, "/service_dis/192.168.1.4:9001", "ok");
        awaitLast(listener, List.of("192.168.1.4:9001"));

        put(client, "/service_dis/[::1]:80", "ok");
        awaitLast(listener, List.of("192.168.1.4:9001", "::1:80"));
        assertThat(listener.last().get(1).address()).isEqualTo("[::1]:80");

        // the value is ignored: an update changes nothing
        int before = listener.snapshots.size();
        put(client, "/service_dis/192.168.1.4:9001", "still ok");
        put(client, "/service_dis/db.internal:5432", "ok");
        awaitLast(listener, List.of("192.168.1.4:9001", "::1:80", "db.internal:5432"));
        assertThat(listener.snapshots.subList(before, listener.snapshots.size()))
                .as("the value update alone published nothing").hasSize(1);

        delete(client, "/service_dis/[::1]:80");
        awaitLast(listener, List.of("192.168.1.4:9001", "db.internal:5432"));

        long lease = EtcdTesting.await(client.getLeaseClient().grant(1)).getID();
        put(client, "/service_dis/192.168.1.5:9001", "ok", lease);
        awaitLast(listener, List.of("192.168.1.4:9001", "db.internal:5432", "192.168.1.5:9001"));
        awaitLast(listener, List.of("192.168.1.4:9001", "db.internal:5432"));
        assertThat(listener.failures).isEmpty();
    }

    @Test
    void aBadValueIsSkippedWithOneWarningNamingTheKey() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(EtcdServiceWatcher.class);
        logs.start();
        logger.addAppender(logs);
        try {
            RecordingListener listener = watch("bad", "{\"endpoints\": " + endpoints() + ", \"path\": \"/bad\"}");
            awaitLast(listener, List.of());

            put(client, "/bad/broken", "{\"host\": \"10.0.0.1\"}");
            put(client, "/bad/evil", "{\"host\": \"10.0.0.1\\nbackend x\", \"port\": 80}");
            put(client, "/bad/good", nerve("10.0.0.2", 80, "good"));
            awaitLast(listener, List.of("good@10.0.0.2:80"));
            // the same bad value again (a refresh) is not warned again; a different bad value is
            put(client, "/bad/broken", "{\"host\": \"10.0.0.1\"}");
            put(client, "/bad/broken", "not json");
            put(client, "/bad/good2", nerve("10.0.0.3", 80, "good2"));
            awaitLast(listener, List.of("good@10.0.0.2:80", "good2@10.0.0.3:80"));

            List<String> warnings = logs.list.stream()
                    .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
            assertThat(warnings).containsExactly(
                    "service bad: skipping etcd key \"/bad/broken\": missing \"port\"",
                    "service bad: skipping etcd key \"/bad/evil\": host \"10.0.0.1\\u000abackend x\": expected an IP address or a DNS name",
                    "service bad: skipping etcd key \"/bad/broken\": not valid JSON");
            // the engine counts what the watcher skipped (synapse_registrations_rejected_total)
            assertThat(listener.rejected).containsExactly(
                    "/bad/broken: missing \"port\"",
                    "/bad/evil: host \"10.0.0.1\\u000abackend x\": expected an IP address or a DNS name",
                    "/bad/broken: not valid JSON");
            assertThat(listener.failures).isEmpty();
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void backendsAreInCreationOrderThenKeyOrder() {
        RecordingListener listener = watch("order", "{\"endpoints\": " + endpoints() + ", \"path\": \"/order\", "
                + "\"decode\": {\"method\": \"key\"}}");
        awaitLast(listener, List.of());
        put(client, "/order/10.0.0.9:80", "");
        // one transaction: the keys share a create revision, so key order decides
        EtcdTesting.await(client.getKVClient().txn().Then(
                Op.put(bytes("/order/10.0.0.3:80"), bytes(""), PutOption.DEFAULT),
                Op.put(bytes("/order/10.0.0.1:80"), bytes(""), PutOption.DEFAULT)).commit());
        put(client, "/order/10.0.0.2:80", "");
        awaitLast(listener, List.of("10.0.0.9:80", "10.0.0.1:80", "10.0.0.3:80", "10.0.0.2:80"));

        // deleted and created again: it is a new registration and goes last
        delete(client, "/order/10.0.0.9:80");
        put(client, "/order/10.0.0.9:80", "");
        awaitLast(listener, List.of("10.0.0.1:80", "10.0.0.3:80", "10.0.0.2:80", "10.0.0.9:80"));

        // a second watcher started now reads the same order
        RecordingListener fresh = watch("order2", "{\"endpoints\": " + endpoints() + ", \"path\": \"/order\", "
                + "\"decode\": {\"method\": \"key\"}}");
        awaitLast(fresh, List.of("10.0.0.1:80", "10.0.0.3:80", "10.0.0.2:80", "10.0.0.9:80"));
        assertThat(fresh.snapshots).hasSize(1);
    }

    @Test
    void noChangeIsLostBetweenThePagedReadAndTheWatch() throws Exception {
        for (int i = 0; i < 40; i++) {
            put(client, "/paged/k" + i, nerve("10.1.0." + i, 80, "k" + i));
        }
        // keep changing the prefix while the watcher reads it in pages of 3 and starts its watch
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            int n = 0;
            while (!stop.get()) {
                int i = n % 50;
                if (n % 3 == 0) {
                    delete(client, "/paged/k" + i);
                } else {
                    put(client, "/paged/k" + i, nerve("10.1.0." + i, 80 + n % 7, "k" + i));
                }
                n++;
            }
        });
        writer.start();
        RecordingListener listener = new RecordingListener();
        EtcdServiceWatcher watcher = new EtcdServiceWatcher("paged", new EtcdServiceWatcher.Settings(
                EtcdConnection.of(etcd.endpoints().stream().map(e -> EtcdConnections.endpoint(e, 2379)).toList()),
                "/paged/", "nerve", Decoder.nerve(), 3), listener, EtcdWatcherFactory.SHARED);
        watchers.add(watcher);
        watcher.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> listener.snapshots.size() >= 5);
        stop.set(true);
        writer.join();

        // what etcd holds now, in creation order
        Map<String, String> expected = new LinkedHashMap<>();
        EtcdTesting.await(client.getKVClient().get(bytes("/paged/"), io.etcd.jetcd.options.GetOption.builder()
                        .isPrefix(true).withSortField(io.etcd.jetcd.options.GetOption.SortTarget.CREATE)
                        .withSortOrder(io.etcd.jetcd.options.GetOption.SortOrder.ASCEND).build()))
                .getKvs().forEach(kv -> {
                    Backend b = Backend.decode(kv.getValue().getBytes(), kv.getCreateRevision());
                    expected.put(kv.getKey().toString(StandardCharsets.UTF_8), b.toString());
                });
        awaitLast(listener, List.copyOf(expected.values()));
        assertThat(watcher.reads()).isEqualTo(1);
    }

    @Test
    void closeIsIdempotentStopsPublishingAndReleasesTheSharedClient() {
        int clientsBefore = EtcdWatcherFactory.SHARED.size();
        RecordingListener first = new RecordingListener();
        RecordingListener second = new RecordingListener();
        String discovery = "{\"endpoints\": " + endpoints() + ", \"path\": \"/closing\", \"decode\": {\"method\": \"key\"}}";
        ServiceWatcher a = EtcdTesting.watcher("a", discovery, first);
        ServiceWatcher b = EtcdTesting.watcher("b", discovery, second);
        watchers.add(b);
        a.start();
        b.start();
        awaitLast(first, List.of());
        awaitLast(second, List.of());
        assertThat(EtcdWatcherFactory.SHARED.size()).as("one client for one cluster").isEqualTo(clientsBefore + 1);

        a.close();
        a.close();
        put(client, "/closing/10.0.0.1:80", "");
        awaitLast(second, List.of("10.0.0.1:80"));
        assertThat(first.snapshots).containsExactly(List.of());

        b.close();
        assertThat(EtcdWatcherFactory.SHARED.size()).isEqualTo(clientsBefore);
        // closing a watcher that never started is fine too
        EtcdTesting.watcher("c", discovery, new RecordingListener()).close();
    }
}
