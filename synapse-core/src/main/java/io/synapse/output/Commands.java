package io.synapse.output;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Runs a user's shell command ({@code reload_command}, {@code check_command}). */
public final class Commands {
    private Commands() {}

    /** Exit code and combined output (cut to 4 KB). */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The last non-empty output line, for one-line log messages. */
        public String summary() {
            String[] lines = output.strip().split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                if (!lines[i].isBlank()) {
                    return lines[i].strip();
                }
            }
            return "";
        }
    }

    /**
     * Runs {@code command} with {@code /bin/sh -c}. On timeout the command and its children are
     * killed and the result has exit code -1; when the calling thread is interrupted they are
     * killed too and {@link InterruptedException} is thrown.
     */
    public static Result run(String command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[4096];
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (out) {
                        if (out.length() < 4096) {
                            out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        }
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "command-output");
        reader.setDaemon(true);
        reader.start();
        boolean finished;
        try {
            finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // synapse is stopping: do not leave the command running behind it
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw e;
        }
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return new Result(-1, "timed out after " + timeout.toSeconds() + " s");
        }
        reader.join(1000);
        synchronized (out) {
            return new Result(p.exitValue(), out.toString());
        }
    }
}
