package io.synapse.common.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

import static java.util.Objects.requireNonNull;

/**
 * The logging of synapse and nerve, set up in code (found by Logback through
 * {@code META-INF/services}) instead of by parsing a {@code logback.xml}, which costs a few hundred
 * milliseconds at every start: one line per event on stderr,
 * {@code 2024-05-01T12:00:00.000 INFO  Engine - message}, at {@code SYNAPSE_LOG_LEVEL} (environment
 * or system property; default INFO), with the registry clients' chatter at WARN or above.
 *
 * <p>A {@code -Dlogback.configurationFile=...} or a {@code logback-test.xml} on the classpath still
 * wins: then this configurator steps aside and Logback reads that file as usual.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogbackSetup extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";
    static final String LEVEL_VARIABLE = "SYNAPSE_LOG_LEVEL";

    /** Third-party loggers that report every reconnect attempt, with the level they are kept at. */
    static final Map<String, Level> QUIET = Map.of(
            "org.apache.zookeeper", Level.WARN,
            "org.apache.zookeeper.ClientCnxn", Level.ERROR,
            "org.apache.curator", Level.WARN,
            "io.grpc", Level.WARN,
            "io.netty", Level.WARN,
            "io.vertx", Level.WARN,
            "io.etcd", Level.ERROR,
            "software.amazon.awssdk", Level.WARN);

    private final Function<String, String> variables;
    private final Predicate<String> hasResource;

    /** For Logback's ServiceLoader: reads system properties, then the environment. */
    public LogbackSetup() {
        this(name -> {
            String value = System.getProperty(name);
            return value != null ? value : System.getenv(name);
        }, name -> LogbackSetup.class.getClassLoader().getResource(name) != null);
    }

    LogbackSetup(Function<String, String> variables, Predicate<String> hasResource) {
        this.variables = requireNonNull(variables, "variables is null");
        this.hasResource = requireNonNull(hasResource, "hasResource is null");
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (variables.apply("logback.configurationFile") != null || hasResource.test("logback-test.xml")) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();

        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        QUIET.forEach((name, level) -> context.getLogger(name).setLevel(level));
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level(variables.apply(LEVEL_VARIABLE)));
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** As {@code <root level="${SYNAPSE_LOG_LEVEL:-INFO}">} read it: unset is INFO, an unknown name DEBUG. */
    static Level level(String value) {
        return value == null || value.isBlank() ? Level.INFO : Level.toLevel(value.trim(), Level.DEBUG);
    }
}
