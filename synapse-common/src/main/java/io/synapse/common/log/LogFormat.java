package io.synapse.common.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The log line format a daemon was asked for ({@code SYNAPSE_LOG_FORMAT} / {@code
 * NERVE_LOG_FORMAT}): {@code text} (the default) or {@code json} ({@link JsonLogEncoder}).
 *
 * <p>{@link #apply} works with whatever configured Logback (a {@code logback.xml} or a {@code
 * Configurator}): it gives the console appenders of the root logger the JSON encoder. A configurator
 * can instead build the encoder itself with {@link #encoderFor}.
 */
public enum LogFormat {
    TEXT, JSON;

    /**
     * The format named by {@code value} ({@code text} or {@code json}, any case; null or blank is
     * text), or {@code null} when it names neither.
     */
    public static LogFormat parse(String value) {
        if (value == null || value.isBlank()) {
            return TEXT;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "text" -> TEXT;
            case "json" -> JSON;
            default -> null;
        };
    }

    /** A started JSON encoder for {@code context}, or {@code null} for text (keep the pattern encoder). */
    public static Encoder<ILoggingEvent> encoderFor(LogFormat format, LoggerContext context) {
        if (format != JSON) {
            return null;
        }
        JsonLogEncoder encoder = new JsonLogEncoder();
        encoder.setContext(context);
        encoder.start();
        return encoder;
    }

    /**
     * Applies the format named by environment variable (or system property) {@code variable} to
     * the console appenders of the root logger. An unknown name is reported on stderr and text is
     * kept. Returns the format in force. Call it first thing in {@code main}, before other threads log.
     */
    public static LogFormat apply(String variable) {
        String value = System.getProperty(variable, System.getenv(variable));
        LogFormat format = parse(value);
        if (format == null) {
            System.err.println(variable + "=" + value + " is not a log format (text or json); logging text");
            return TEXT;
        }
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (format == JSON && factory instanceof LoggerContext context) {
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
            for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
                appenders.add(it.next());
            }
            for (Appender<ILoggingEvent> a : appenders) {
                if (a instanceof OutputStreamAppender<ILoggingEvent> stream) {
                    stream.setEncoder(encoderFor(JSON, context));
                }
            }
        }
        return format;
    }
}
