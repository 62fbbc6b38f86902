package io.synapse.common.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LogbackSetupTest {
    private static LoggerContext configured(Map<String, String> variables, ExecutionStatus expected) {
        LoggerContext context = new LoggerContext();
        LogbackSetup setup = new LogbackSetup(variables::get, name -> false);
        setup.setContext(context);
        assertThat(setup.configure(context)).isEqualTo(expected);
        return context;
    }

    @Test
    void logsOneLinePerEventOnStderrAtInfo() {
        LoggerContext context = configured(Map.of(), ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        ConsoleAppender<ILoggingEvent> stderr = (ConsoleAppender<ILoggingEvent>) root.getAppender("STDERR");
        assertThat(stderr.getTarget()).isEqualTo("System.err");
        assertThat(stderr.isStarted()).isTrue();

        Logger engine = context.getLogger("io.synapse.engine.Engine");
        LoggingEvent event = new LoggingEvent(Logger.FQCN, engine, Level.INFO, "service {}: 3 -> 4 backends",
                null, new Object[] {"api"});
        String line = new String(stderr.getEncoder().encode(event), StandardCharsets.UTF_8);
        assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Engine - service api: 3 -> 4 backends\\R");
    }

    @Test
    void keepsTheRegistryClientsQuiet() {
        LoggerContext context = configured(Map.of(), ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger("org.apache.zookeeper.ClientCnxn").getEffectiveLevel()).isEqualTo(Level.ERROR);
        assertThat(context.getLogger("org.apache.zookeeper.ZooKeeper").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("org.apache.curator.framework.imps.CuratorFrameworkImpl").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.etcd.jetcd.impl.Util").getEffectiveLevel()).isEqualTo(Level.ERROR);
        assertThat(context.getLogger("io.grpc.internal.ManagedChannelImpl").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("software.amazon.awssdk.core").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.synapse.nerve.Nerve").getEffectiveLevel()).isEqualTo(Level.INFO);
    }

    @Test
    void levelComesFromSynapseLogLevel() {
        LoggerContext context = configured(Map.of("SYNAPSE_LOG_LEVEL", "DEBUG"), ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger("io.synapse.engine.Engine").getEffectiveLevel()).isEqualTo(Level.DEBUG);
        assertThat(LogbackSetup.level(null)).isEqualTo(Level.INFO);
        assertThat(LogbackSetup.level(" ")).isEqualTo(Level.INFO);
        assertThat(LogbackSetup.level("warn")).isEqualTo(Level.WARN);
        assertThat(LogbackSetup.level("loud")).isEqualTo(Level.DEBUG); // what logback.xml's level="..." did
    }

    @Test
    void stepsAsideForAConfigurationFile() {
        LoggerContext context = configured(Map.of("logback.configurationFile", "/etc/synapse/logback.xml"),
                ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext()).isFalse();

        LoggerContext tests = new LoggerContext();
        LogbackSetup setup = new LogbackSetup(name -> null, "logback-test.xml"::equals);
        setup.setContext(tests);
        assertThat(setup.configure(tests)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
    }
}
