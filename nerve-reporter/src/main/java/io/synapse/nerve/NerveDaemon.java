package io.synapse.nerve;

import io.synapse.common.config.ConfigException;
import io.synapse.common.status.StatusServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Nerve run by another program in its own JVM (the quickstart runs it beside synapse): the daemon
 * of {@code bin/nerve} without its signal handling, shutdown hook and partially valid configs.
 * {@link #close()} removes every registration, as SIGTERM does for {@code bin/nerve}.
 */
public final class NerveDaemon implements AutoCloseable {
    private final Nerve nerve;
    private final StatusServer status;

    private NerveDaemon(Nerve nerve, StatusServer status) {
        this.nerve = nerve;
        this.status = status;
    }

    /**
     * Loads {@code configFile} (with {@code ${VAR}} read from {@code env}), serves the status
     * endpoint when the config has a {@code status} section, and starts every service.
     *
     * @throws ConfigException every problem of the config, each with its JSON path (an invalid
     *         service too: an embedding program writes its own config, so none is skipped)
     * @throws IOException the status address cannot be bound
     */
    public static NerveDaemon start(Path configFile, Map<String, String> env) throws ConfigException, IOException {
        requireNonNull(configFile, "configFile is null");
        requireNonNull(env, "env is null");
        ConfigLoader.Result result = new ConfigLoader(env).load(configFile, null);
        if (!result.problems().isEmpty()) {
            throw new ConfigException(result.problems());
        }
        Nerve nerve = new Nerve(result.config());
        StatusServer status = null;
        if (result.config().status() != null) {
            try {
                status = StatusServer.start(result.config().status(), new NerveStatus(nerve), "nerve");
            } catch (IOException | RuntimeException e) {
                nerve.close();
                throw e;
            }
        }
        nerve.start();
        return new NerveDaemon(nerve, status);
    }

    /** Where the status endpoint listens, or null when the config has no {@code status} section. */
    public InetSocketAddress statusAddress() {
        return status == null ? null : status.address();
    }

    /** Removes every registration (within about a second), then stops the status endpoint. Idempotent. */
    @Override
    public void close() {
        nerve.close();
        if (status != null) {
            status.close();
        }
    }
}
