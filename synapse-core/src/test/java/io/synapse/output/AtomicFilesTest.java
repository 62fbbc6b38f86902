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

    @Test
    void sameAsComparesAFileWithWhatContentWritesPieceByPiece() throws Exception {
        Path target = dir.resolve("haproxy.cfg");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 50_000; i++) {
            text.append("\tserver s").append(i).append(" 10.0.0.1:").append(i).append('\n');
        }
        byte[] bytes = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        AtomicFiles.Content lineByLine = out -> {
            for (String line : text.toString().split("(?<=\n)")) {
                out.write(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        };
        assertThat(AtomicFiles.sameAs(target, lineByLine, bytes.length)).as("no file yet").isFalse();
        AtomicFiles.write(target, bytes);
        assertThat(AtomicFiles.sameAs(target, lineByLine, bytes.length)).isTrue();

        byte[] changedAtTheEnd = bytes.clone();
        changedAtTheEnd[bytes.length - 2] = 'X';
        AtomicFiles.write(target, changedAtTheEnd);
        assertThat(AtomicFiles.sameAs(target, lineByLine, bytes.length)).isFalse();

        // a file of the announced size whose content is shorter than what is written, and one that is longer
        AtomicFiles.write(target, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertThat(AtomicFiles.sameAs(target, lineByLine, bytes.length - 1)).isFalse();
        AtomicFiles.write(target, java.util.Arrays.copyOf(bytes, bytes.length + 1));
        assertThat(AtomicFiles.sameAs(target, lineByLine, bytes.length + 1)).isFalse();
    }

    @Test
    void anUnsyncedWriteIsStillAtomicAndSkipsIdenticalContent() throws Exception {
        Path target = dir.resolve("services/api.json");
        assertThat(AtomicFiles.writeIfChanged(target, "[]\n".getBytes(), false)).isTrue();
        assertThat(AtomicFiles.writeIfChanged(target, "[]\n".getBytes(), false)).isFalse();
        assertThat(AtomicFiles.writeIfChanged(target, "[1]\n".getBytes(), false)).isTrue();
        assertThat(Files.readString(target)).isEqualTo("[1]\n");
        try (var files = Files.list(target.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("api.json");
        }
    }
}
