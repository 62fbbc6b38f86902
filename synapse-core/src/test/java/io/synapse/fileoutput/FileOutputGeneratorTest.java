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

    @Test
    void aStartWritesEveryServiceAndALaterUpdateOnlyWhatChanged() throws Exception {
        Map<String, ServiceView> views = new LinkedHashMap<>();
        for (int i = 0; i < 150; i++) {
            views.put("svc" + i, new ServiceView("svc" + i, List.of(Backend.of("b" + i, "10.0.0." + i, 8080)), json("{}")));
        }
        FileOutputGenerator generator = new FileOutputGenerator(dir, Set.of("svc3"));
        generator.update(new GeneratorState(views, views.keySet()));
        for (int i = 0; i < 150; i++) {
            Path file = dir.resolve("svc" + i + ".json");
            if (i == 3) {
                assertThat(file).doesNotExist();
            } else {
                assertThat(Files.readString(file)).isEqualTo("[ {\n  \"name\" : \"b" + i + "\",\n  \"host\" : \"10.0.0." + i
                        + "\",\n  \"port\" : 8080\n} ]\n");
            }
        }
        // the same backends again: nothing is written; one service changed: only its file is
        Files.writeString(dir.resolve("svc7.json"), "tampered");
        views.put("svc8", new ServiceView("svc8", List.of(Backend.of("b8", "10.0.0.8", 9090)), json("{}")));
        generator.update(new GeneratorState(views, views.keySet()));
        assertThat(Files.readString(dir.resolve("svc7.json"))).isEqualTo("tampered");
        assertThat(Files.readString(dir.resolve("svc8.json"))).contains("\"port\" : 9090");
    }
}
