package io.synapse.output;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class RateLimitedCommandTest {
    @TempDir
    Path dir;

    @Test
    void theFirstRequestRunsAtOnceAndLaterOnesAreCoalescedIntoOneRunPerInterval() throws Exception {
        Path log = dir.resolve("runs.log");
        try (RateLimitedCommand c = new RateLimitedCommand("test", "date +%s%N >> " + log, Duration.ofMillis(700), 0)) {
            c.request();
            await().until(() -> c.runs() == 1);
            long firstRun = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                c.request();
            }
            assertThat(c.pending()).isTrue();
            await().until(() -> c.runs() == 2);
            assertThat(System.nanoTime() - firstRun).isGreaterThanOrEqualTo(Duration.ofMillis(600).toNanos());
            await().during(Duration.ofMillis(900)).until(() -> c.runs() == 2 && !c.pending());
            assertThat(Files.readAllLines(log)).hasSize(2);
        }
    }

    @Test
    void aFailingRunIsRetriedUntilItSucceeds() throws Exception {
        Path flag = dir.resolve("fail");
        Files.createFile(flag);
        try (RateLimitedCommand c = new RateLimitedCommand("test", "test ! -e " + flag, Duration.ofMillis(100), 0.5)) {
            c.request();
            // (pending() is false while the command itself runs, so it is not polled here)
            await().during(Duration.ofMillis(400)).until(() -> c.runs() == 0);
            await().until(() -> c.failures() >= 2);
            Files.delete(flag);
            await().until(() -> c.runs() == 1);
            await().until(() -> !c.pending());
        }
    }

    @Test
    void closeDropsWhatIsPendingAndIsIdempotent() throws Exception {
        Path log = dir.resolve("runs.log");
        RateLimitedCommand c = new RateLimitedCommand("test", "echo x >> " + log, Duration.ofSeconds(30), 0);
        c.request();
        await().until(() -> c.runs() == 1);
        c.request();
        c.close();
        c.close();
        c.request();
        assertThat(Files.readAllLines(log)).hasSize(1);
    }

    @Test
    void argumentsAreChecked() {
        assertThatThrownBy(() -> new RateLimitedCommand("t", "true", Duration.ofSeconds(-1), 0))
                .hasMessage("interval is negative: PT-1S");
        assertThatThrownBy(() -> new RateLimitedCommand("t", null, Duration.ZERO, 0)).hasMessage("command is null");
        assertThat(RateLimitedCommand.oneLine("a\n\n  b  \nc\n")).isEqualTo("a | b | c");
    }
}
