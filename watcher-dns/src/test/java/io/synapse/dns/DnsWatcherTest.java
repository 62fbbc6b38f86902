package io.synapse.dns;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.synapse.dns.testing.Knot;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The watcher against a real Knot: host lists, SRV mapping, TTL-driven refresh, failures, sharing. */
class DnsWatcherTest {
    private static final ObjectMapper BINDER = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    /** The SRV TTL of the zone: every change must show within it (plus the time to apply it). */
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration WITHIN_TTL = TTL.plusSeconds(1);

    private static Knot knot;
    private final List<ServiceWatcher> watchers = new ArrayList<>();

    @BeforeAll
    static void startKnot() {
        knot = Knot.builder()
                .zone("dev.kw", """
                        host1 5 IN A 10.0.0.1
                        host1 5 IN AAAA fd00::1
                        host2 5 IN A 10.0.0.2
                        multi 5 IN A 10.0.0.12
                        multi 5 IN A 10.0.0.11
                        _grounduser._tcp 2 IN SRV 10 60 8080 host1
                        _grounduser._tcp 2 IN SRV 10 20 8081 host2
                        _grounduser._tcp 2 IN SRV 20 0 8082 host2
                        _outside._tcp 2 IN SRV 1 1 80 web.other.kw.
                        _none._tcp 2 IN SRV 0 0 0 .
                        _shared._tcp 30 IN SRV 1 1 9000 host2
                        _changing._tcp 2 IN SRV 1 10 7000 host1
                        _portzero._tcp 2 IN SRV 1 10 0 host2
                        _portzero._tcp 2 IN SRV 1 10 7100 host2
                        notext 5 IN TXT "no addresses here"
                        """)
                .zone("other.kw", "web 2 IN A 10.1.0.1\n")
                .failingZone("broken.kw")
                .start();
    }

    @AfterAll
    static void stopKnot() {
        knot.close();
    }

    @AfterEach
    void closeWatchers() {
        watchers.forEach(ServiceWatcher::close);
    }

    private RecordingListener watch(String discoveryJson) throws Exception {
        DnsConfig config = BINDER.readValue(discoveryJson.replace('\'', '"'), DnsConfig.class);
        RecordingListener listener = new RecordingListener();
        ServiceWatcher w = new DnsWatcherFactory().create(new WatcherContext("api", "services.api.discovery"), config, listener);
        watchers.add(w);
        w.start();
        return listener;
    }

    private static String ns() {
        return "'nameserver': '" + knot.address() + "', 'min_interval': 0.1";
    }

    @Test
    void hostListResolvesEveryAddressAndKeepsIpAddresses() throws Exception {
        RecordingListener l = watch("{'servers': [{'name': 'a', 'host': 'host1.dev.kw', 'port': 80, 'labels': {'az': 'b'}},"
                + " {'name': 'm', 'host': 'multi.dev.kw.', 'port': 81}, {'name': 'ip', 'host': '10.9.9.9', 'port': 82}], " + ns() + "}");
        await().atMost(Duration.ofSeconds(10)).until(() -> l.last() != null);
        assertThat(l.lastAddresses()).containsExactly("a@10.0.0.1:80", "a@fd00::1:80", "m@10.0.0.11:81", "m@10.0.0.12:81", "ip@10.9.9.9:82");
        assertThat(l.last().get(0).labels()).isEqualTo(Map.of("az", "b"));
        assertThat(l.failures).isEmpty();
    }

    @Test
    void srvRecordsBecomeBackendsWithWeightsAndBackups() throws Exception {
        RecordingListener l = watch("{'srv': '_grounduser._tcp.dev.kw', " + ns() + "}");
        await().atMost(Duration.ofSeconds(10)).until(() -> l.last() != null);
        assertThat(l.lastAddresses()).containsExactly(
                "host1.dev.kw@10.0.0.1:8080", "host1.dev.kw@fd00::1:8080", "host2.dev.kw@10.0.0.2:8081", "host2.dev.kw@10.0.0.2:8082");
        List<Backend> b = l.last();
        assertThat(b).extracting(Backend::weight).containsExactly(256, 256, 85, 1);
        assertThat(b).extracting(Backend::haproxyServerOptions).containsExactly("weight 256", "weight 256", "weight 85", "weight 1 backup");
        assertThat(b.get(3).labels()).isEqualTo(Map.of("srv_name", "_grounduser._tcp.dev.kw", "srv_priority", "20", "srv_weight", "0"));
    }

