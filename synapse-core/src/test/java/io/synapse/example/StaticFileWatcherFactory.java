package io.synapse.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synapse.spi.Backend;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The example plugin of the README's "write your own watcher" guide: method {@code static_file}
 * reads a JSON array of nerve registrations from a file every {@code interval_sec} seconds.
 *
 * <pre>"discovery": {"method": "static_file", "path": "/etc/synapse/api.json", "interval_sec": 1}</pre>
 */
public final class StaticFileWatcherFactory implements WatcherFactory<StaticFileWatcherFactory.Config> {
    /** Bound from the discovery section: {@code path}, {@code interval_sec}. Unknown keys are errors. */
    public record Config(String path, Double intervalSec) {}

    @Override
    public String name() {
        return "static_file";
    }

    @Override
    public Class<Config> configClass() {
        return Config.class;
    }

    @Override
    public void validate(Config config, ConfigProblems problems) {
        if (config.path() == null) {
            problems.add("path", "is required");
        }
        if (config.intervalSec() != null && config.intervalSec() <= 0) {
            problems.add("interval_sec", "must be positive");
        }
    }

    @Override
    public ServiceWatcher create(WatcherContext context, Config config, WatcherListener listener) {
        double interval = config.intervalSec() == null ? 1.0 : config.intervalSec();
        return new StaticFileWatcher(context.serviceName(), Path.of(config.path()), (long) (interval * 1000), listener);
    }

    private static final class StaticFileWatcher implements ServiceWatcher {
        private static final Logger LOG = LoggerFactory.getLogger(StaticFileWatcher.class);
        private static final ObjectMapper MAPPER = new ObjectMapper();

        private final String service;
        private final Path file;
        private final long intervalMillis;
        private final WatcherListener listener;
        private final ScheduledExecutorService executor;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final Set<String> warned = new HashSet<>();

        StaticFileWatcher(String service, Path file, long intervalMillis, WatcherListener listener) {
            this.service = service;
            this.file = file;
            this.intervalMillis = intervalMillis;
            this.listener = listener;
            this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "static-file-" + service);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public void start() {
            executor.scheduleWithFixedDelay(this::poll, 0, intervalMillis, TimeUnit.MILLISECONDS);
        }

        private void poll() {
            JsonNode array;
            try {
                array = MAPPER.readTree(Files.readAllBytes(file));
            } catch (IOException e) {
                // report, publish nothing: the engine keeps the last good set
                listener.onFailure("cannot read " + file + ": " + e.getMessage(), null);
                return;
            }
            List<Backend> backends = new ArrayList<>();
            for (int i = 0; array != null && i < array.size(); i++) {
                try {
                    backends.add(Backend.decode(MAPPER.writeValueAsBytes(array.get(i)), null));
                } catch (IllegalArgumentException | IOException e) {
                    if (warned.add(i + e.getMessage())) {
                        LOG.warn("service {}: skipping entry {} of {}: {}", service, i, file, e.getMessage());
                    }
                }
            }
            listener.onBackends(List.copyOf(backends));
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                executor.shutdownNow();
            }
        }
    }
}
