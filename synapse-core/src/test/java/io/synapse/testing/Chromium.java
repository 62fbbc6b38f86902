package io.synapse.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Headless Chromium (Debian's {@code chromium}) loading a page as a person's browser would. */
public final class Chromium {
    private Chromium() {}

    /**
     * Loads {@code url}, returns the DOM after the page rendered, and saves a 1200x800 screenshot of
     * it as {@code screenshot} (a PNG). One browser run for both.
     */
    public static String renderAndScreenshot(String url, Path screenshot) {
        Path chromium = Binaries.require("chromium", "chromium");
        try {
            Files.createDirectories(screenshot.toAbsolutePath().getParent());
            Files.deleteIfExists(screenshot);
            Path profile = Files.createTempDirectory("chromium-profile");
            Path stderr = Files.createTempFile("chromium", ".log");
            try {
                Process p = new ProcessBuilder(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile, "--window-size=1200,800",
                        "--screenshot=" + screenshot.toAbsolutePath(), "--dump-dom", url))
                        .redirectError(stderr.toFile())
                        .start();
                p.getOutputStream().close();
                byte[] dom = p.getInputStream().readAllBytes();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("chromium did not finish loading " + url + " within 120 s");
                }
                if (p.exitValue() != 0 || !Files.isRegularFile(screenshot)) {
                    throw new AssertionError("chromium failed on " + url + " (exit " + p.exitValue() + "):\n"
                            + Files.readString(stderr));
                }
                return new String(dom, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(stderr);
                deleteTree(profile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
