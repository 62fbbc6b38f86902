package io.synapse.multi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synapse.common.config.ConfigProblems;
import io.synapse.config.Plugins;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Shared test helpers: the installed plugins, watchers built from JSON, files. */
final class MultiTesting {
    static final ObjectMapper MAPPER = new ObjectMapper();
    /** The classpath's plugins: base, fake, dns, etcd, zookeeper, zookeeper_poll, multi, zookeeper_dns. */
    static final Plugins PLUGINS = Plugins.fromClasspath();
    /** Generous: the machine is shared with other builds. */
    static final Duration WAIT = Duration.ofSeconds(45);

    static {
        Awaitility.setDefaultTimeout(WAIT);
        Awaitility.setDefaultPollInterval(Duration.ofMillis(50));
    }

    private MultiTesting() {}

    static void init() {}

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Binds a {@code discovery} section with the installed plugins and creates its watcher (not started). */
    static ServiceWatcher watcher(String service, String discovery, RecordingListener listener) {
        ConfigProblems problems = new ConfigProblems().at("services." + service + ".discovery");
        var child = PLUGINS.watcherFactories().bind(json(discovery), problems);
        if (child == null) {
            throw new AssertionError(problems.toString());
        }
        return child.create(new WatcherContext(service, "services." + service + ".discovery"), listener);
    }

    static WatcherFactory<?> factory(String method) {
        return PLUGINS.watchers().get(method);
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes through a temporary file and a rename, as an editor or a ConfigMap update does. */
    static void replace(Path file, String text) {
        try {
            Path tmp = Files.createTempFile(file.getParent(), ".toggle", ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A synapse.conf.json with one service and a haproxy.cfg in {@code dir}. */
    static Path synapseConfig(Path dir, String service, String discovery, int port) {
        String text = """
                {"services": {"%s": {"discovery": %s, "haproxy": {"port": %d, "server_options": "check"}}},
                 "haproxy": {"config_file_path": "%s", "do_reloads": false, "do_socket": false,
                             "global": ["maxconn 100"],
                             "defaults": ["mode http", "timeout connect 5s", "timeout client 30s", "timeout server 30s"]}}
                """.formatted(service, discovery, port, dir.resolve("haproxy.cfg"));
        try {
            return Files.writeString(dir.resolve("synapse.conf.json"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
