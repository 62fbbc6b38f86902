package io.synapse.ec2tag;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.ec2tag.Ec2Emulator.Inst;
import io.synapse.common.config.ConfigProblems;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * config-examples' clayio-ec2tag.json as shipped, with only the endpoint (the emulator) and dummy
 * credentials added: it renders the servers and their backup twins, and haproxy accepts the file.
 */
class ClayIoExampleTest {
    static final Path EXAMPLE = Path.of("../config-examples/src/main/resources/examples/clayio-ec2tag.json");

    @TempDir
    Path dir;

    @Test
    void theShippedClayIoExampleRendersBackupServers() throws Exception {
        try (Ec2Emulator emulator = Ec2Emulator.start()) {
            emulator.put(Inst.running("i-0a", "10.0.1.10", Map.of("servicename", "true")))
                    .put(Inst.running("i-0b", "10.0.1.11", Map.of("servicename", "true")))
                    .put(Inst.running("i-0c", "10.0.1.12", Map.of("servicename", "false")));
            // the article's file has // comments
            ObjectNode root = (ObjectNode) JsonMapper.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build().readTree(EXAMPLE.toFile());
            ObjectNode discovery = root.with("services").with("myservice").with("discovery");
            discovery.put("endpoint", emulator.endpoint().toString());
            discovery.put("aws_region", "us-east-1"); // the article's container has AWS_REGION
            discovery.put("aws_access_key_id", "AKIDTEST");
            discovery.put("aws_secret_access_key", "dummy");
            Map<String, String> env = Map.of("SYNAPSE_OUT", dir.toString());
            var config = new ConfigLoader(Plugins.fromClasspath(), env::get).load(root, dir, new ConfigProblems());
            try (Synapse synapse = Synapse.fromConfig(config)) {
                synapse.start();
                assertThat(synapse.awaitInitialized(Duration.ofSeconds(30))).isTrue();
            }
            Path cfg = dir.resolve("haproxy.cfg");
            Haproxy.assertValid(cfg);
            // ids follow the shuffled server order, which is seeded by the host name: match any id
            String text = Files.readString(cfg);
            assertThat(text).contains("\tbind 0.0.0.0:50003\n", "\nlisten stats\n\tbind :1937\n\tstats enable\n").doesNotContain("10.0.1.12");
            assertThat(text)
                    .containsPattern("server i-0a_10.0.1.10:50001 10.0.1.10:50001 id [1-4] cookie i-0a_10.0.1.10:50001 check\n")
                    .containsPattern("server i-0a_10.0.1.10:50002 10.0.1.10:50002 id [1-4] cookie i-0a_10.0.1.10:50002 check backup\n")
                    .containsPattern("server i-0b_10.0.1.11:50001 10.0.1.11:50001 id [1-4] cookie i-0b_10.0.1.11:50001 check\n")
                    .containsPattern("server i-0b_10.0.1.11:50002 10.0.1.11:50002 id [1-4] cookie i-0b_10.0.1.11:50002 check backup\n");
        }
    }
}
