package io.synapse.marathon;

import ch.qos.logback.classic.Level;
import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.FreePorts;
import io.synapse.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The marathon watcher against the emulator, through the JDK's HTTP client: Ruby-compatible reads, events, failures. */
class MarathonWatcherTest {
    /** An app with two ports and no health checks. */
    static final String API = "{'id': 'api', 'instances': 0, 'portDefinitions': [{'port': 0}, {'port': 0}]}".replace('\'', '"');

    MarathonEmulator marathon;

    @BeforeEach
    void start() {
        marathon = MarathonEmulator.start();
    }

    @AfterEach
    void stop() {
        marathon.close();
    }

    /** Discovery JSON with a poll interval long enough that only events can explain a change. */
    private String discovery(String extra) {
        return "{'marathon_api_url': '" + marathon.url() + "', 'application_name': 'api', 'check_interval': 3600" + extra + "}";
    }

    @Test
    void startedTasksAtTheirPortIndexNamedAfterTheHostAsTheRubyWatcherDoes() throws Exception {
        marathon.createApp(API);
        marathon.startTask("api", "agouti.local", 31336, 31337);
        marathon.startTask("api", "10.0.0.2", 31000, 31001);
        String staging = marathon.startTask("api", "10.0.0.3", 31000, 31001);
        marathon.setState(staging, "TASK_STAGING");
        Recording first = new Recording();
        Recording second = new Recording();
        try (ServiceWatcher w0 = Watchers.watcher("api", discovery(""), first);
             ServiceWatcher w1 = Watchers.watcher("api-admin", discovery(", 'port_index': 1"), second)) {
            w0.start();
            w1.start();
            await().until(() -> !first.snapshots.isEmpty() && !second.snapshots.isEmpty());
            assertThat(first.last()).containsExactly("10.0.0.2@10.0.0.2:31000", "agouti.local@agouti.local:31336");
            assertThat(second.last()).containsExactly("10.0.0.2@10.0.0.2:31001", "agouti.local@agouti.local:31337");
            assertThat(first.failures).isEmpty();
        }
    }

    @Test
    void aTaskWithoutThePortAtPortIndexIsSkippedWithOneError() throws Exception {
        marathon.createApp(API);
        String ok = marathon.startTask("api", "10.0.0.1", 31000, 31001, 31002);
        String short1 = marathon.startTask("api", "10.0.0.2", 31000);
        Recording listener = new Recording();
        try (LogCapture log = new LogCapture(MarathonServiceWatcher.class);
             ServiceWatcher w = Watchers.watcher("api", discovery(", 'port_index': 2"), listener)) {
            w.start();
            await().until(() -> !listener.snapshots.isEmpty());
            assertThat(listener.last()).containsExactly("10.0.0.1@10.0.0.1:31002");
            marathon.startTask("api", "10.0.0.3", 32000, 32001, 32002);
            await().until(() -> listener.last().size() == 2);
            assertThat(log.messages(Level.ERROR)).containsExactly(
                    "service api: skipping task " + short1 + " of app /api: it has no port at port_index 2 (ports: [31000])");
            assertThat(listener.rejected).containsExactly("task " + short1 + " of app /api: it has no port at port_index 2 (ports: [31000])");
            marathon.killTask(ok);
            await().until(() -> listener.last().equals(List.of("10.0.0.3@10.0.0.3:32002")));
            assertThat(log.messages(Level.ERROR)).hasSize(1);
        }
    }

    @Test
    void aTaskWithAnInvalidHostIsSkippedWithOneWarning() throws Exception {
        marathon.createApp(API);
        marathon.startTask("api", "10.0.0.1", 31000, 31001);
        String bad = marathon.startTask("api", "evil.example.com\n\tbind *:1", 31000, 31001);
        Recording listener = new Recording();
        try (LogCapture log = new LogCapture(MarathonServiceWatcher.class);
             ServiceWatcher w = Watchers.watcher("api", discovery(""), listener)) {
            w.start();
            await().until(() -> !listener.snapshots.isEmpty());
            assertThat(listener.last()).containsExactly("10.0.0.1@10.0.0.1:31000");
            marathon.startTask("api", "10.0.0.2", 31000, 31001);
            await().until(() -> listener.last().size() == 2);
            assertThat(log.messages(Level.WARN)).containsExactly("service api: skipping task " + bad
                    + " of app /api: host \"evil.example.com\\u000a\\u0009bind *:1\": expected an IP address or a DNS name");
            assertThat(listener.rejected).containsExactly("task " + bad
                    + " of app /api: host \"evil.example.com\\u000a\\u0009bind *:1\": expected an IP address or a DNS name");
        }
    }

