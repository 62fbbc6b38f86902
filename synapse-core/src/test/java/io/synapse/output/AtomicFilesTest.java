package io.synapse.output;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void aReaderNeverSeesAPartialFileWhileWritesRace() throws Exception {
        Path target = dir.resolve("haproxy.cfg");
        // two contents of different sizes, each filled with one byte value: a mix or a cut is visible
        byte[] a = new byte[1 << 20];
        byte[] b = new byte[(1 << 20) + 4096];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(b, (byte) 'b');
        AtomicFiles.write(target, a);
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger bad = new AtomicInteger();
        Thread reader = new Thread(() -> {
            while (!done.get()) {
                try {
                    byte[] seen = Files.readAllBytes(target);
                    reads.incrementAndGet();
                    if (!(Arrays.equals(seen, a) || Arrays.equals(seen, b))) {
                        bad.incrementAndGet();
                    }
                } catch (NoSuchFileException e) {
                    bad.incrementAndGet();
                } catch (Exception e) {
                    bad.incrementAndGet();
                }
            }
        });
        reader.start();
        for (int i = 0; i < 200; i++) {
            AtomicFiles.write(target, i % 2 == 0 ? b : a);
        }
        done.set(true);
        reader.join();
        assertThat(reads.get()).isPositive();
        assertThat(bad.get()).isZero();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("haproxy.cfg");
        }
    }

    @Test
    void writeIfChangedSkipsIdenticalContent() throws Exception {
        Path target = dir.resolve("x.json");
        assertThat(AtomicFiles.writeIfChanged(target, "[]\n".getBytes())).isTrue();
        long modified = Files.getLastModifiedTime(target).toMillis();
        assertThat(AtomicFiles.writeIfChanged(target, "[]\n".getBytes())).isFalse();
        assertThat(Files.getLastModifiedTime(target).toMillis()).isEqualTo(modified);
        assertThat(AtomicFiles.writeIfChanged(target, "[1]\n".getBytes())).isTrue();
        assertThat(Files.readString(target)).isEqualTo("[1]\n");
    }
}
