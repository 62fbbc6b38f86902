package io.synapse.output;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Installs a generated config the safe way: the content is written to a candidate file beside the
 * target (with the target's mode, fsynced), checked by the consumer's own command, and only then
 * renamed over the target (then the directory is fsynced): a reader sees the old or the new file,
 * never a part. What is installed is exactly what was checked; a rejected
 * candidate leaves the target untouched (and stays on disk for inspection).
 */
public final class CandidateFiles {
    private CandidateFiles() {}

    /** {@code check_command} refused the candidate: the target was not touched. */
    public static final class RejectedException extends IOException {
        private final int exitCode;
        private final String output;

        RejectedException(String message, int exitCode, String output) {
            super(message);
            this.exitCode = exitCode;
            this.output = output;
        }

        /** The check's exit code (-1: it timed out). */
        public int exitCode() {
            return exitCode;
        }

        /** The check's combined output (cut to 4 KB). */
        public String output() {
            return output;
        }
    }

    /**
     * Writes {@code content} to {@code candidate}, sets {@code mode} on it (when not null and the
     * file system is POSIX), runs {@code checkCommand} (when not null; {@code %{path}} is replaced
     * by the candidate's path) and renames the candidate over {@code target}.
     *
     * @throws RejectedException when the check exits non-zero; its message has the check's whole
     *     output on one line
     */
    public static void install(Path target, Path candidate, List<ByteBuffer> content, Set<PosixFilePermission> mode,
            String checkCommand, Duration checkTimeout) throws IOException, InterruptedException {
        requireNonNull(target, "target is null");
        requireNonNull(candidate, "candidate is null");
        requireNonNull(content, "content is null");
        // Only the check reads the candidate, so it is written in place (no temporary file and
        // rename of its own); the rename over the target below is what makes the install atomic.
        Files.createDirectories(candidate.toAbsolutePath().getParent());
        try (FileChannel ch = FileChannel.open(candidate, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            if (mode != null) {
                try {
                    Files.setPosixFilePermissions(candidate, mode);
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: the mode cannot be set
                }
            }
            AtomicFiles.writeFully(ch, content);
            ch.force(true);
        }
        if (checkCommand != null) {
            Commands.Result r = Commands.run(checkCommand.replace("%{path}", candidate.toString()), checkTimeout);
            if (!r.ok()) {
                throw new RejectedException("check_command rejected the candidate (exit " + r.exitCode() + "): "
                        + RateLimitedCommand.oneLine(r.output()) + "; " + target + " was left as it was (the candidate is "
                        + candidate + ")", r.exitCode(), r.output());
            }
        }
        try {
            Files.move(candidate, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(candidate, target, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel dir = FileChannel.open(target.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some file systems cannot sync a directory; the rename is still atomic
        }
    }

    /** Whether {@code target} is a regular file holding exactly the concatenation of {@code content}. */
    public static boolean sameContent(Path target, List<ByteBuffer> content) throws IOException {
        long size = 0;
        for (ByteBuffer b : content) {
            size += b.remaining();
        }
        return AtomicFiles.sameAs(target, out -> {
            for (ByteBuffer b : content) {
                ByteBuffer d = b.duplicate();
                if (d.hasArray()) {
                    out.write(d.array(), d.arrayOffset() + d.position(), d.remaining());
                } else {
                    byte[] copy = new byte[d.remaining()];
                    d.get(copy);
                    out.write(copy);
                }
            }
        }, size);
    }
}
