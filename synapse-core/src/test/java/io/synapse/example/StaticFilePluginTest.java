package io.synapse.example;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.testing.Haproxy;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The README's plugin guide, end to end: a plugin jar dropped into plugins/ is found and used. */
class StaticFilePluginTest {
    @TempDir
    Path dir;

    @Test
    void aPluginJarInThePluginsDirectoryIsLoadedAndWorks() throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins"));
        buildPluginJar(plugins.resolve("static-file-watcher.jar"));
        assertThat(Plugins.fromClasspath().watchers()).doesNotContainKey("static_file");
        Plugins loaded = Plugins.fromClasspathAnd(plugins);
        assertThat(loaded.watchers()).containsKeys("base", "static_file");

        Path registrations = dir.resolve("api.json");
        Files.writeString(registrations, "[{\"host\": \"10.0.0.1\", \"port\": 8080, \"name\": \"i-1\"},"
                + " {\"host\": \"10.0.0.2\\nserver evil 6.6.6.6:1\", \"port\": 8080}]");
        ObjectNode c = json("{'services': {'api': {'discovery': {'method': 'static_file', 'interval_sec': 0.05}, 'haproxy': {'port': 3700}}}}");
        c.with("services").with("api").with("discovery").put("path", registrations.toString());
        c.set("haproxy", TestConfigs.haproxyGlobal(dir));
        try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, c), loaded)) {
            synapse.start();
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            Path cfg = dir.resolve("haproxy.cfg");
            assertThat(Files.readString(cfg)).contains("server i-1_10.0.0.1:8080 10.0.0.1:8080 id 1").doesNotContain("evil");
            Files.writeString(registrations, "[{\"host\": \"10.0.0.3\", \"port\": 8080, \"name\": \"i-3\"}]");
            await().untilAsserted(() -> assertThat(Files.readString(cfg)).contains("server i-3_10.0.0.3:8080").doesNotContain("i-1"));
            Files.delete(registrations);
            Files.writeString(dir.resolve("marker"), "");
            // the file is gone: the watcher reports a failure and the backends stay
            await().during(Duration.ofMillis(300)).untilAsserted(() -> assertThat(Files.readString(cfg)).contains("server i-3_10.0.0.3:8080"));
            Haproxy.assertValid(cfg);
        }
    }

    @Test
    void unknownKeysOfThePluginConfigAreErrors() throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins"));
        buildPluginJar(plugins.resolve("p.jar"));
        ObjectNode c = json("{'services': {'api': {'discovery': {'method': 'static_file', 'pth': '/x'}}}}");
        c.set("haproxy", TestConfigs.haproxyGlobal(dir));
        Path file = TestConfigs.write(dir, c);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Synapse.fromFile(file, Plugins.fromClasspathAnd(plugins)))
                .hasMessage("2 problems in the configuration:\n"
                        + "  services.api.discovery.pth: unknown key for method \"static_file\" (did you mean \"path\"?); known keys: path, interval_sec\n"
                        + "  services.api.discovery.path: is required");
    }

    /** Packs the compiled example classes and their service registration into a jar. */
    static void buildPluginJar(Path jar) throws Exception {
        buildPluginJar(jar, StaticFileWatcherFactory.class);
    }

    /** Packs a compiled watcher factory of this package (with its nested classes) and its service registration into a jar. */
    static void buildPluginJar(Path jar, Class<?> factory) throws Exception {
        Path classes = Path.of(factory.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path pkg = classes.resolve("io/synapse/example");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
             Stream<Path> files = Files.list(pkg)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.getFileName().toString().startsWith(factory.getSimpleName()))::iterator) {
                j.putNextEntry(new JarEntry(classes.relativize(f).toString()));
                j.write(Files.readAllBytes(f));
                j.closeEntry();
            }
            j.putNextEntry(new JarEntry("META-INF/services/io.synapse.spi.WatcherFactory"));
            j.write((factory.getName() + "\n").getBytes());
            j.closeEntry();
        }
    }
}
