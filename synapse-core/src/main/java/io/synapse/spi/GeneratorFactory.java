package io.synapse.spi;

import io.synapse.common.config.ConfigProblems;
/**
 * A config generator plugin, chosen by a top-level key of {@code synapse.conf.json} ({@code
 * haproxy}, {@code file_output}, ...), found with {@link java.util.ServiceLoader} under {@code
 * META-INF/services/io.synapse.spi.GeneratorFactory}.
 */
public interface GeneratorFactory {
    /** The top-level key (and per-service key) this generator owns. */
    String name();

    /**
     * Whether the top-level section is a list (each entry one output, like {@code templates})
     * instead of an object. The loader reports any other shape with its path.
     */
    default boolean sectionIsList() {
        return false;
    }

    /**
     * Validates the global section and every service's section, reporting each problem with its
     * full JSON path, and returns the generator, or {@code null} when there were problems. Must not
     * write anything: {@code --check} calls it too.
     */
    ConfigGenerator create(GeneratorContext context, ConfigProblems problems);
}
