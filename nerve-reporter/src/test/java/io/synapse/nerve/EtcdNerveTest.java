package io.synapse.nerve;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.LeaseOption;
import io.synapse.common.etcd.EtcdClients;
import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.etcd.SharedEtcdClient;
import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.testing.EtcdCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class EtcdNerveTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static EtcdCluster etcd;
    private static Client reader;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(1);
        reader = Client.builder().endpoints(etcd.endpoints().toArray(new String[0])).build();
    }

    @AfterAll
    static void stopEtcd() {
        reader.close();
        etcd.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        cleanup.add(c);
        return c;
    }

    static String service(String endpoint, String path, int port, String checks, String extra) {
        return """
                {"host": "127.0.0.1", "port": %d, "reporter_type": "etcd", "etcd_endpoints": ["%s"], "etcd_path": "%s",
                 "check_interval": 0.05, "checks": [%s]%s}""".formatted(port, endpoint, path, checks, extra);
    }

    static String httpCheck(int port) {
        return "{\"type\": \"http\", \"port\": %d, \"uri\": \"/health\", \"timeout\": 1}".formatted(port);
    }

    private Nerve start(String servicesJson) {
        Nerve nerve = closeLater(new Nerve(ZooKeeperNerveTest.config(
                "{\"instance_id\": \"i-1\", \"verify_interval\": 0.5, \"services\": {" + servicesJson + "}}")));
        nerve.start();
        return nerve;
    }

    static KeyValue get(Client client, String key) throws Exception {
        List<KeyValue> kvs = client.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? null : kvs.get(0);
    }

    @Test
    void registersUnderAKeptAliveLeaseAndDecodesToTheExpectedBackend() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        start("\"web\": " + service(etcd.endpoint(0), "/t1/web/", 8080, httpCheck(http.port()),
                ", \"weight\": 4, \"labels\": {\"az\": \"b\"}"));
        await().atMost(WAIT).until(() -> get(reader, "/t1/web/i-1_web") != null);
        KeyValue kv = get(reader, "/t1/web/i-1_web");
        assertThat(Backend.decode(kv.getValue().getBytes(), null))
                .isEqualTo(Backend.builder("127.0.0.1", 8080).name("i-1").weight(4).labels(Map.of("az", "b")).build());
        assertThat(kv.getValue().getBytes())
                .isEqualTo(new NerveRegistration("127.0.0.1", 8080, "i-1", 4, null, Map.of("az", "b"), null).toJson());
        long lease = kv.getLease();
        assertThat(lease).isNotZero();
        assertThat(reader.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS).getGrantedTTL())
                .isEqualTo(EtcdReporter.ttlSeconds(Duration.ofMillis(50)))
                .isEqualTo(5);
        // longer than the TTL: the keep-alive holds it, on the same lease
        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
                .until(() -> {
                    KeyValue now = get(reader, "/t1/web/i-1_web");
                    return now != null && now.getLease() == lease;
                });
    }

    @Test
    void downDeletesTheKeyAndTheLeaseRefreshNeverBringsItBack() throws Exception {
        ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
        start("\"web\": " + service(etcd.endpoint(0), "/t2/web", 8080, httpCheck(http.port()), ""));
        await().atMost(WAIT).until(() -> get(reader, "/t2/web/i-1_web") != null);
        http.status(500);
        await().atMost(WAIT).until(() -> get(reader, "/t2/web/i-1_web") == null);
        // several keep-alive periods (TTL 5 s / 3) and verifications later it is still gone
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> get(reader, "/t2/web/i-1_web") == null);
        http.status(200);
        await().atMost(WAIT).until(() -> get(reader, "/t2/web/i-1_web") != null);
    }

    @Test
    void aDeletedKeyAndARevokedLeaseAreRepaired() throws Exception {
        start("\"web\": " + service(etcd.endpoint(0), "/t3/web", 8080, "", ""));
        await().atMost(WAIT).until(() -> get(reader, "/t3/web/i-1_web") != null);
        reader.getKVClient().delete(ByteSequence.from("/t3/web/i-1_web", StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> get(reader, "/t3/web/i-1_web") != null);
        long lease = get(reader, "/t3/web/i-1_web").getLease();
        reader.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> {
            KeyValue kv = get(reader, "/t3/web/i-1_web");
            return kv != null && kv.getLease() != lease && kv.getLease() != 0;
        });
    }

    @Test
    void closeRemovesTheKeyAndTheLease() throws Exception {
        Nerve nerve = new Nerve(ZooKeeperNerveTest.config("{\"instance_id\": \"i-1\", \"services\": {\"web\": "
                + service(etcd.endpoint(0), "/t4/web", 8080, "", "") + "}}"));
        nerve.start();
        await().atMost(WAIT).until(() -> get(reader, "/t4/web/i-1_web") != null);
        long lease = get(reader, "/t4/web/i-1_web").getLease();
        long start = System.nanoTime();
        nerve.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(get(reader, "/t4/web/i-1_web")).isNull();
        assertThat(reader.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS).getTTL())
                .isEqualTo(-1);
    }

    @Test
    void etcdRestartIsRiddenOutAndReportsAreRetried() throws Exception {
        try (EtcdCluster own = EtcdCluster.start(1);
             Client ownReader = Client.builder().endpoints(own.endpoints().toArray(new String[0])).build()) {
            ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
            Nerve nerve = start("\"web\": " + service(own.endpoint(0), "/t5/web", 8080, httpCheck(http.port()), ""));
            await().atMost(WAIT).until(() -> get(ownReader, "/t5/web/i-1_web") != null);
            own.kill(0);
            http.status(500);
            ServiceRunner runner = nerve.services().get("web");
            await().atMost(WAIT).until(() -> runner.reportedUp() == null);
            own.restart(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.FALSE.equals(runner.reportedUp()));
            await().atMost(WAIT).ignoreExceptions().until(() -> get(ownReader, "/t5/web/i-1_web") == null);
            http.status(200);
            await().atMost(WAIT).ignoreExceptions().until(() -> get(ownReader, "/t5/web/i-1_web") != null);
        }
    }

    @Test
    void resetStartsAfreshWithANewClientAndANewLease() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        closeLater(scheduler::shutdownNow);
        EtcdClients clients = closeLater(new EtcdClients(Nerve.ETCD));
        ReporterTarget.Etcd target = new ReporterTarget.Etcd(EtcdConnection.of(List.of(URI.create(etcd.endpoint(0)))), "/t6");
        EtcdReporter web = new EtcdReporter("web", clients, target, NerveRegistration.of("127.0.0.1", 8080, "i-1"),
                Duration.ofMillis(50), scheduler, () -> { });
        cleanup.add(web::close);
        EtcdReporter api = new EtcdReporter("api", clients, target, NerveRegistration.of("127.0.0.1", 8081, "i-1"),
                Duration.ofMillis(50), scheduler, () -> { });
        cleanup.add(api::close);
        web.reportUp();
        api.reportUp();
        SharedEtcdClient first = web.sharedClient();
        assertThat(api.sharedClient()).isSameAs(first);
        long firstLease = get(reader, "/t6/i-1_web").getLease();
        assertThat(web.leaseId()).isEqualTo(firstLease);

        web.reset();
        assertThat(web.leaseId()).isZero();
        assertThat(web.sharedClient()).isNotSameAs(first);
        assertThat(clients.find(target.connection())).containsSame(web.sharedClient());
        web.reportUp();
        KeyValue moved = get(reader, "/t6/i-1_web");
        assertThat(moved.getLease()).isNotZero().isNotEqualTo(firstLease).isEqualTo(web.leaseId());

        // the other service keeps the old client (and its lease) until it resets too; then the old client closes
        assertThat(api.sharedClient()).isSameAs(first);
        api.reportUp();
        api.reset();
        assertThat(api.sharedClient()).isSameAs(web.sharedClient());
        assertThat(clients.size()).isEqualTo(1);
        assertThat(first.client().getKVClient().get(ByteSequence.from("/t6", StandardCharsets.UTF_8)))
                .as("the old client is closed").failsWithin(Duration.ofSeconds(5));
        api.reportUp();
        assertThat(get(reader, "/t6/i-1_api").getLease()).isEqualTo(api.leaseId()).isNotZero();
    }

    @Test
    void repeatedReportFailuresResetTheReporterUntilEtcdAnswersAgain() throws Exception {
        try (EtcdCluster own = EtcdCluster.start(1);
             Client ownReader = Client.builder().endpoints(own.endpoints().toArray(new String[0])).build()) {
            ScriptedHttpServer http = closeLater(new ScriptedHttpServer());
            Nerve nerve = start("\"web\": " + service(own.endpoint(0), "/t7/web", 8080, httpCheck(http.port()),
                    ", \"max_repeated_report_failures\": 1"));
            await().atMost(WAIT).until(() -> get(ownReader, "/t7/web/i-1_web") != null);
            ServiceRunner runner = nerve.services().get("web");
            EtcdReporter reporter = (EtcdReporter) runner.reporter();
            SharedEtcdClient before = reporter.sharedClient();
            own.kill(0);
            http.status(500);
            // every failed report resets the reporter: a new client each time
            await().atMost(WAIT).until(() -> reporter.sharedClient() != null && reporter.sharedClient() != before);
            assertThat(runner.reportedUp()).isNull();
            own.restart(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.FALSE.equals(runner.reportedUp()));
            await().atMost(WAIT).ignoreExceptions().until(() -> get(ownReader, "/t7/web/i-1_web") == null);
            http.status(200);
            await().atMost(WAIT).ignoreExceptions().until(() -> get(ownReader, "/t7/web/i-1_web") != null);
        }
    }
}
