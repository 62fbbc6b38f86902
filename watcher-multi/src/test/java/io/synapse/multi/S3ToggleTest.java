package io.synapse.multi;

import io.synapse.Synapse;
import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code s3_toggle} against an in-process S3 that the real AWS SDK talks to over HTTP. */
class S3ToggleTest {
    static {
        MultiTesting.init();
    }

    private static final AtomicInteger IDS = new AtomicInteger();

    @TempDir
    Path dir;
    private S3Emulator s3;
    private String a;
    private String b;

    @BeforeEach
    void start() {
        s3 = S3Emulator.start();
        int n = IDS.incrementAndGet();
        a = "s3-a-" + n;
        b = "s3-b-" + n;
    }

    @AfterEach
    void stop() {
        s3.close();
    }

    private String discovery(String bucket, String key, String accessKey) {
        return """
                {"method": "multi",
                 "watchers": {"a": {"method": "fake", "id": "%s", "initial": ["a1@10.0.1.1:80"]},
                              "b": {"method": "fake", "id": "%s", "initial": ["b1@10.0.2.1:80", "b2@10.0.2.2:80"]}},
                 "resolver": {"method": "s3_toggle", "s3_url": "s3://%s/%s", "s3_polling_interval_seconds": 0.2,
                              "aws_region": "eu-west-1", "endpoint": "%s",
                              "aws_access_key_id": "%s", "aws_secret_access_key": "%s"}}
                """.formatted(a, b, bucket, key, s3.endpoint(), accessKey, S3Emulator.SECRET_KEY);
    }

    @Test
    void theObjectPicksTheWatcherAndAChangedObjectMovesIt() {
        s3.createBucket("toggles");
        s3.put("toggles", "api.yaml", "a: 1\nb: 0\n");
        RecordingListener listener = new RecordingListener();
        try (ServiceWatcher w = MultiTesting.watcher("api", discovery("toggles", "api.yaml", S3Emulator.ACCESS_KEY), listener)) {
            w.start();
            await().until(() -> List.of("a1@10.0.1.1:80").equals(listener.last()));

            // unchanged: conditional reads answered 304, nothing new published
            await().until(() -> s3.requests().stream().filter(r -> r.status() == 304).count() >= 3);
            assertThat(s3.requests()).allSatisfy(r -> {
                assertThat(r.method()).isEqualTo("GET");
                assertThat(r.path()).isEqualTo("/toggles/api.yaml");
                assertThat(r.authorization()).startsWith("AWS4-HMAC-SHA256 Credential=" + S3Emulator.ACCESS_KEY + "/")
                        .contains("/eu-west-1/s3/aws4_request");
            });
            assertThat(s3.requests().get(0).ifNoneMatch()).isNull();
            assertThat(s3.requests().get(s3.requests().size() - 1).ifNoneMatch()).isEqualTo(S3Emulator.etag("a: 1\nb: 0\n"));
            assertThat(listener.snapshots).hasSize(1);

            s3.put("toggles", "api.yaml", "a: 0\nb: 3\n");
            await().until(() -> List.of("b1@10.0.2.1:80", "b2@10.0.2.2:80").equals(listener.last()));
            assertThat(listener.failures).isEmpty();
        }
    }

    @Test
    void notFoundOrForbiddenBeforeAnyReadIsTheServicesFailure() {
        RecordingListener listener = new RecordingListener();
        try (ServiceWatcher w = MultiTesting.watcher("api", discovery("missing", "api.yaml", S3Emulator.ACCESS_KEY), listener)) {
            w.start();
            await().until(() -> listener.lastFailure() != null);
            assertThat(listener.lastFailure()).isEqualTo(
                    "toggle s3://missing/api.yaml: no such bucket or object (404 NoSuchBucket: The specified bucket does not exist)");
            s3.createBucket("missing");
            await().until(() -> ("toggle s3://missing/api.yaml: no such bucket or object (404 NoSuchKey: The specified key does not exist.)")
                    .equals(listener.lastFailure()));
            s3.put("missing", "api.yaml", "b: 1\n");
            await().until(() -> List.of("b1@10.0.2.1:80", "b2@10.0.2.2:80").equals(listener.last()));
        }

        s3.createBucket("private");
        s3.put("private", "api.yaml", "a: 1\n");
        RecordingListener denied = new RecordingListener();
        try (ServiceWatcher w = MultiTesting.watcher("api", discovery("private", "api.yaml", "AKIDSOMEONEELSE"), denied)) {
            w.start();
            await().until(() -> denied.lastFailure() != null);
            assertThat(denied.lastFailure()).isEqualTo("toggle s3://private/api.yaml: access denied (403 AccessDenied: Access Denied)");
            assertThat(denied.snapshots).isEmpty();
        }
    }

