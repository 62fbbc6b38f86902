package io.synapse.etcd;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class SerialExecutorTest {
    @Test
    void anErrorIsNotSwallowedAndTheTasksAfterItStillRun() {
        List<String> ran = new CopyOnWriteArrayList<>();
        List<Throwable> uncaught = new CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(e));
        try {
            SerialExecutor serial = new SerialExecutor("test");
            AssertionError fatal = new AssertionError("fatal");
            serial.execute(() -> ran.add("a"));
            serial.execute(() -> {
                throw new IllegalStateException("a bug");
            });
            serial.execute(() -> {
                throw fatal;
            });
            serial.execute(() -> ran.add("b"));
            await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 2 && uncaught.size() == 1);
            assertThat(ran).containsExactly("a", "b");
            assertThat(uncaught).containsExactly(fatal);
            serial.execute(() -> ran.add("c"));
            await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 3);
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }
}
