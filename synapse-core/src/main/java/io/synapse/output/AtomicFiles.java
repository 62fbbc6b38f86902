package io.synapse.output;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Writes a file so that a reader sees either the old or the new content, never a part: a temporary
 * file in the same directory, fsync, rename over the target, fsync of the directory.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void write(Path target, byte[] content) throws IOException {
        write(target, List.of(ByteBuffer.wrap(content)));
    }

    /** Content that writes itself piece by piece: a large file need not be held as one array. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes what {@code content} writes, through one reused buffer. */
    public static void write(Path target, Content content) throws IOException {
        requireNonNull(content, "content is null");
        writeVia(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
        });
    }

    /** Writes the concatenation of {@code chunks} (their positions are not changed). */
    public static void write(Path target, List<ByteBuffer> chunks) throws IOException {
        requireNonNull(chunks, "chunks is null");
        writeVia(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer[] buffers = chunks.stream().map(ByteBuffer::duplicate).toArray(ByteBuffer[]::new);
                long remaining = 0;
                for (ByteBuffer b : buffers) {
                    remaining += b.remaining();
                }
                while (remaining > 0) {
                    remaining -= ch.write(buffers);
                }
                ch.force(true);
            }
        });
    }

    private interface Fill {
        void fill(Path tmp) throws IOException;
    }

    private static void writeVia(Path target, Fill fill) throws IOException {
        requireNonNull(target, "target is null");
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            fill.fill(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            fsyncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes only when the file's current content differs; returns whether it wrote. */
    public static boolean writeIfChanged(Path target, byte[] content) throws IOException {
        if (Files.isRegularFile(target) && Files.size(target) == content.length
                && java.util.Arrays.equals(Files.readAllBytes(target), content)) {
            return false;
        }
        write(target, content);
        return true;
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some file systems cannot sync a directory; the rename is still atomic
        }
    }
}