    @Test
    void eventsDriveTasksStartedKilledAndMovedWithoutFullReads() throws Exception {
        marathon.createApp(API);
        String a = marathon.startTask("api", "10.0.0.1", 31000, 31001);
        Recording listener = new Recording();
        try (ServiceWatcher w = Watchers.watcher("api", discovery(""), listener)) {
            w.start();
            await().until(() -> listener.last().equals(List.of("10.0.0.1@10.0.0.1:31000")));
            int fullReads = marathon.fullReads();
            String b = marathon.startTask("api", "10.0.0.2", 31000, 31001);
            await().until(() -> listener.last().equals(List.of("10.0.0.1@10.0.0.1:31000", "10.0.0.2@10.0.0.2:31000")));
            marathon.moveTask(a, "10.0.0.9", 31500, 31501);
            await().until(() -> listener.last().equals(List.of("10.0.0.2@10.0.0.2:31000", "10.0.0.9@10.0.0.9:31500")));
            marathon.killTask(b);
            await().until(() -> listener.last().equals(List.of("10.0.0.9@10.0.0.9:31500")));
            marathon.setState(marathon.taskIds("api").get(0), "TASK_KILLING");
            await().until(() -> listener.last().isEmpty());
            // each change was one GET /v2/apps/api, none a full read
            assertThat(marathon.fullReads()).isEqualTo(fullReads);
            assertThat(marathon.appReads()).isGreaterThanOrEqualTo(4);
            assertThat(marathon.streamConnects()).isEqualTo(1);
        }
    }

    @Test
    void onlyTasksPassingHealthChecksWhenTheAppHasThem() throws Exception {
        marathon.setAutoHealthy(false);
        marathon.createApp("{\"id\": \"web\", \"instances\": 0, \"healthChecks\": [{\"path\": \"/health\"}]}");
        String a = marathon.startTask("web", "10.0.0.1", 31000);
        Recording listener = new Recording();
        try (ServiceWatcher w = Watchers.watcher("web", "{'marathon_api_url': '" + marathon.url()
                + "', 'application_name': '/web', 'check_interval': 3600}", listener)) {
            w.start();
            await().until(() -> !listener.snapshots.isEmpty());
            assertThat(listener.last()).isEmpty(); // no result yet: not healthy
            marathon.setHealth(a, true);
            await().until(() -> listener.last().equals(List.of("10.0.0.1@10.0.0.1:31000")));
            String b = marathon.startTask("web", "10.0.0.2", 31000);
            marathon.setHealth(b, true);
            await().until(() -> listener.last().size() == 2);
            marathon.setHealth(a, false);
            await().until(() -> listener.last().equals(List.of("10.0.0.2@10.0.0.2:31000")));
            // results missing for a while (a Marathon leader change): the last verdict holds
            marathon.forgetHealth(b);
            marathon.setHealth(a, true);
            await().until(() -> listener.last().equals(List.of("10.0.0.1@10.0.0.1:31000", "10.0.0.2@10.0.0.2:31000")));
        }
    }

    @Test
    void aCutStreamIsResumedAndEverythingReadAgain() throws Exception {
        marathon.createApp(API);
        marathon.startTask("api", "10.0.0.1", 31000, 31001);
        Recording listener = new Recording();
        try (ServiceWatcher w = Watchers.watcher("api", discovery(""), listener)) {
            w.start();
            await().until(() -> listener.last().size() == 1);
            int fullReads = marathon.fullReads();
            // the stream breaks, and a task starts whose event nobody receives
            marathon.silently(() -> {
                marathon.cutStreams();
                marathon.startTask("api", "10.0.0.2", 31000, 31001);
            });
            await().until(() -> listener.last().size() == 2);
            assertThat(marathon.streamConnects()).isEqualTo(2);
            assertThat(marathon.fullReads()).isEqualTo(fullReads + 1);
            // and events flow again
            marathon.startTask("api", "10.0.0.3", 31000, 31001);
            await().until(() -> listener.last().size() == 3);
        }
    }

    @Test
    void aSilentStreamIsReconnectedAndEverythingReadAgain() throws Exception {
        java.time.Duration before = MarathonClient.streamIdle;
        MarathonClient.streamIdle = java.time.Duration.ofMillis(600);
        try {
            marathon.createApp(API);
            Recording listener = new Recording();
            try (ServiceWatcher w = Watchers.watcher("api", discovery(""), listener)) {
                w.start();
                await().until(() -> !listener.snapshots.isEmpty());
                // a connection that died without a word looks like silence: an event lost in it is found
                // by the full read after the reconnect
                marathon.silently(() -> marathon.startTask("api", "10.0.0.1", 31000, 31001));
                await().until(() -> listener.last().size() == 1);
                assertThat(marathon.streamConnects()).isGreaterThanOrEqualTo(2);
                assertThat(marathon.fullReads()).isGreaterThanOrEqualTo(2);
            }
        } finally {
            MarathonClient.streamIdle = before;
        }
    }

