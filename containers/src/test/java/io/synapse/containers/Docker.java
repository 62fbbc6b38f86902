package io.synapse.containers;

import io.synapse.testing.Binaries;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

/**
 * The real Docker engine and docker-compose, driven through their command lines, as a user would.
 * Every command's output is appended to {@code log} (the test's build log), and a failing command
 * fails with its output's tail.
 */
final class Docker {
    /** The base image the Dockerfile starts from; no registry is reachable, so it is made locally. */
    static final String BASE_IMAGE = "debian:bookworm-slim";

    private final Path log;

    Docker(Path log) {
        this.log = requireNonNull(log, "log is null");
    }

    record Result(int code, String output) {
        boolean ok() {
            return code == 0;
        }
    }

    /**
     * Makes sure the engine answers: starts {@code dockerd} when it does not and this runs as root
     * (as bin/test does), or fails saying how to start or install it.
     */
    void requireEngine() throws Exception {
        Binaries.require("docker", "docker.io");
        Binaries.require("docker-compose", "docker-compose");
        if (run(List.of("docker", "info"), Map.of(), Duration.ofSeconds(30)).ok()) {
            return;
        }
        boolean root = "0".equals(run(List.of("id", "-u"), Map.of(), Duration.ofSeconds(10)).output().strip());
        if (!root) {
            throw new AssertionError("the Docker engine is not running and this test is not root: start it as root with "
                    + "'dockerd > /tmp/dockerd.log 2>&1 &' (bin/test does this when run as root); install it with: "
                    + "apt-get install -y docker.io docker-compose mmdebstrap");
        }
        Path dockerd = Binaries.require("dockerd", "docker.io");
        append("starting " + dockerd + " (log: /tmp/dockerd.log)");
        new ProcessBuilder(dockerd.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("/tmp/dockerd.log").toFile()))
                .start();
        await("dockerd answering docker info").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> run(List.of("docker", "info"), Map.of(), Duration.ofSeconds(10)).ok());
    }

    /**
     * Makes {@code debian:bookworm-slim} when it is missing, the way a user without a registry
     * would: {@code mmdebstrap --variant=minbase bookworm - | docker import -}.
     */
    void requireBaseImage() throws Exception {
        if (run(List.of("docker", "image", "inspect", BASE_IMAGE), Map.of(), Duration.ofSeconds(30)).ok()) {
            return;
        }
        Binaries.require("mmdebstrap", "mmdebstrap");
        append("making " + BASE_IMAGE + " with mmdebstrap (no registry is reachable)");
        check(run(List.of("bash", "-o", "pipefail", "-c",
                "mmdebstrap --quiet --variant=minbase bookworm - | docker import - " + BASE_IMAGE),
                Map.of(), Duration.ofMinutes(15)), "mmdebstrap | docker import");
    }

    /** {@code docker ARGS...}, which must succeed. */
    String docker(Duration timeout, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(List.of(args));
        return check(run(command, Map.of(), timeout), String.join(" ", command));
    }

    static String check(Result r, String what) {
        if (!r.ok()) {
            String out = r.output();
            throw new AssertionError(what + " exited with " + r.code() + ":\n"
                    + (out.length() > 4000 ? "..." + out.substring(out.length() - 4000) : out));
        }
        return r.output();
    }

    /** Runs {@code command} with {@code env} added to this process's environment; output in the result and the log. */
    Result run(List<String> command, Map<String, String> env, Duration timeout) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path out = Files.createTempFile("docker", ".out");
        try {
            pb.redirectOutput(out.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", command)
                        + "\n" + Files.readString(out));
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            append("$ " + String.join(" ", command) + "  (exit " + p.exitValue() + ")\n" + output);
            return new Result(p.exitValue(), output);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    void append(String text) throws IOException {
        Files.writeString(log, text.endsWith("\n") ? text : text + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