    @Test
    void targetsWithoutAdditionalRecordsAreResolved() throws Exception {
        RecordingListener l = watch("{'srv': ['_outside._tcp.dev.kw'], " + ns() + "}");
        await().atMost(Duration.ofSeconds(10)).until(() -> l.last() != null);
        assertThat(l.lastAddresses()).containsExactly("web.other.kw@10.1.0.1:80");
        knot.update("update delete web.other.kw. A", "update add web.other.kw. 2 A 10.1.0.2");
        await().atMost(WITHIN_TTL).untilAsserted(() -> assertThat(l.lastAddresses()).containsExactly("web.other.kw@10.1.0.2:80"));
    }

    @Test
    void everyChangeIsSeenWithinOneTtl() throws Exception {
        RecordingListener l = watch("{'srv': ['_changing._tcp.dev.kw'], " + ns() + "}");
        await().atMost(Duration.ofSeconds(10)).until(() -> l.last() != null);
        assertThat(l.lastAddresses()).containsExactly("host1.dev.kw@10.0.0.1:7000", "host1.dev.kw@fd00::1:7000");

        knot.update("update add _changing._tcp.dev.kw. 2 SRV 1 30 7001 host2.dev.kw.");
        await().atMost(WITHIN_TTL).untilAsserted(() -> assertThat(l.lastAddresses()).contains("host2.dev.kw@10.0.0.2:7001"));
        assertThat(l.last()).filteredOn(b -> b.port() == 7001).extracting(Backend::weight).containsExactly(256);

        knot.update("update delete _changing._tcp.dev.kw. SRV 1 10 7000 host1.dev.kw.",
                "update add _changing._tcp.dev.kw. 2 SRV 5 10 7000 host1.dev.kw.");
        await().atMost(WITHIN_TTL).untilAsserted(() -> assertThat(l.last())
                .filteredOn(b -> b.port() == 7000).extracting(Backend::haproxyServerOptions).containsOnly("weight 256 backup"));

        knot.update("update delete _changing._tcp.dev.kw. SRV");
        await().atMost(WITHIN_TTL).untilAsserted(() -> assertThat(l.last()).isEmpty());
        assertThat(l.failures).isEmpty();
    }

    @Test
    void aRecordThatCannotBeABackendIsSkippedOnceAndTheRestKept() throws Exception {
        // a timeout of its own makes a resolver key no other test uses, to count its queries
        String discovery = "{'srv': ['_portzero._tcp.dev.kw'], " + ns() + ", 'max_interval': 0.2, 'timeout': 4.4}";
        RecordingListener l = watch(discovery);
        await().atMost(Duration.ofSeconds(10)).until(() -> l.last() != null);
        assertThat(l.lastAddresses()).containsExactly("host2.dev.kw@10.0.0.2:7100");
        ResolverKey key = DnsWatcherFactory.settings(new WatcherContext("x", "x"),
                BINDER.readValue(discovery.replace('\'', '"'), DnsConfig.class)).resolver();
        try (var lease = DnsClient.SHARED.acquire(key)) {
            // read again and again, rejected once, published once
            await().atMost(Duration.ofSeconds(10)).until(() -> lease.get().queriesSent() >= 4);
        }
        assertThat(l.rejected).containsExactly(
                "SRV record \"_portzero._tcp.dev.kw 1 10 0 host2.dev.kw\" (10.0.0.2): port 0: expected an integer 1-65535");
        assertThat(l.snapshots).hasSize(1);
    }

