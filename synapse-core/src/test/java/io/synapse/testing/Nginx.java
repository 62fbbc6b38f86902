package io.synapse.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real nginx (Debian's {@code nginx}) run by a test in its own prefix directory, unprivileged
 * where possible: no {@code user} directive, pid, logs and temp paths in the prefix, listening on
 * loopback only. Start it with {@link #start(Path, String)} on a {@code nginx.conf} whose {@code
 * http} block is given; {@link #flags()} are the command-line flags any other nginx command (a
 * {@code -t} check, {@code -s reload}) needs to find the same prefix.
 */
public final class Nginx implements AutoCloseable {
    private final Path prefix;
    private final Process process;

    private Nginx(Path prefix, Process process) {
        this.prefix = prefix;
        this.process = process;
    }

    /** The nginx binary, or a failure saying how to install it. */
    public static Path binary() {
        return Binaries.require("nginx", "nginx");
    }

    /**
     * A complete nginx.conf for {@code prefix} whose http block holds {@code http} (relative
     * {@code include}s resolve against {@code prefix}).
     */
    public static String config(Path prefix, String http) {
        return "worker_processes 1;\n"
                + "pid " + prefix.resolve("logs/nginx.pid") + ";\n"
                + "error_log " + prefix.resolve("logs/error.log") + " warn;\n"
                + "events { worker_connections 128; }\n"
                + "http {\n"
                + "    access_log off;\n"
                + "    client_body_temp_path " + prefix.resolve("tmp/body") + ";\n"
                + "    proxy_temp_path " + prefix.resolve("tmp/proxy") + ";\n"
                + "    fastcgi_temp_path " + prefix.resolve("tmp/fastcgi") + ";\n"
                + "    uwsgi_temp_path " + prefix.resolve("tmp/uwsgi") + ";\n"
                + "    scgi_temp_path " + prefix.resolve("tmp/scgi") + ";\n"
                + http.indent(4)
                + "}\n";
    }

    /** The flags that point an nginx command at {@code prefix}: {@code -p PREFIX -e PREFIX/logs/error.log}. */
    public static String flags(Path prefix) {
        return "-p " + prefix + "/ -e " + prefix.resolve("logs/error.log");
    }

    /** Writes {@code prefix/nginx.conf} from {@link #config} and starts nginx on it (in the foreground of its process). */
    public static Nginx start(Path prefix, String http) {
        Path binary = binary();
        try {
            Files.createDirectories(prefix.resolve("logs"));
            Files.createDirectories(prefix.resolve("tmp"));
            Path conf = prefix.resolve("nginx.conf");
            Files.writeString(conf, config(prefix, http));
            CheckResult check = test(prefix, conf);
            if (!check.ok()) {
                throw new AssertionError("nginx -t refused " + conf + ":\n" + check.output());
            }
            Process p = new ProcessBuilder(List.of(binary.toString(), "-p", prefix + "/", "-e", prefix.resolve("logs/error.log").toString(),
                    "-c", conf.toString(), "-g", "daemon off;"))
                    .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
            Nginx nginx = new Nginx(prefix, p);
            await().atMost(Duration.ofSeconds(20)).until(() -> !p.isAlive() || Files.exists(prefix.resolve("logs/nginx.pid")));
            if (!p.isAlive()) {
                throw new AssertionError("nginx exited: " + Files.readString(prefix.resolve("logs/error.log")));
            }
            return nginx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path prefix() {
        return prefix;
    }

    public Path config() {
        return prefix.resolve("nginx.conf");
    }

    /** {@code nginx -t} of {@code conf} in {@code prefix}. */
    public static CheckResult test(Path prefix, Path conf) {
        try {
            Process p = new ProcessBuilder(binary().toString(), "-t", "-q", "-p", prefix + "/", "-e",
                    prefix.resolve("logs/error.log").toString(), "-c", conf.toString())
                    .redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new CheckResult(false, "timed out");
            }
            return new CheckResult(p.exitValue() == 0, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public record CheckResult(boolean ok, String output) {}

    /**
     * One HTTP GET to {@code 127.0.0.1:port} on a new connection: the status and the body ({@link
     * HttpBackends} answer with their name).
     */
    public static Response get(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/").toURL().openConnection();
            c.setRequestProperty("Connection", "close");
            c.setConnectTimeout(5000);
            c.setReadTimeout(10000);
            int status = c.getResponseCode();
            InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            c.disconnect();
            return new Response(status, body);
        } catch (IOException e) {
            return new Response(-1, e.toString());
        }
    }

    public record Response(int status, String body) {}

    /** Whether the nginx master is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The error log so far (the test's {@code nginx -t} runs write to it too). */
    public String errorLog() {
        try {
            return Files.readString(prefix.resolve("logs/error.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Stops nginx (TERM to the master: its workers go with it) and waits for it. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
