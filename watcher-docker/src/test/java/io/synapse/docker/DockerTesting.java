package io.synapse.docker;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** Binding discovery sections as the engine does, and a listener that records what it gets. */
final class DockerTesting {
    /** The mapper the engine binds discovery sections with. */
    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private DockerTesting() {}

    /** JSON with single quotes allowed. */
    static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static DockerConfig config(String discoveryJson) {
        try {
            return MAPPER.readValue(json(discoveryJson), DockerConfig.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> problems(String discoveryJson, Map<String, String> env) {
        ConfigProblems problems = new ConfigProblems().at("services.api.discovery");
        new DockerWatcherFactory(env::get).validate(config(discoveryJson), problems);
        return problems.messages();
    }

    static ServiceWatcher watcher(String service, String discoveryJson, WatcherListener listener) {
        return watcher(service, discoveryJson, listener, name -> null);
    }

    static ServiceWatcher watcher(String service, String discoveryJson, WatcherListener listener, Function<String, String> env) {
        return new DockerWatcherFactory(env).create(new WatcherContext(service, "services." + service + ".discovery"),
                config(discoveryJson), listener);
    }

    /** Keeps every snapshot and failure. */
    static final class Recorder implements WatcherListener {
        final List<List<Backend>> snapshots = new CopyOnWriteArrayList<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final List<String> rejected = new CopyOnWriteArrayList<>();

        @Override
        public void onBackends(List<Backend> backends) {
            snapshots.add(backends);
        }

        @Override
        public void onRejected(String registration, String reason) {
            rejected.add(registration + ": " + reason);
        }

        @Override
        public void onFailure(String message, Throwable cause) {
            failures.add(message);
        }

        List<Backend> last() {
            return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
        }

        /** {@code name@host:port} of each backend of the last snapshot (null before the first). */
        List<String> lastAddresses() {
            List<Backend> last = last();
            return last == null ? null : last.stream().map(Backend::toString).toList();
        }
    }
}
