package io.synapse.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The real {@code haproxy} binary, for checking rendered configs. */
public final class Haproxy {
    private Haproxy() {}

    /** Runs {@code haproxy -c -f file}; fails with HAProxy's own output when it rejects the file. */
    public static void assertValid(Path config) {
        CheckResult result = check(config);
        if (!result.ok()) {
            String text;
            try {
                text = Files.readString(config);
            } catch (IOException e) {
                text = "<unreadable: " + e + ">";
            }
            if (text.length() > 4000) {
                text = text.substring(0, 4000) + "\n...";
            }
            throw new AssertionError("haproxy -c rejected " + config + ":\n" + result.output() + "\n--- config ---\n" + text);
        }
    }

    /** Checks a config given as text (written to a temporary file). */
    public static void assertValid(String configText) {
        try {
            Path tmp = Files.createTempFile("haproxy-check", ".cfg");
            try {
                Files.writeString(tmp, configText, StandardCharsets.UTF_8);
                assertValid(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    public static CheckResult check(Path config) {
        Path haproxy = Binaries.haproxy();
        try {
            Process p = new ProcessBuilder(haproxy.toString(), "-c", "-f", config.toString())
                    .redirectErrorStream(true)
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("haproxy -c timed out on " + config);
            }
            return new CheckResult(p.exitValue() == 0, new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("could not run " + haproxy + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public record CheckResult(boolean ok, String output) {}
}
