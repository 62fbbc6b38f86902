package io.synapse.spi;

import io.synapse.common.config.ConfigProblems;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Turns the merged state of all services into an output (a file, a reload...). The engine calls a
 * generator once at a time, never concurrently, and each call sees what the previous one did
 * (the calls may come from different engine threads: the generators of a render run side by side).
 */
public interface ConfigGenerator extends AutoCloseable {
    /**
     * Validates a service section that a registry published at run time (see {@link
     * WatcherListener#onGeneratorConfig}); the engine only passes sections that had no problems.
     */
    default void checkServiceConfig(String service, JsonNode section, ConfigProblems problems) {}

    /**
     * Brings the output up to date with {@code state}. {@link GeneratorState#changed()} names the
     * services that changed since the last successful call; the generator may re-render only those.
     * Throwing means the output was not updated: the engine logs it and retries with backoff,
     * passing all services changed since the last success.
     */
    void update(GeneratorState state) throws Exception;

    @Override
    default void close() {}
}
