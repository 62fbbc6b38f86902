package io.synapse.multi;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import io.synapse.testing.FakeWatcherFactory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static io.synapse.testing.FakeWatcherFactory.backends;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The resolvers' rules, with children driven by hand (the registries' own behaviour is tested with real servers elsewhere). */
class ResolverTest {
    static {
        MultiTesting.init();
    }

    private static final AtomicInteger IDS = new AtomicInteger();
    private final String p = "r" + IDS.incrementAndGet() + "-";

    private String watchers(String... names) {
        StringBuilder out = new StringBuilder("{");
        for (String n : names) {
            out.append(out.length() > 1 ? ", " : "").append('"').append(n).append("\": {\"method\": \"fake\", \"id\": \"").append(p).append(n).append("\"}");
        }
        return out.append('}').toString();
    }

    private WatcherListener child(String name) {
        return FakeWatcherFactory.listener(p + name);
    }

    private static Map<String, JsonNode> haproxy(String options) {
        return Map.of("haproxy", MultiTesting.json("{\"server_options\": \"" + options + "\"}"));
    }

    @Test
    void unionWaitsForEveryChildThenMergesAndFailsOnlyWhenAllFail() {
        RecordingListener out = new RecordingListener();
        try (ServiceWatcher w = MultiTesting.watcher("api", "{\"method\": \"multi\", \"watchers\": " + watchers("a", "b", "c")
                + ", \"resolver\": {\"method\": \"union\"}}", out)) {
            w.start();
            child("b").onGeneratorConfig(haproxy("check inter 2s"));
            child("a").onBackends(backends("x@10.0.0.1:80", "y@10.0.0.2:80"));
            child("b").onBackends(backends("y@10.0.0.2:80", "z@10.0.0.3:80"));
            assertThat(out.events).isEmpty(); // c has not answered yet
            child("c").onFailure("unreachable", null);
            assertThat(out.events).containsExactly("config {haproxy={\"server_options\":\"check inter 2s\"}}",
                    "backends [x@10.0.0.1:80, y@10.0.0.2:80, z@10.0.0.3:80]");

            // the first child in watchers order with a generator config wins
            child("a").onGeneratorConfig(haproxy("check inter 9s"));
            assertThat(out.configs.get(out.configs.size() - 1).get("haproxy").toString()).contains("9s");

            // a failing child keeps its last set in the union
            child("a").onFailure("session expired", null);
            child("b").onBackends(backends("z@10.0.0.3:80"));
            assertThat(out.last()).containsExactly("x@10.0.0.1:80", "y@10.0.0.2:80", "z@10.0.0.3:80");
            child("b").onFailure("down", null);
            assertThat(out.failures).containsExactly("every watcher is failing: a: session expired; b: down; c: unreachable");
            child("c").onBackends(backends("w@10.0.0.4:80"));
            assertThat(out.failing()).isFalse();
            assertThat(out.last()).containsExactly("x@10.0.0.1:80", "y@10.0.0.2:80", "z@10.0.0.3:80", "w@10.0.0.4:80");
        }
    }

    @Test
    void sequentialNeverJumpsOverAChildThatHasNotAnswered() {
        RecordingListener out = new RecordingListener();
        try (ServiceWatcher w = MultiTesting.watcher("api", "{\"method\": \"multi\", \"watchers\": " + watchers("a", "b", "c")
                + ", \"resolver\": {\"method\": \"sequential\", \"sequential_order\": [\"c\", \"a\", \"b\"]}}", out)) {
            w.start();
            child("a").onBackends(backends("a@10.0.0.1:80"));
            assertThat(out.events).isEmpty(); // c, the first choice, has not answered
            child("c").onBackends(List.of());
            assertThat(out.last()).containsExactly("a@10.0.0.1:80");
            child("a").onFailure("down", null);
            assertThat(out.events).hasSize(1); // b has not answered: wait rather than guess
            child("b").onBackends(List.of());
            // nobody has backends: the first child that is not failing, with its empty set
            assertThat(out.last()).isEmpty();
            child("c").onGeneratorConfig(haproxy("check"));
            child("c").onBackends(backends("c@10.0.0.3:80"));
            assertThat(out.last()).containsExactly("c@10.0.0.3:80");
            assertThat(out.configs).hasSize(1);
            child("c").onFailure("gone", null);
            child("b").onFailure("gone too", null);
            assertThat(out.lastFailure()).isEqualTo("every watcher is failing: a: down; b: gone too; c: gone");
        }
    }

    @Test
    void aToggleUsesPrimaryUntilTheFileIsReadAsRubyDoes() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("toggle", ".yaml");
        java.nio.file.Files.delete(file);
        RecordingListener out = new RecordingListener();
        try (ServiceWatcher w = MultiTesting.watcher("api", "{\"method\": \"multi\", \"watchers\": " + watchers("primary", "secondary")
                + ", \"resolver\": {\"method\": \"file_toggle\", \"path\": \"" + file + "\", \"polling_interval_seconds\": 0.1}}", out)) {
            w.start();
            child("primary").onBackends(backends("p@10.0.0.1:80"));
            child("secondary").onBackends(backends("s@10.0.0.2:80"));
            await().until(() -> List.of("p@10.0.0.1:80").equals(out.last()));
            MultiTesting.replace(file, "primary: 0\nsecondary: 1\n");
            await().until(() -> List.of("s@10.0.0.2:80").equals(out.last()));
            // the picked child's failure is the service's; the other child's is not
            child("primary").onFailure("down", null);
            assertThat(out.failures).isEmpty();
            child("secondary").onFailure("down too", null);
            assertThat(out.failures).containsExactly("watcher secondary: down too");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void aToggleWithoutPrimaryReportsTheFilesProblem() {
        RecordingListener out = new RecordingListener();
        String missing = "/nonexistent/" + p + "toggle.yaml";
        try (ServiceWatcher w = MultiTesting.watcher("api", "{\"method\": \"multi\", \"watchers\": " + watchers("zk", "etcd")
                + ", \"resolver\": {\"method\": \"file_toggle\", \"path\": \"" + missing + "\"}}", out)) {
            w.start();
            child("zk").onBackends(backends("z@10.0.0.1:80"));
            await().until(() -> out.lastFailure() != null);
            assertThat(out.lastFailure()).isEqualTo("toggle " + missing + ": no such file");
            assertThat(out.snapshots).isEmpty();
        }
    }
}
