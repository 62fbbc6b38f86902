package io.synapse.examples;

import io.synapse.Synapse;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every example config renders a haproxy.cfg that the real haproxy accepts. */
class ExamplesTest {
    static final Path EXAMPLES = Path.of("src/main/resources/examples");

    @TempDir
    Path out;

    /** Loads an example with {@code SYNAPSE_OUT} (and {@code extra}) pointing at test resources, runs it once. */
    static String renderOnce(Path example, Path out, Map<String, String> extra) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(extra);
        env.put("SYNAPSE_OUT", out.toString());
        var config = new ConfigLoader(Plugins.fromClasspath(), name -> env.containsKey(name) ? env.get(name) : null).load(example);
        try (Synapse synapse = Synapse.fromConfig(config)) {
            synapse.start();
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(30)))
                    .as("first snapshots of %s (missing: %s)", example, synapse.uninitializedServices()).isTrue();
        }
        Path cfg = out.resolve("haproxy.cfg");
        Haproxy.assertValid(cfg);
        return Files.readString(cfg);
    }

    @Test
    void baseExample() throws Exception {
        String cfg = renderOnce(EXAMPLES.resolve("base.json"), out, Map.of());
        assertThat(cfg).contains("server api1_127.0.0.1:8081 127.0.0.1:8081 id 1 cookie api1_127.0.0.1:8081 check inter 2s rise 2 fall 3",
                "server search1_localhost:9200 localhost:9200 id 1 init-addr last,libc,none");
        assertThat(Files.readString(out.resolve("services/api.json"))).contains("\"host\" : \"127.0.0.1\"");
    }
}
