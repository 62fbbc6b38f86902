package io.synapse.common.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLogEncoderTest {
    private final LoggerContext context = new LoggerContext();

    {
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    }
    private final Logger logger = context.getLogger("io.synapse.service");

    private JsonNode encode(LoggingEvent event) throws Exception {
        JsonLogEncoder encoder = new JsonLogEncoder();
        encoder.setContext(context);
        encoder.start();
        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
        assertThat(line).endsWith("}\n").doesNotContain("\n{").hasLineCount(1);
        return new ObjectMapper().readTree(line);
    }

    @Test
    void oneObjectPerLineWithTheUsualFields() throws Exception {
        LoggingEvent event = new LoggingEvent("x", logger, Level.INFO, "service {}: {} -> {} backends (+{})",
                null, new Object[] {"api", 3, 4, "10.0.0.5:8080 \"new\"\n"});
        event.setTimeStamp(1714564800123L);
        event.setThreadName("synapse-dispatcher");
        JsonNode json = encode(event);
        assertThat(json.get("ts").asText()).isEqualTo("2024-05-01T12:00:00.123Z");
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("logger").asText()).isEqualTo("io.synapse.service");
        assertThat(json.get("thread").asText()).isEqualTo("synapse-dispatcher");
        assertThat(json.get("message").asText()).isEqualTo("service api: 3 -> 4 backends (+10.0.0.5:8080 \"new\"\n)");
        assertThat(json.has("exception")).isFalse();
        assertThat(json.has("mdc")).isFalse();
    }

    @Test
    void exceptionAndMdcWhenThere() throws Exception {
        LoggingEvent event = new LoggingEvent("x", logger, Level.WARN, "failed", new IllegalStateException("boom"), null);
        event.setMDCPropertyMap(Map.of("service", "api"));
        JsonNode json = encode(event);
        assertThat(json.get("level").asText()).isEqualTo("WARN");
        assertThat(json.get("exception").asText()).startsWith("java.lang.IllegalStateException: boom");
        assertThat(json.get("mdc").get("service").asText()).isEqualTo("api");
    }

    @Test
    void applySwitchesTheRootConsoleAppendersToJson() {
        LoggerContext real = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        Logger root = real.getLogger(Logger.ROOT_LOGGER_NAME);
        java.util.List<ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent>> streams = new java.util.ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(a -> {
            if (a instanceof ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> s) {
                streams.add(s);
            }
        });
        assertThat(streams).isNotEmpty();
        java.util.List<ch.qos.logback.core.encoder.Encoder<ch.qos.logback.classic.spi.ILoggingEvent>> before =
                streams.stream().map(ch.qos.logback.core.OutputStreamAppender::getEncoder).toList();
        System.setProperty("TEST_LOG_FORMAT", "json");
        try {
            assertThat(LogFormat.apply("TEST_LOG_FORMAT")).isEqualTo(LogFormat.JSON);
            assertThat(streams).allSatisfy(a -> assertThat(a.getEncoder()).isInstanceOf(JsonLogEncoder.class));
            System.setProperty("TEST_LOG_FORMAT", "xml");
            assertThat(LogFormat.apply("TEST_LOG_FORMAT")).isEqualTo(LogFormat.TEXT);
        } finally {
            System.clearProperty("TEST_LOG_FORMAT");
            for (int i = 0; i < streams.size(); i++) {
                streams.get(i).setEncoder(before.get(i));
            }
        }
    }

    @Test
    void formatNames() {
        assertThat(LogFormat.parse(null)).isEqualTo(LogFormat.TEXT);
        assertThat(LogFormat.parse(" ")).isEqualTo(LogFormat.TEXT);
        assertThat(LogFormat.parse("JSON")).isEqualTo(LogFormat.JSON);
        assertThat(LogFormat.parse("text")).isEqualTo(LogFormat.TEXT);
        assertThat(LogFormat.parse("logfmt")).isNull();
        assertThat(LogFormat.encoderFor(LogFormat.TEXT, context)).isNull();
        assertThat(LogFormat.encoderFor(LogFormat.JSON, context)).isInstanceOf(JsonLogEncoder.class);
    }
}
