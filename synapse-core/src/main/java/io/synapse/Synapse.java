package io.synapse;

import io.synapse.common.config.ConfigException;
import io.synapse.common.status.StatusServer;
import io.synapse.common.status.StatusSettings;
import io.synapse.common.status.StatusSource;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.config.SynapseConfig;
import io.synapse.engine.Engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/** The synapse daemon as a library: load a config, start the watchers, keep the outputs current. */
public final class Synapse implements AutoCloseable {
    private final SynapseConfig config;
    private final Engine engine;
    private final SynapseStatus status;
    private StatusServer statusServer;

    private Synapse(SynapseConfig config) {
        this.config = config;
        this.engine = new Engine(config);
        this.status = new SynapseStatus(engine);
    }

    /**
     * Loads and validates {@code synapse.conf.json} (or .yaml) with the plugins on the classpath and
     * under the plugins directory ({@code -Dsynapse.plugins.dir}, else {@code $SYNAPSE_PLUGINS_DIR},
     * else {@code ./plugins}); nothing is started or written.
     */
    public static Synapse fromFile(Path config) throws ConfigException {
        return fromFile(config, Plugins.fromClasspathAnd(defaultPluginsDir()));
    }

    public static Synapse fromFile(Path config, Plugins plugins) throws ConfigException {
        requireNonNull(config, "config is null");
        return new Synapse(new ConfigLoader(plugins).load(config));
    }

    /** Wraps an already loaded config (see {@link ConfigLoader}, e.g. with a custom environment). */
    public static Synapse fromConfig(SynapseConfig config) {
        return new Synapse(requireNonNull(config, "config is null"));
    }

    public static Path defaultPluginsDir() {
        String dir = System.getProperty("synapse.plugins.dir");
        if (dir == null) {
            dir = System.getenv("SYNAPSE_PLUGINS_DIR");
        }
        return Path.of(dir == null ? "plugins" : dir);
    }

    public SynapseConfig config() {
        return config;
    }

    /**
     * Serves the status page, {@code /status}, {@code /healthz} and {@code /metrics} on the
     * config's {@code status} address, when it has one; call it before {@link #start()} so that the
     * metrics count from the start. Returns the bound address, or null when none is configured.
     * Throws, naming the address, when it cannot be bound. {@link #close()} stops it.
     */
    public synchronized InetSocketAddress startStatusEndpoint() throws IOException {
        StatusSettings settings = config.status();
        if (settings == null) {
            return null;
        }
        if (statusServer == null) {
            statusServer = StatusServer.start(settings, status, "synapse");
        }
        return statusServer.address();
    }

    /** What the status endpoint serves (for embedding it elsewhere). */
    public StatusSource statusSource() {
        return status;
    }

    /** Starts every watcher; outputs are written as snapshots arrive. */
    public void start() {
        engine.start();
    }

    /**
     * Waits until every catalog delivered its first set, every watcher its first snapshot, and the
     * outputs including them were written.
     */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        return engine.awaitInitialized(timeout);
    }

    /** Services whose watcher has not delivered its first snapshot yet. */
    public List<String> uninitializedServices() {
        return engine.uninitializedServices();
    }

    /** The services running now (the config file's, then those catalogs defined), in output order. */
    public List<String> serviceNames() {
        return engine.serviceNames();
    }

    /** Stops the catalogs, the watchers and the generators; idempotent. */
    @Override
    public void close() {
        engine.close();
        StatusServer s;
        synchronized (this) {
            s = statusServer;
            statusServer = null;
        }
        if (s != null) {
            s.close();
        }
    }
}
