package io.synapse.ec2tag;

import io.synapse.common.concurrent.SharedResources;
import io.synapse.ec2tag.Ec2Emulator.Inst;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class SharedPollerTest {
    private static final Map<String, String> TAGGED = Map.of("servicename", "true");

    private Ec2Emulator emulator;
    private SharedResources<PollerKey, Ec2Poller> registry;
    private Ec2TagWatcherFactory factory;
    private final List<ServiceWatcher> watchers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        emulator = Ec2Emulator.start();
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED))
                .put(Inst.running("i-02", "10.0.0.2", Map.of("servicename", "true", "port", "9000", "Name", "web-2")))
                .put(Inst.running("i-03", "10.0.0.3", Map.of("servicename", "other")));
        registry = Ec2TagWatcherFactory.pollers();
        factory = new Ec2TagWatcherFactory(registry, name -> null);
    }

    @AfterEach
    void tearDown() {
        watchers.forEach(ServiceWatcher::close);
        emulator.close();
    }

    private ServiceWatcher create(String service, double interval, String extra, RecordingListener listener) {
        ServiceWatcher watcher = factory.create(new WatcherContext(service, "services." + service + ".discovery"),
                TestSupport.emulated(emulator.endpoint(), interval, extra), listener);
        watchers.add(watcher);
        return watcher;
    }

    private RecordingListener watch(String service, double interval, String extra) {
        RecordingListener listener = new RecordingListener();
        create(service, interval, extra, listener).start();
        return listener;
    }

    @Test
    void servicesAskingTheSameQueryShareOneCall() {
        List<RecordingListener> listeners = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            listeners.add(watch("s" + i, 60, null));
        }
        await().until(() -> listeners.stream().allMatch(l -> l.last() != null));
        assertThat(emulator.calls()).isEqualTo(1);
        assertThat(registry.size()).isEqualTo(1);
        assertThat(listeners).allSatisfy(l -> assertThat(l.lastStrings()).containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080"));

        // how a service turns instances into backends is its own business: still the same query
        RecordingListener named = watch("named", 60, "{\"server_name\": \"name_tag\", \"address\": \"private_dns\", \"port\": null, \"port_tag\": \"port\"}");
        await().until(() -> named.last() != null);
        assertThat(named.lastStrings()).containsExactly("web-2@ip-10-0-0-2.ec2.internal:9000");
        assertThat(emulator.calls()).isEqualTo(1);
        assertThat(registry.size()).isEqualTo(1);

        // another tag value, other filters, other credentials, another region: other queries
        RecordingListener other = watch("other", 60, "{\"tag_value\": \"other\"}");
        RecordingListener filtered = watch("filtered", 60,
                "{\"filters\": {\"instance-type\": [\"m5.large\"], \"availability-zone\": [\"us-east-1a\", \"us-east-1b\"]}}");
        RecordingListener otherKeys = watch("keys", 60, "{\"aws_access_key_id\": \"AKIDOTHER\"}");
        RecordingListener otherRegion = watch("region", 60, "{\"aws_region\": \"eu-west-1\"}");
        await().until(() -> List.of(other, filtered, otherKeys, otherRegion).stream().allMatch(l -> l.last() != null));
        assertThat(other.lastStrings()).containsExactly("i-03@10.0.0.3:8080");
        assertThat(filtered.lastStrings()).containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080");
        assertThat(emulator.calls()).isEqualTo(5);
        assertThat(registry.size()).isEqualTo(5);
        assertThat(emulator.requests()).extracting(Ec2Emulator.Request::accessKeyId).containsOnly("AKIDTEST", "AKIDOTHER");

        // filters given in another order are the same query
        RecordingListener reordered = watch("reordered", 60,
                "{\"filters\": {\"availability-zone\": [\"us-east-1b\", \"us-east-1a\", \"us-east-1a\"], \"instance-type\": [\"m5.large\"]}}");
        await().until(() -> reordered.last() != null);
        assertThat(registry.size()).isEqualTo(5);
        assertThat(emulator.calls()).isEqualTo(5);
    }

    @Test
    void theShortestIntervalDrivesTheSharedPollAndEveryoneSeesTheChange() {
        List<RecordingListener> slow = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            slow.add(watch("slow" + i, 60, null));
        }
        await().until(() -> slow.stream().allMatch(l -> l.last() != null));
        assertThat(emulator.calls()).isEqualTo(1);

        RecordingListener fast = watch("fast", 0.2, null);
        await().until(() -> fast.last() != null);
        emulator.put(Inst.running("i-04", "10.0.0.4", TAGGED));
        await().until(() -> slow.stream().allMatch(l -> l.snapshots().size() == 2));
        assertThat(slow).allSatisfy(l -> assertThat(l.lastStrings())
                .containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080", "i-04@10.0.0.4:8080"));
        assertThat(fast.snapshots()).hasSize(2);
        assertThat(registry.size()).isEqualTo(1);

        // the fast one leaves: after the poll already scheduled, back to the slow interval
        watchers.get(5).close();
        int calls = emulator.calls();
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3)).until(() -> emulator.calls() <= calls + 1);
    }

    @Test
    void failuresFanOutAndALateJoinerGetsTheLastGoodSetAndTheFailure() {
        RecordingListener first = watch("first", 0.2, null);
        RecordingListener second = watch("second", 0.2, null);
        await().until(() -> first.last() != null && second.last() != null);

        emulator.throttleNext(1000);
        await().until(() -> first.failures().size() >= 2);
        assertThat(second.failures()).isNotEmpty();
        assertThat(first.failures()).allMatch(m -> m.endsWith("RequestLimitExceeded: Request limit exceeded. (HTTP 503)"));

        RecordingListener late = watch("late", 60, null);
        await().until(() -> late.last() != null && !late.failures().isEmpty());
        assertThat(late.lastStrings()).containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080");
        assertThat(late.failures().get(0)).endsWith("RequestLimitExceeded: Request limit exceeded. (HTTP 503)");
        assertThat(first.snapshots()).hasSize(1);
        assertThat(second.snapshots()).hasSize(1);
    }

    @Test
    void theLastWatcherToLeaveClosesThePoller() {
        RecordingListener a = watch("a", 0.2, null);
        RecordingListener b = watch("b", 0.2, null);
        await().until(() -> a.last() != null && b.last() != null);
        assertThat(registry.size()).isEqualTo(1);

        watchers.get(0).close();
        assertThat(registry.size()).isEqualTo(1);
        int calls = emulator.calls();
        emulator.put(Inst.running("i-05", "10.0.0.5", TAGGED));
        await().until(() -> b.snapshots().size() == 2);
        assertThat(emulator.calls()).isGreaterThan(calls);
        assertThat(a.snapshots()).hasSize(1);

        watchers.get(1).close();
        assertThat(registry.size()).isZero();
        int after = emulator.calls();
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> emulator.calls() == after);

        // a new watcher of the same query starts a fresh poller
        RecordingListener c = watch("c", 60, null);
        await().until(() -> c.last() != null);
        assertThat(c.lastStrings()).containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080", "i-05@10.0.0.5:8080");
        assertThat(registry.size()).isEqualTo(1);
    }
}