    @Test
    void withoutTheStreamItPollsEveryCheckInterval() throws Exception {
        marathon.refuseStreams(true);
        marathon.createApp(API);
        Recording listener = new Recording();
        try (LogCapture log = new LogCapture(MarathonClient.class);
             ServiceWatcher w = Watchers.watcher("api", "{'marathon_api_url': '" + marathon.url()
                     + "', 'application_name': 'api', 'check_interval': 0.2}", listener)) {
            w.start();
            await().until(() -> !listener.snapshots.isEmpty());
            marathon.startTask("api", "10.0.0.1", 31000, 31001);
            await().until(() -> listener.last().size() == 1);
            assertThat(marathon.fullReads()).isGreaterThanOrEqualTo(2);
            assertThat(log.messages(Level.WARN)).anySatisfy(m -> assertThat(m).startsWith("marathon " + marathon.url()
                    + ": no event stream from " + marathon.url() + " (HTTP 503); reading every 0.2 s until it is back"));
            // the stream comes back: attached, read once more, events again
            marathon.refuseStreams(false);
            await().until(() -> marathon.openStreams() == 1);
        }
    }

    @Test
    void severalUrlsAreTriedInTurn() throws Exception {
        marathon.createApp(API);
        marathon.startTask("api", "10.0.0.1", 31000, 31001);
        String dead = "http://127.0.0.1:" + FreePorts.next();
        Recording listener = new Recording();
        try (ServiceWatcher w = Watchers.watcher("api", "{'marathon_api_url': ['" + dead + "', '" + marathon.url()
                + "'], 'application_name': 'api', 'check_interval': 3600}", listener)) {
            w.start();
            await().until(() -> listener.last().size() == 1);
            await().until(() -> marathon.openStreams() == 1);
            marathon.startTask("api", "10.0.0.2", 31000, 31001);
            await().until(() -> listener.last().size() == 2);
            assertThat(listener.failures).isEmpty();
        }
    }

    @Test
    void basicAuthFromTheUrlOrFromCredentials() throws Exception {
        marathon.requireBasicAuth("synapse", "s3cret:x");
        marathon.createApp(API);
        marathon.startTask("api", "10.0.0.1", 31000, 31001);
        String withUser = marathon.url().replace("http://", "http://synapse:s3cret%3Ax@");
        Recording fromUrl = new Recording();
        Recording fromCredentials = new Recording();
        Recording wrong = new Recording();
        try (ServiceWatcher a = Watchers.watcher("a", "{'marathon_api_url': '" + withUser + "', 'application_name': 'api'}", fromUrl);
             ServiceWatcher b = Watchers.watcher("b", "{'marathon_api_url': '" + marathon.url()
                     + "', 'credentials': 'synapse:s3cret:x', 'application_name': 'api'}", fromCredentials);
             ServiceWatcher c = Watchers.watcher("c", "{'marathon_api_url': '" + marathon.url()
                     + "', 'credentials': 'synapse:guess', 'application_name': 'api'}", wrong)) {
            a.start();
            b.start();
            c.start();
            await().until(() -> fromUrl.last().size() == 1 && fromCredentials.last().size() == 1 && !wrong.failures.isEmpty());
            assertThat(wrong.snapshots).isEmpty();
            assertThat(wrong.failures.get(0)).isEqualTo("GET /v2/apps?embed=apps.tasks failed: " + marathon.url()
                    + ": HTTP 401 (\"Invalid username or password.\")");
            // both good ones share one client (same URL, same user): one stream
            marathon.startTask("api", "10.0.0.2", 31000, 31001);
            await().until(() -> fromUrl.last().size() == 2 && fromCredentials.last().size() == 2);
        }
    }

    @Test
    void marathonDownOrAnsweringGarbageKeepsTheLastSetAndRecovers() throws Exception {
        marathon.createApp(API);
        marathon.startTask("api", "10.0.0.1", 31000, 31001);
        Recording listener = new Recording();
        try (ServiceWatcher w = Watchers.watcher("api", "{'marathon_api_url': '" + marathon.url()
                + "', 'application_name': 'api', 'check_interval': 0.2}", listener)) {
            w.start();
            await().until(() -> listener.last().size() == 1);
            int snapshots = listener.snapshots.size();
            marathon.setUnavailable(true);
            await().until(() -> !listener.failures.isEmpty());
            assertThat(listener.failures.get(0)).isEqualTo("GET /v2/apps?embed=apps.tasks failed: " + marathon.url()
                    + ": HTTP 503 (\"Could not determine the current leader\")");
            assertThat(listener.snapshots).hasSize(snapshots);
            marathon.setUnavailable(false);
            marathon.setGarbage(true);
            await().until(() -> listener.failures.stream().anyMatch(f -> f.contains("answered with something that is not JSON")));
            assertThat(listener.snapshots).hasSize(snapshots);
            marathon.silently(() -> marathon.startTask("api", "10.0.0.2", 31000, 31001));
            marathon.setGarbage(false);
            await().until(() -> listener.last().size() == 2);
        }
    }

