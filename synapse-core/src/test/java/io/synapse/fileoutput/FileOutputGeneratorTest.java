package io.synapse.fileoutput;

import io.synapse.spi.Backend;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

class FileOutputGeneratorTest {
    @TempDir
    Path dir;

    @Test
    void labelsAreWrittenSortedSoThatTheSameInputGivesTheSameBytes() throws Exception {
        // inserted in an order of their own: the file lists them by name, in every JVM
        Map<String, String> labels = new LinkedHashMap<>();
        for (String key : List.of("zone", "az", "rack", "canary", "team", "build", "region", "deploy")) {
            labels.put(key, key.toUpperCase());
        }
        Backend b = Backend.builder("10.0.0.1", 8080).name("i-1").labels(labels).build();
        assertThat(b.labels().keySet()).containsExactly("az", "build", "canary", "deploy", "rack", "region", "team", "zone");

        Map<String, ServiceView> views = new HashMap<>();
        views.put("api", new ServiceView("api", List.of(b), json("{}")));
        for (String run : List.of("first", "second")) {
            new FileOutputGenerator(dir.resolve(run), Set.of()).update(new GeneratorState(views, Set.of("api")));
        }
        String expected = """
                [ {
                  "name" : "i-1",
                  "host" : "10.0.0.1",
                  "port" : 8080,
                  "labels" : {
                    "az" : "AZ",
                    "build" : "BUILD",
                    "canary" : "CANARY",
                    "deploy" : "DEPLOY",
                    "rack" : "RACK",
                    "region" : "REGION",
                    "team" : "TEAM",
                    "zone" : "ZONE"
                  }
                } ]
                """;
        assertThat(Files.readString(dir.resolve("first/api.json"))).isEqualTo(expected);
        assertThat(Files.readAllBytes(dir.resolve("second/api.json"))).isEqualTo(Files.readAllBytes(dir.resolve("first/api.json")));
    }
}
