package io.synapse.example;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.cli.SynapseMain;
import io.synapse.config.PluginException;
import io.synapse.config.Plugins;
import io.synapse.haproxy.HaproxyGeneratorFactory;
import io.synapse.testing.FakeCatalogFactory;
import io.synapse.testing.TestConfigs;
import io.synapse.watcher.BaseWatcherFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static io.synapse.example.StaticFilePluginTest.buildPluginJar;
import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two plugins with one name stop synapse at start-up, naming both classes and the jars they come from. */
class DuplicatePluginTest {
    private static final String HINT = "; remove one of the jars (third-party plugins are in the plugins directory)";

    @TempDir
    Path dir;

    @Test
    void aThirdPartyPluginWithABundledNameIsAnError() throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins"));
        Path jar = plugins.resolve("third-party-base.jar");
        buildPluginJar(jar, ThirdPartyBaseWatcherFactory.class);

        assertThatThrownBy(() -> Plugins.fromClasspathAnd(plugins))
                .isInstanceOf(PluginException.class)
                .hasMessage("two watcher plugins named \"base\": io.synapse.watcher.BaseWatcherFactory (" + origin(BaseWatcherFactory.class)
                        + ") and io.synapse.example.ThirdPartyBaseWatcherFactory (" + jar + ")" + HINT);
    }

    @Test
    void twoVersionsOfOnePluginJarAreAnError() throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins"));
        buildPluginJar(plugins.resolve("static-file-1.0.jar"));
        buildPluginJar(plugins.resolve("static-file-1.1.jar"));

        assertThatThrownBy(() -> Plugins.fromClasspathAnd(plugins))
                .isInstanceOf(PluginException.class)
                .hasMessage("two watcher plugins named \"static_file\": io.synapse.example.StaticFileWatcherFactory ("
                        + plugins.resolve("static-file-1.0.jar") + ") and io.synapse.example.StaticFileWatcherFactory ("
                        + plugins.resolve("static-file-1.1.jar") + ")" + HINT);
    }

    @Test
    void aCopyOfABundledGeneratorIsAnError() throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins"));
        Path jar = registrationJar(plugins.resolve("haproxy-copy.jar"), "io.synapse.spi.GeneratorFactory",
                "# a copy of the bundled generator\nio.synapse.haproxy.HaproxyGeneratorFactory\n");

        assertThatThrownBy(() -> Plugins.fromClasspathAnd(plugins))
                .isInstanceOf(PluginException.class)
                .hasMessage("two generator plugins named \"haproxy\": io.synapse.haproxy.HaproxyGeneratorFactory ("
                        + origin(HaproxyGeneratorFactory.class) + ") and io.synapse.haproxy.HaproxyGeneratorFactory (" + jar + ")" + HINT);
    }

    @Test
    void aSecondRegistrationOfACatalogIsAnError() throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins"));
        Path jar = registrationJar(plugins.resolve("fake-catalog.jar"), "io.synapse.spi.CatalogFactory",
                "io.synapse.testing.FakeCatalogFactory\n");

        assertThatThrownBy(() -> Plugins.fromClasspathAnd(plugins))
                .isInstanceOf(PluginException.class)
                .hasMessage("two catalog plugins named \"fake\": io.synapse.testing.FakeCatalogFactory ("
                        + origin(FakeCatalogFactory.class) + ") and io.synapse.testing.FakeCatalogFactory (" + jar + ")" + HINT);
    }

    @Test
    void theCommandLineSaysWhichJarsAndExitsWithTwoWritingNothing() throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins"));
        Path jar = plugins.resolve("third-party-base.jar");
        buildPluginJar(jar, ThirdPartyBaseWatcherFactory.class);
        ObjectNode c = json("{'services': {'api': {'discovery': {'method': 'base'},"
                + " 'default_servers': [{'name': 'a', 'host': '127.0.0.1', 'port': 8081}], 'haproxy': {'port': 3600}}}}");
        c.set("haproxy", TestConfigs.haproxyGlobal(dir));
        Path config = TestConfigs.write(dir, c);

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SynapseMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute("--config", config.toString(), "--plugins", plugins.toString(), "--once");

        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("synapse: two watcher plugins named \"base\": io.synapse.watcher.BaseWatcherFactory ("
                + origin(BaseWatcherFactory.class) + ") and io.synapse.example.ThirdPartyBaseWatcherFactory (" + jar + ")" + HINT
                + System.lineSeparator());
        assertThat(out.toString()).isEmpty();
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }

    @Test
    void onePluginPerNameLoads() throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins"));
        buildPluginJar(plugins.resolve("static-file.jar"));
        assertThat(Plugins.fromClasspathAnd(plugins).watchers()).containsKeys("base", "static_file");
        assertThat(Plugins.fromClasspathAnd(plugins).generators()).containsKeys("file_output", "haproxy");
        assertThat(Plugins.fromClasspathAnd(plugins).catalogs()).containsKey("fake");
    }

    /** A jar holding only a {@code META-INF/services} file: it registers classes that are on the classpath already. */
    private static Path registrationJar(Path jar, String spi, String content) throws Exception {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            j.putNextEntry(new JarEntry("META-INF/services/" + spi));
            j.write(content.getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
        return jar;
    }

    /** Where the test run's classpath has a bundled class: synapse-core's classes directory or jar. */
    private static String origin(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