    @Test
    void anAppMarathonDoesNotHaveIsEmptyUntilItIsCreated() throws Exception {
        Recording listener = new Recording();
        try (LogCapture log = new LogCapture(MarathonServiceWatcher.class);
             ServiceWatcher w = Watchers.watcher("api", discovery(""), listener)) {
            w.start();
            await().until(() -> !listener.snapshots.isEmpty());
            assertThat(listener.last()).isEmpty();
            assertThat(log.messages(Level.WARN)).containsExactly("service api: Marathon has no app /api");
            marathon.createApp(API.replace("\"instances\": 0", "\"instances\": 2"));
            await().until(() -> listener.last().size() == 2);
        }
    }

    @Test
    void anApiServedUnderAPathPrefix() throws Exception {
        try (MarathonEmulator prefixed = MarathonEmulator.start("/service/marathon")) {
            prefixed.createApp(API);
            prefixed.startTask("api", "10.0.0.1", 31000, 31001);
            Recording listener = new Recording();
            String base = "http://127.0.0.1:" + prefixed.port();
            try (ServiceWatcher w = Watchers.watcher("api", "{'marathon_api_url': '" + base
                    + "', 'marathon_api_path': '/service/marathon/v2/apps/%{app}/tasks', 'application_name': 'api', 'check_interval': 3600}",
                    listener)) {
                w.start();
                await().until(() -> listener.last().size() == 1);
                prefixed.startTask("api", "10.0.0.2", 31000, 31001);
                await().until(() -> listener.last().size() == 2);
                assertThat(prefixed.openStreams()).isEqualTo(1);
            }
        }
    }

    @Test
    void anotherApiPathIsPolledAsTheRubyWatcherDid() throws Exception {
        marathon.createApp(API);
        marathon.startTask("api", "10.0.0.1", 31000, 31001);
        Recording listener = new Recording();
        try (ServiceWatcher w = Watchers.watcher("api", "{'marathon_api_url': '" + marathon.url()
                + "', 'marathon_api_path': '/v2/apps/%{app}/tasks?status=running', 'application_name': 'api', 'check_interval': 0.1}",
                listener)) {
            w.start();
            await().until(() -> listener.last().size() == 1);
            marathon.startTask("api", "10.0.0.2", 31000, 31001);
            await().until(() -> listener.last().size() == 2);
            assertThat(marathon.requests()).contains("GET /v2/apps/api/tasks?status=running");
            assertThat(marathon.streamConnects()).isZero();
            assertThat(marathon.fullReads()).isZero();
        }
    }

    @Test
    void servicesOnTheSameUrlsShareOneClientThatClosesWithTheLastOfThem() throws Exception {
        marathon.createApp(API);
        marathon.createApp(API.replace("\"api\"", "\"web\""));
        Endpoints.Key key = Endpoints.baseKey(List.of(marathon.url()), null);
        Recording api = new Recording();
        Recording web = new Recording();
        ServiceWatcher a = Watchers.watcher("api", discovery(""), api);
        ServiceWatcher b = Watchers.watcher("web", discovery("").replace("'application_name': 'api'", "'application_name': 'web'"), web);
        a.start();
        b.start();
        await().until(() -> api.snapshots.size() == 1 && web.snapshots.size() == 1);
        assertThat(MarathonClient.CLIENTS.references(key)).isEqualTo(2);
        assertThat(marathon.streamConnects()).isEqualTo(1);
        assertThat(marathon.fullReads()).isEqualTo(1);
        a.close();
        a.close();
        assertThat(MarathonClient.CLIENTS.references(key)).isEqualTo(1);
        marathon.startTask("web", "10.0.0.1", 31000, 31001);
        await().until(() -> web.last().size() == 1);
        assertThat(api.snapshots).hasSize(1);
        b.close();
        assertThat(MarathonClient.CLIENTS.references(key)).isZero();
        // the stream was closed with the client: the emulator sees it when a write fails
        await().until(() -> {
            marathon.emitRaw("group_change_success", "{\"groupId\": \"/\", \"version\": \"2024-01-01T00:00:00.000Z\"}");
            return marathon.openStreams() == 0;
        });
        assertThat(marathon.fullReads()).isEqualTo(1);
        assertThat(web.snapshots).hasSize(2);
    }
}
