package io.synapse.ec2tag;

import io.synapse.common.concurrent.SharedResources;
import ch.qos.logback.classic.Level;
import io.synapse.ec2tag.Ec2Emulator.Inst;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.testing.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class Ec2TagWatcherTest {
    private static final Map<String, String> TAGGED = Map.of("servicename", "true");
    private static final String THROTTLED = "DescribeInstances failed: RequestLimitExceeded: Request limit exceeded. (HTTP 503)";

    private Ec2Emulator emulator;
    private SharedResources<PollerKey, Ec2Poller> registry;
    private Ec2TagWatcherFactory factory;
    private final List<ServiceWatcher> watchers = new ArrayList<>();
    private final List<Ec2Emulator> extraEmulators = new ArrayList<>();

    @BeforeEach
    void setUp() {
        emulator = Ec2Emulator.start();
        registry = Ec2TagWatcherFactory.pollers();
        factory = new Ec2TagWatcherFactory(registry, name -> null);
    }

    @AfterEach
    void tearDown() {
        watchers.forEach(ServiceWatcher::close);
        assertThat(registry.size()).isZero();
        emulator.close();
        extraEmulators.forEach(Ec2Emulator::close);
    }

    private RecordingListener watch(URI endpoint, double interval, String extra) {
        RecordingListener listener = new RecordingListener();
        ServiceWatcher watcher = factory.create(new WatcherContext("api", "services.api.discovery"),
                TestSupport.emulated(endpoint, interval, extra), listener);
        watchers.add(watcher);
        watcher.start();
        return listener;
    }

    private RecordingListener watch(double interval, String extra) {
        return watch(emulator.endpoint(), interval, extra);
    }

    private String prefix() {
        return "ec2tag us-east-1 via " + emulator.endpoint() + " [tag:servicename=true]: ";
    }

    @Test
    void discoversRunningTaggedInstancesThroughTheRealSdkClient() {
        emulator.put(Inst.running("i-0b", "10.0.0.2", Map.of("servicename", "true", "az", "b")))
                .put(Inst.running("i-0a", "10.0.0.1", TAGGED))
                .put(Inst.running("i-0c", "10.0.0.3", TAGGED).withState("stopped"))
                .put(Inst.running("i-0d", "10.0.0.4", Map.of("servicename", "false")))
                .put(Inst.running("i-0e", "10.0.0.5", Map.of("other", "true")));

        RecordingListener listener = watch(60, null);

        await().until(() -> listener.last() != null);
        assertThat(listener.last()).containsExactly(
                Backend.builder("10.0.0.1", 8080).name("i-0a").labels(Map.of("servicename", "true")).build(),
                Backend.builder("10.0.0.2", 8080).name("i-0b").labels(Map.of("servicename", "true", "az", "b")).build());
        assertThat(emulator.calls()).isEqualTo(1);
        Ec2Emulator.Request request = emulator.requests().get(0);
        assertThat(request.version()).isEqualTo("2016-11-15");
        assertThat(request.filters()).containsOnly(
                Map.entry("instance-state-name", List.of("running")),
                Map.entry("tag:servicename", List.of("true")));
        assertThat(request.maxResults()).isEqualTo(1000);
        assertThat(request.nextToken()).isNull();
        assertThat(request.accessKeyId()).isEqualTo("AKIDTEST");
        assertThat(listener.failures()).isEmpty();
    }

    @Test
    void readsEveryPage() {
        for (int i = 1; i <= 7; i++) {
            emulator.put(Inst.running("i-0" + i, "10.0.1." + i, TAGGED));
        }
        emulator.pageSize(2);

        RecordingListener listener = watch(60, null);

        await().until(() -> listener.last() != null);
        assertThat(listener.lastStrings()).containsExactly(
                "i-01@10.0.1.1:8080", "i-02@10.0.1.2:8080", "i-03@10.0.1.3:8080", "i-04@10.0.1.4:8080",
                "i-05@10.0.1.5:8080", "i-06@10.0.1.6:8080", "i-07@10.0.1.7:8080");
        assertThat(listener.snapshots()).hasSize(1);
        List<Ec2Emulator.Request> requests = emulator.requests();
        assertThat(requests).hasSize(4);
        assertThat(requests.get(0).nextToken()).isNull();
        assertThat(requests.subList(1, 4)).extracting(Ec2Emulator.Request::nextToken).doesNotContainNull().doesNotHaveDuplicates();
        assertThat(requests).allSatisfy(r -> assertThat(r.filters()).containsKeys("instance-state-name", "tag:servicename"));
    }

    @Test
    void publishesChangesAndOnlyChanges() {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED)).put(Inst.running("i-02", "10.0.0.2", TAGGED));
        RecordingListener listener = watch(0.2, null);
        await().until(() -> listener.last() != null);
        assertThat(listener.lastStrings()).containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080");

        emulator.put(emulator.get("i-01").withState("stopped"));
        emulator.put(Inst.running("i-05", "10.0.0.5", TAGGED));
        await().until(() -> listener.snapshots().size() == 2);
        assertThat(listener.lastStrings()).containsExactly("i-02@10.0.0.2:8080", "i-05@10.0.0.5:8080");

        // unchanged polls publish nothing
        int calls = emulator.calls();
        await().until(() -> emulator.calls() >= calls + 3);
        assertThat(listener.snapshots()).hasSize(2);

        // all gone is a real, empty answer: published
        emulator.remove("i-02");
        emulator.put(emulator.get("i-05").withState("shutting-down"));
        await().until(() -> listener.snapshots().size() == 3);
        assertThat(listener.last()).isEmpty();
        assertThat(listener.failures()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
            "private_ip, 10.0.0.1",
            "public_ip, 54.0.0.1",
            "private_dns, ip-10-0-0-1.ec2.internal",
            "public_dns, ec2-54-10-0-0-1.compute-1.amazonaws.com"})
    void addressOption(String address, String host) {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED))
                .put(new Inst("i-02", "running", "10.0.0.2", null, "ip-10-0-0-2.ec2.internal", null, TAGGED));
        try (LogCapture log = new LogCapture(Ec2TagWatcher.class)) {
            RecordingListener listener = watch(60, "{\"address\": \"" + address + "\"}");

            await().until(() -> listener.last() != null);
            if (address.startsWith("public")) {
                assertThat(listener.lastStrings()).containsExactly("i-01@" + host + ":8080");
                assertThat(log.messages(Level.WARN)).containsExactly("service api: skipping instance \"i-02\": no " + address);
            } else {
                assertThat(listener.lastStrings()).containsExactly("i-01@" + host + ":8080", "i-02@" + host.replace("0-1", "0-2").replace("0.1", "0.2") + ":8080");
                assertThat(log.messages(Level.WARN)).isEmpty();
            }
        }
    }

    @Test
    void serverNamesFromTheNameTagFallBackToTheInstanceId() {
        emulator.put(Inst.running("i-01", "10.0.0.1", Map.of("servicename", "true", "Name", "web-1")))
                .put(Inst.running("i-02", "10.0.0.2", TAGGED))
                .put(Inst.running("i-03", "10.0.0.3", Map.of("servicename", "true", "Name", "web 3")));
        try (LogCapture log = new LogCapture(Ec2TagWatcher.class)) {
            RecordingListener listener = watch(0.2, "{\"server_name\": \"name_tag\"}");

            await().until(() -> listener.last() != null);
            assertThat(listener.lastStrings()).containsExactly("web-1@10.0.0.1:8080", "i-02@10.0.0.2:8080", "i-03@10.0.0.3:8080");
            int calls = emulator.calls();
            await().until(() -> emulator.calls() >= calls + 2);
            assertThat(log.messages(Level.WARN)).containsExactly(
                    "service api: instance \"i-02\": no Name tag; named after its id instead",
                    "service api: instance \"i-03\": name \"web 3\": only letters, digits and . _ - : are allowed; named after its id instead");
        }
    }

    @Test
    void portTagGivesEachInstanceItsPortAndBadOnesAreSkippedWithOneWarning() {
        emulator.put(Inst.running("i-01", "10.0.0.1", Map.of("servicename", "true", "port", "8081")))
                .put(Inst.running("i-02", "10.0.0.2", Map.of("servicename", "true", "port", "80a")))
                .put(Inst.running("i-03", "10.0.0.3", TAGGED))
                .put(Inst.running("i-04", "10.0.0.4", Map.of("servicename", "true", "port", "70000")))
                .put(Inst.running("i-05", "10.0.0.5", Map.of("servicename", "true", "port", " 9000 ")));
        try (LogCapture log = new LogCapture(Ec2TagWatcher.class)) {
            RecordingListener listener = watch(0.2, "{\"port\": null, \"port_tag\": \"port\"}");

            await().until(() -> listener.last() != null);
            assertThat(listener.lastStrings()).containsExactly("i-01@10.0.0.1:8081", "i-05@10.0.0.5:9000");
            int calls = emulator.calls();
            await().until(() -> emulator.calls() >= calls + 3);
            assertThat(log.messages(Level.WARN)).containsExactly(
                    "service api: skipping instance \"i-02\": tag \"port\" value \"80a\": expected an integer 1-65535",
                    "service api: skipping instance \"i-03\": no tag \"port\"",
                    "service api: skipping instance \"i-04\": tag \"port\" value \"70000\": expected an integer 1-65535");

            emulator.put(emulator.get("i-02").withTags(Map.of("servicename", "true", "port", "9090")));
            await().until(() -> listener.lastStrings().contains("i-02@10.0.0.2:9090"));
            assertThat(listener.lastStrings()).containsExactly("i-01@10.0.0.1:8081", "i-02@10.0.0.2:9090", "i-05@10.0.0.5:9000");
            assertThat(log.messages(Level.WARN)).hasSize(3);
        }
    }

    @Test
    void withoutPortOrPortTagBackendsCarryThePlaceholderPort() {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED));
        RecordingListener listener = watch(60, "{\"port\": null}");
        await().until(() -> listener.last() != null);
        assertThat(listener.lastStrings()).containsExactly("i-01@10.0.0.1:" + Settings.PLACEHOLDER_PORT);
    }

    @Test
    void hostileOrIncompleteInstancesAreSkippedTheRestKeepWorking() {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED))
                .put(Inst.running("i-02", "10.0.0.2", TAGGED).withPrivateIp("10.0.0.2\n    server evil 1.2.3.4:80"))
                .put(new Inst("i-03", "running", null, null, null, null, TAGGED))
                .put(Inst.running("i-04\nbackend x", "10.0.0.4", TAGGED))
                .put(Inst.running("i-05", "10.0.0.5", Map.of("servicename", "true", "bad\nlabel", "x")));
        try (LogCapture log = new LogCapture(Ec2TagWatcher.class)) {
            RecordingListener listener = watch(60, null);

            await().until(() -> listener.last() != null);
            assertThat(listener.last()).containsExactly(
                    Backend.builder("10.0.0.1", 8080).name("i-01").labels(TAGGED).build(),
                    Backend.builder("10.0.0.5", 8080).name("i-05").labels(TAGGED).build());
            assertThat(log.messages(Level.WARN)).containsExactly(
                    "service api: skipping instance \"i-02\": host \"10.0.0.2\\u000a    server evil 1.2.3.4:80\": expected an IP address or a DNS name",
                    "service api: skipping instance \"i-03\": no private_ip",
                    "service api: skipping instance \"i-04\\u000abackend x\": name \"i-04\\u000abackend x\": only letters, digits and . _ - : are allowed");
        }
    }

    @Test
    void throttlingKeepsTheLastSetBacksOffAndRecovers() {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED));
        try (LogCapture log = new LogCapture(Ec2Poller.class)) {
            RecordingListener listener = watch(0.2, null);
            await().until(() -> listener.last() != null);

            emulator.throttleNext(3);
            emulator.put(Inst.running("i-02", "10.0.0.2", TAGGED));
            await().until(() -> listener.snapshots().size() == 2);

            assertThat(listener.lastStrings()).containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080");
            // each throttled attempt was one HTTP call: the SDK did not retry on its own
            assertThat(listener.failures()).containsExactly(prefix() + THROTTLED, prefix() + THROTTLED, prefix() + THROTTLED);
            assertThat(log.messages(Level.WARN)).containsExactly(
                    prefix() + THROTTLED + "; keeping the last 1 instances, retrying with backoff");
            assertThat(log.messages(Level.INFO)).containsExactly(
                    "ec2tag us-east-1 via " + emulator.endpoint() + " [tag:servicename=true]: DescribeInstances works again after 3 failed attempts; 2 running instances");
        }
    }

    @Test
    void malformedAnswersAreFailuresNeverEmptySets() {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED));
        RecordingListener listener = watch(0.2, null);
        await().until(() -> listener.last() != null);

        emulator.replyNext(200, "this is not XML");
        emulator.replyNext(200, "<html><body>proxy login</body></html>");
        emulator.replyNext(200, "");
        emulator.replyNext(200, Ec2Emulator.describeXml(List.of(Inst.running("i-09", "10.0.0.9", TAGGED)), "token-1"));
        emulator.replyNext(200, Ec2Emulator.describeXml(List.of(), "token-1"));
        emulator.put(Inst.running("i-02", "10.0.0.2", TAGGED));
        await().until(() -> listener.snapshots().size() == 2);

        assertThat(listener.snapshots()).noneMatch(List::isEmpty);
        assertThat(listener.lastStrings()).containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080");
        assertThat(listener.failures()).containsExactly(
                prefix() + "DescribeInstances failed: Unable to unmarshall response (Could not parse XML response.). Response Code: 200, Response Text: OK",
                prefix() + "DescribeInstances failed: the answer to DescribeInstances has no requestId: not an EC2 response",
                prefix() + "DescribeInstances failed: the answer to DescribeInstances has no requestId: not an EC2 response",
                prefix() + "DescribeInstances failed: DescribeInstances returned the same nextToken twice");
    }

    @Test
    void ec2ErrorsAreReported() {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED));
        RecordingListener listener = watch(0.2, "{\"filters\": {\"no-such-filter\": [\"x\"]}}");

        await().until(() -> listener.failures().size() >= 2);
        assertThat(listener.failures().get(0)).isEqualTo(
                "ec2tag us-east-1 via " + emulator.endpoint() + " [no-such-filter=x tag:servicename=true]: "
                        + "DescribeInstances failed: InvalidParameterValue: The filter 'no-such-filter' is invalid (HTTP 400)");
        assertThat(listener.snapshots()).isEmpty();
    }

    @Test
    void extraFiltersAreSentAndApplied() {
        emulator.put(Inst.running("i-01", "10.0.0.1", Map.of("servicename", "true", "env", "prod")))
                .put(Inst.running("i-02", "10.0.0.2", Map.of("servicename", "true", "env", "staging")))
                .put(Inst.running("i-03", "10.0.0.3", Map.of("servicename", "true", "env", "dev")));
        RecordingListener listener = watch(60, "{\"filters\": {\"tag:env\": [\"prod\", \"stag*\"], \"instance-type\": [\"m5.large\"]}}");

        await().until(() -> listener.last() != null);
        assertThat(listener.lastStrings()).containsExactly("i-01@10.0.0.1:8080", "i-02@10.0.0.2:8080");
        assertThat(emulator.requests().get(0).filters()).containsOnly(
                Map.entry("instance-state-name", List.of("running")),
                Map.entry("instance-type", List.of("m5.large")),
                Map.entry("tag:env", List.of("prod", "stag*")),
                Map.entry("tag:servicename", List.of("true")));
    }

    @Test
    void networkErrorsKeepTheLastSetAndRecoverWhenEc2IsBack() {
        int port = FreePorts.next();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        RecordingListener listener = watch(endpoint, 0.2, null);

        await().until(() -> !listener.failures().isEmpty());
        assertThat(listener.failures().get(0))
                .startsWith("ec2tag us-east-1 via " + endpoint + " [tag:servicename=true]: DescribeInstances failed: Unable to execute HTTP request");
        assertThat(listener.snapshots()).isEmpty();

        Ec2Emulator late = Ec2Emulator.start(port);
        extraEmulators.add(late);
        late.put(Inst.running("i-01", "10.0.0.1", TAGGED));
        await().until(() -> listener.last() != null);
        assertThat(listener.lastStrings()).containsExactly("i-01@10.0.0.1:8080");

        late.close();
        int failures = listener.failures().size();
        await().until(() -> listener.failures().size() >= failures + 2);
        Ec2Emulator back = Ec2Emulator.start(port);
        extraEmulators.add(back);
        back.put(Inst.running("i-02", "10.0.0.2", TAGGED));
        await().atMost(Duration.ofSeconds(20)).until(() -> listener.snapshots().size() == 2);
        assertThat(listener.lastStrings()).containsExactly("i-02@10.0.0.2:8080");
    }

    @Test
    void defaultCredentialChainIsUsedWithoutKeys() {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED));
        System.setProperty("aws.accessKeyId", "AKIDFROMCHAIN");
        System.setProperty("aws.secretAccessKey", "chain-secret");
        try {
            RecordingListener listener = watch(60, "{\"aws_access_key_id\": null, \"aws_secret_access_key\": null}");
            await().until(() -> listener.last() != null);
            assertThat(emulator.requests().get(0).accessKeyId()).isEqualTo("AKIDFROMCHAIN");
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void closeIsIdempotentAndStopsPolling() {
        emulator.put(Inst.running("i-01", "10.0.0.1", TAGGED));
        RecordingListener listener = new RecordingListener();
        ServiceWatcher watcher = factory.create(new WatcherContext("api", "services.api.discovery"),
                TestSupport.emulated(emulator.endpoint(), 0.2, null), listener);
        watcher.start();
        await().until(() -> emulator.calls() >= 2);

        watcher.close();
        watcher.close();
        assertThat(registry.size()).isZero();
        int calls = emulator.calls();
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(() -> emulator.calls() == calls);

        ServiceWatcher neverStarted = factory.create(new WatcherContext("api", "services.api.discovery"),
                TestSupport.emulated(emulator.endpoint(), 0.2, null), listener);
        neverStarted.close();
        neverStarted.start();
        assertThat(registry.size()).isZero();
    }
}
