package io.synapse.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigException;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherListener;
import io.synapse.testing.FakeWatcherFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLClassLoader;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Composite watchers bind their children through {@link WatcherFactories}, problems at the child's full path. */
class WatcherFactoriesTest {
    @TempDir
    Path dir;

    /** The classpath's plugins plus {@link PairWatcherFactory}, listed in a services file of its own. */
    private Plugins plugins() throws IOException {
        Path services = dir.resolve("extra/META-INF/services/io.synapse.spi.WatcherFactory");
        Files.createDirectories(services.getParent());
        Files.writeString(services, PairWatcherFactory.class.getName() + "\n");
        URL url = dir.resolve("extra").toUri().toURL();
        return Plugins.load(new URLClassLoader(new URL[] {url}, getClass().getClassLoader()));
    }

    private ObjectNode config(String discovery) {
        ObjectNode c = json("{'services': {'api': {'discovery': " + discovery + ", 'haproxy': {'port': 3000}}},"
                + " 'haproxy': {'do_reloads': false, 'do_socket': false, 'global': [], 'defaults': []}}");
        ((ObjectNode) c.get("haproxy")).put("config_file_path", dir.resolve("haproxy.cfg").toString());
        return c;
    }

    private List<String> problems(Plugins plugins, ObjectNode config) {
        try {
            new ConfigLoader(plugins, Map.<String, String>of()::get).load(config, dir, new ConfigProblems());
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the config to be rejected");
    }

    @Test
    void childProblemsCarryTheChildsFullPath() throws Exception {
        List<String> problems = problems(plugins(), config("{'method': 'pair', 'watchers': {"
                + " 'primary': {'method': 'fake', 'idd': 'x'},"
                + " 'secondary': {'method': 'zk'},"
                + " 'third': 5,"
                + " 'fourth': {'id': 'f'},"
                + " 'fifth': {'method': 'fake', 'id': 'f', 'label_filters': [{'label': 'az', 'condition': 'like'}]}}}"));
        assertThat(problems).containsExactly(
                "services.api.discovery.watchers.primary.idd: unknown key for method \"fake\" (did you mean \"id\"?); known keys: id, initial",
                "services.api.discovery.watchers.primary.id: is required",
                "services.api.discovery.watchers.secondary.method: unknown method \"zk\" (installed: base, fake, pair)",
                "services.api.discovery.watchers.third: expected an object with a method, got 5",
                "services.api.discovery.watchers.fourth.method: is required",
                "services.api.discovery.watchers.fifth.label_filters[0].condition: expected \"equals\" or \"not-equals\", got \"like\"");
    }

    @Test
    void aValidCompositeLoadsAndListsEveryInstalledMethod() throws Exception {
        Plugins plugins = plugins();
        assertThat(plugins.watcherFactories().methods()).containsExactly("base", "fake", "pair");
        SynapseConfig loaded = new ConfigLoader(plugins, Map.<String, String>of()::get).load(
                config("{'method': 'pair', 'watchers': {'a': {'method': 'fake', 'id': 'pa'}, 'b': {'method': 'base'}}}"),
                dir, new ConfigProblems());
        assertThat(loaded.services().get("api").method()).isEqualTo("pair");
        loaded.generators().values().forEach(io.synapse.spi.ConfigGenerator::close);
    }

    @Test
    void childrenPublishThroughTheirOwnLabelFilters() throws Exception {
        WatcherFactories factories = plugins().watcherFactories();
        ConfigProblems problems = new ConfigProblems();
        WatcherFactories.Child child = factories.bind(json("{'method': 'fake', 'id': 'wf-child',"
                + " 'label_filters': [{'label': 'az', 'value': 'a'}]}"), problems);
        assertThat(problems.messages()).isEmpty();
        assertThat(child.method()).isEqualTo("fake");
        assertThat(child.providesPorts()).isTrue();

        List<List<Backend>> seen = new ArrayList<>();
        ServiceWatcher watcher = child.create(new WatcherContext("api", "services.api.discovery.watchers.a"), new WatcherListener() {
            @Override
            public void onBackends(List<Backend> backends) {
                seen.add(backends);
            }

            @Override
            public void onFailure(String message, Throwable cause) {
                throw new AssertionError(message);
            }
        });
        watcher.start();
        Backend inA = Backend.builder("10.0.0.1", 80).labels(Map.of("az", "a")).build();
        Backend inB = Backend.builder("10.0.0.2", 80).labels(Map.of("az", "b")).build();
        FakeWatcherFactory.listener("wf-child").onBackends(List.of(inA, inB));
        watcher.close();
        assertThat(seen).containsExactly(List.of(inA));
        assertThat(FakeWatcherFactory.closed("wf-child")).isTrue();
    }

    @Test
    void pluginsThatDoNotAskSeeNothingNew() throws Exception {
        // the classpath's own plugins load as before, and the composite is handed the same set it is part of
        Plugins plugins = plugins();
        PairWatcherFactory pair = (PairWatcherFactory) plugins.watchers().get("pair");
        ConfigProblems problems = new ConfigProblems().at("x");
        pair.validate(new PairWatcherFactory.Config(Map.of("self", json("{'method': 'pair', 'watchers': {}}"))), problems);
        assertThat(problems.messages()).containsExactly("x.watchers.self.watchers: is required");
    }
}
