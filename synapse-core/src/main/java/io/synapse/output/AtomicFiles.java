package io.synapse.output;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static java.util.Objects.requireNonNull;

/**
 * Writes a file so that a reader sees either the old or the new content, never a part: a temporary
 * file in the same directory, fsync, rename over the target, fsync of the directory.
 *
 * <p>{@link #writeIfChanged(Path, byte[], boolean) writeIfChanged(..., false)} leaves the fsyncs
 * out, for outputs that synapse writes again whenever it starts (file_output's JSON files): a
 * reader still never sees a part, but after a power cut the file may be the old one or empty
 * until synapse runs. Configs that a server loads at boot (haproxy.cfg, templates) are synced.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, true);
    }

    private static void write(Path target, byte[] content, boolean sync) throws IOException {
        requireNonNull(content, "content is null");
        writeVia(target, ch -> writeFully(ch, List.of(ByteBuffer.wrap(content))), sync);
    }

    /** Content that writes itself piece by piece: a large file need not be held as one array. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes what {@code content} writes, through one reused buffer. */
    public static void write(Path target, Content content) throws IOException {
        requireNonNull(content, "content is null");
        writeVia(target, ch -> {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
            content.writeTo(out);
            out.flush();
        }, true);
    }

    /** Writes the concatenation of {@code chunks} (their positions are not changed). */
    public static void write(Path target, List<ByteBuffer> chunks) throws IOException {
        requireNonNull(chunks, "chunks is null");
        writeVia(target, ch -> writeFully(ch, chunks), true);
    }

    /** Writes the concatenation of {@code chunks} to {@code ch} (their positions are not changed). */
    static void writeFully(FileChannel ch, List<ByteBuffer> chunks) throws IOException {
        ByteBuffer[] buffers = chunks.stream().map(ByteBuffer::duplicate).toArray(ByteBuffer[]::new);
        long remaining = 0;
        for (ByteBuffer b : buffers) {
            remaining += b.remaining();
        }
        while (remaining > 0) {
            remaining -= ch.write(buffers);
        }
    }

    private interface Fill {
        void fill(FileChannel ch) throws IOException;
    }

    private static void writeVia(Path target, Fill fill, boolean sync) throws IOException {
        requireNonNull(target, "target is null");
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        // a new file under a name nobody else uses, opened once: creating a file is the expensive
        // part of writing a thousand small ones. Its mode comes from the umask (0644 as a rule),
        // as the Ruby tools' files did.
        Path tmp;
        FileChannel ch;
        while (true) {
            tmp = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                break;
            } catch (FileAlreadyExistsException e) {
                // another name
            }
        }
        boolean moved = false;
        try {
            try (FileChannel open = ch) {
                fill.fill(open);
                if (sync) {
                    open.force(true);
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            if (sync) {
                fsyncDirectory(dir);
            }
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes only when the file's current content differs; returns whether it wrote. */
    public static boolean writeIfChanged(Path target, byte[] content) throws IOException {
        return writeIfChanged(target, content, true);
    }

    /**
     * Writes only when the file's current content differs, synced or not (see the class comment);
     * returns whether it wrote.
     */
    public static boolean writeIfChanged(Path target, byte[] content, boolean sync) throws IOException {
        requireNonNull(target, "target is null");
        requireNonNull(content, "content is null");
        if (sameContent(target, content)) {
            return false;
        }
        write(target, content, sync);
        return true;
    }

    /** Whether {@code target} is a regular file holding exactly {@code content}. */
    public static boolean sameContent(Path target, byte[] content) throws IOException {
        requireNonNull(target, "target is null");
        requireNonNull(content, "content is null");
        return Files.isRegularFile(target) && Files.size(target) == content.length
                && java.util.Arrays.equals(Files.readAllBytes(target), content);
    }

    /**
     * Whether {@code target} holds exactly what {@code content} writes ({@code size} bytes): the
     * file is read alongside in pieces, so a large config is compared without a copy of either.
     */
    public static boolean sameAs(Path target, Content content, long size) throws IOException {
        requireNonNull(target, "target is null");
        requireNonNull(content, "content is null");
        if (!Files.isRegularFile(target) || Files.size(target) != size) {
            return false;
        }
        try (InputStream in = Files.newInputStream(target)) {
            ComparingStream compare = new ComparingStream(in);
            try {
                content.writeTo(compare);
            } catch (ComparingStream.Differs e) {
                return false;
            }
            return compare.matchedToEnd();
        }
    }

    /** Compares what is written to it with what {@code in} reads; throws {@link Differs} at the first difference. */
    private static final class ComparingStream extends OutputStream {
        private final InputStream in;
        // the file is read in large pieces: a config is written to this stream a line at a time
        private final byte[] buffer = new byte[256 * 1024];
        private int position;
        private int limit;

        /** Thrown to stop the writer at the first difference (no stack trace: it is control flow). */
        static final class Differs extends IOException {
            Differs() {
                super("differs", null);
            }

            @Override
            public synchronized Throwable fillInStackTrace() {
                return this;
            }
        }

        ComparingStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (position == limit && !fill()) {
                    throw new Differs(); // the file is shorter
                }
                int n = Math.min(len, limit - position);
                if (java.util.Arrays.mismatch(buffer, position, position + n, b, off, off + n) >= 0) {
                    throw new Differs();
                }
                position += n;
                off += n;
                len -= n;
            }
        }

        private boolean fill() throws IOException {
            limit = in.readNBytes(buffer, 0, buffer.length);
            position = 0;
            return limit > 0;
        }

        boolean matchedToEnd() throws IOException {
            return position == limit && !fill();
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some file systems cannot sync a directory; the rename is still atomic
        }
    }
}