    @Test
    void nxdomainAndEmptyAnswersAreEmptySets() throws Exception {
        RecordingListener missing = watch("{'srv': ['_missing._tcp.dev.kw'], " + ns() + "}");
        RecordingListener noSrv = watch("{'srv': ['notext.dev.kw'], " + ns() + "}");
        RecordingListener noService = watch("{'srv': ['_none._tcp.dev.kw'], " + ns() + "}");
        RecordingListener noAddress = watch("{'servers': [{'name': 'x', 'host': 'notext.dev.kw', 'port': 1}], " + ns() + "}");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(missing.last()).isEmpty();
            assertThat(noSrv.last()).isEmpty();
            assertThat(noService.last()).isEmpty();
            assertThat(noAddress.last()).isEmpty();
        });
        assertThat(missing.failures).isEmpty();
        assertThat(noAddress.failures).isEmpty();
    }

    @Test
    void refusedAndServfailAreFailures() throws Exception {
        RecordingListener refused = watch("{'srv': ['_api._tcp.nowhere.kw'], " + ns() + ", 'max_interval': 0.5}");
        RecordingListener servfail = watch("{'srv': ['_api._tcp.broken.kw'], " + ns() + ", 'max_interval': 0.5}");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(refused.lastFailure()).isEqualTo("dns _api._tcp.nowhere.kw/SRV at " + knot.address() + ": REFUSED");
            assertThat(servfail.lastFailure()).isEqualTo("dns _api._tcp.broken.kw/SRV at " + knot.address() + ": SERVFAIL");
        });
        // retried with backoff, never published
        await().atMost(Duration.ofSeconds(10)).until(() -> refused.failures.size() >= 2);
        assertThat(refused.snapshots).isEmpty();
        assertThat(servfail.snapshots).isEmpty();
    }

    @Test
    void aNameserverThatDoesNotAnswerTimesOutAndTheNextOneIsAsked() throws Exception {
        try (DatagramSocket blackHole = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            String silent = "127.0.0.1:" + blackHole.getLocalPort();
            RecordingListener alone = watch("{'srv': '_grounduser._tcp.dev.kw', 'nameserver': '" + silent + "', 'timeout': 0.3}");
            RecordingListener withFallback = watch("{'srv': '_grounduser._tcp.dev.kw', 'nameserver': ['" + silent + "', '"
                    + knot.address() + "'], 'timeout': 0.3}");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(alone.lastFailure()).isEqualTo("dns _grounduser._tcp.dev.kw/SRV at " + silent + ": no answer within 300 ms");
                assertThat(withFallback.lastAddresses()).hasSize(4);
            });
            assertThat(alone.snapshots).isEmpty();
        }
    }

    @Test
    void serverStoppedKeepsTheLastSetAndUpdatesResumeAfterRestart() throws Exception {
        RecordingListener l = watch("{'srv': ['_grounduser._tcp.dev.kw'], " + ns() + ", 'max_interval': 1}");
        await().atMost(Duration.ofSeconds(10)).until(() -> l.last() != null && l.last().size() == 4);
        int snapshots = l.snapshots.size();
        knot.stop();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> l.lastFailure() != null);
            assertThat(l.lastFailure()).startsWith("dns _grounduser._tcp.dev.kw/SRV at " + knot.address() + ": ");
            assertThat(l.snapshots).hasSize(snapshots);
        } finally {
            knot.restart();
        }
        knot.update("update add _grounduser._tcp.dev.kw. 2 SRV 10 20 8083 host2.dev.kw.");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(l.lastAddresses()).contains("host2.dev.kw@10.0.0.2:8083"));
        knot.update("update delete _grounduser._tcp.dev.kw. SRV 10 20 8083 host2.dev.kw.");
        await().atMost(WITHIN_TTL).untilAsserted(() -> assertThat(l.last()).hasSize(4));
    }

    @Test
    void servicesAskingTheSameNameShareOneResolverAndOneQuery() throws Exception {
        // a timeout of its own makes a resolver key no other test uses
        String discovery = "{'srv': '_shared._tcp.dev.kw', " + ns() + ", 'timeout': 4.5}";
        ResolverKey key = DnsWatcherFactory.settings(new WatcherContext("x", "x"),
                BINDER.readValue(discovery.replace('\'', '"'), DnsConfig.class)).resolver();
        RecordingListener a = watch(discovery);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.last() != null);
        long queriesForA;
        try (var lease = DnsClient.SHARED.acquire(key)) {
            queriesForA = lease.get().queriesSent();
        }
        // a second service on the same name joins the running poll: served from it, no query of its own
        RecordingListener b = watch(discovery);
        await().atMost(Duration.ofSeconds(10)).until(() -> b.last() != null);
        assertThat(a.lastAddresses()).containsExactly("host2.dev.kw@10.0.0.2:9000").isEqualTo(b.lastAddresses());
        assertThat(DnsClient.SHARED.references(key)).isEqualTo(2);
        try (var lease = DnsClient.SHARED.acquire(key)) {
            assertThat(lease.get().polls()).isEqualTo(1);
            // TTL 30 s: the second service cost no query
            assertThat(lease.get().queriesSent()).isEqualTo(queriesForA);
        }
        watchers.forEach(ServiceWatcher::close);
        assertThat(DnsClient.SHARED.references(key)).isZero();
        assertThat(DnsClient.SHARED.keys()).doesNotContain(key);
    }
}