    @Test
    void throttlingAndLostAccessKeepThePick() {
        s3.createBucket("toggles");
        s3.put("toggles", "svc.yaml", "a: 1\n");
        RecordingListener listener = new RecordingListener();
        try (ServiceWatcher w = MultiTesting.watcher("svc", discovery("toggles", "svc.yaml", S3Emulator.ACCESS_KEY), listener)) {
            w.start();
            await().until(() -> List.of("a1@10.0.1.1:80").equals(listener.last()));

            // throttled: the SDK does not retry by itself, the poller backs off and reads again
            int before = s3.requests().size();
            s3.failNext(3, 503, "SlowDown", "Please reduce your request rate.");
            s3.put("toggles", "svc.yaml", "b: 1\n");
            await().until(() -> List.of("b1@10.0.2.1:80", "b2@10.0.2.2:80").equals(listener.last()));
            List<S3Emulator.Request> after = s3.requests().subList(before, s3.requests().size());
            assertThat(after.stream().filter(r -> r.status() == 503).count()).isEqualTo(3);

            // access lost: the pick stays, nothing is reported to the engine
            s3.denyAll(true);
            int denied = s3.requests().size();
            await().until(() -> s3.requests().subList(denied, s3.requests().size()).stream().filter(r -> r.status() == 403).count() >= 2);
            s3.denyAll(false);
            assertThat(listener.failures).isEmpty();
            assertThat(listener.last()).containsExactly("b1@10.0.2.1:80", "b2@10.0.2.2:80");
        }
    }

    @Test
    void throughTheEngineIntoHaproxyCfg() throws Exception {
        s3.createBucket("toggles");
        s3.put("toggles", "e2e.yaml", "a: 0\nb: 1\n");
        Path conf = MultiTesting.synapseConfig(dir, "api", discovery("toggles", "e2e.yaml", S3Emulator.ACCESS_KEY), FreePorts.next());
        Path cfg = dir.resolve("haproxy.cfg");
        try (Synapse synapse = Synapse.fromFile(conf, MultiTesting.PLUGINS)) {
            synapse.start();
            assertThat(synapse.awaitInitialized(MultiTesting.WAIT)).isTrue();
            await().until(() -> MultiTesting.read(cfg).contains("10.0.2.2:80"));
            Haproxy.assertValid(cfg);
            s3.put("toggles", "e2e.yaml", "a: 2\nb: 0\n");
            await().until(() -> MultiTesting.read(cfg).contains("10.0.1.1:80") && !MultiTesting.read(cfg).contains("10.0.2.2:80"));
            Haproxy.assertValid(cfg);
        }
    }

    @Test
    void servicesOnOneObjectShareOneReader() {
        s3.createBucket("toggles");
        s3.put("toggles", "shared.yaml", "a: 1\n");
        RecordingListener first = new RecordingListener();
        RecordingListener second = new RecordingListener();
        try (ServiceWatcher w1 = MultiTesting.watcher("one", discovery("toggles", "shared.yaml", S3Emulator.ACCESS_KEY), first);
                ServiceWatcher w2 = MultiTesting.watcher("two", discovery("toggles", "shared.yaml", S3Emulator.ACCESS_KEY)
                        .replace(a, a + "-2").replace(b, b + "-2"), second)) {
            w1.start();
            w2.start();
            await().until(() -> first.last() != null && second.last() != null);
            assertThat(TogglePoller.POLLERS.keys().stream().filter(k -> k.describe().equals("s3://toggles/shared.yaml")).count()).isEqualTo(1);
            // one reader: reads are spaced by the interval, not doubled
            int start = s3.requests().size();
            long t0 = System.nanoTime();
            await().until(() -> s3.requests().size() - start >= 5);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(seconds).isGreaterThan(0.5);
        }
        assertThat(TogglePoller.POLLERS.keys().stream().filter(k -> k.describe().equals("s3://toggles/shared.yaml")).count()).isZero();
    }
}
