package io.synapse.docker;

import io.synapse.testing.Binaries;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The real Docker engine of this machine, driven with the {@code docker} CLI, for tests.
 *
 * <p>No registry is reachable, so the image is made here: {@code docker import} of a tar holding the
 * host's static {@code /bin/busybox} (Debian's {@code busybox-static}) and a few applet links, tagged
 * {@link #IMAGE}. Containers run {@code busybox httpd} answering with their hostname (the short
 * container id), publish their ports on {@code 127.0.0.1} only, and carry the label {@code
 * io.synapse.test=<run id>}: {@link #close()} removes every container and network this fixture
 * started, and {@code docker ps -a --filter label=io.synapse.test} finds leftovers of a killed run.
 */
final class DockerFixture implements AutoCloseable {
    static final String IMAGE = "synapse-test/busybox:latest";
    static final String SOCKET = Endpoint.DEFAULT_SOCKET;
    static final String TEST_LABEL = "io.synapse.test";
    private static final String[] APPLETS = {"sh", "httpd", "test", "touch", "rm", "mkdir", "echo", "hostname", "sleep", "cat"};
    private static final Object IMAGE_LOCK = new Object();
    private static volatile boolean imageReady;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final Set<String> containers = ConcurrentHashMap.newKeySet();
    private final List<String> networks = Collections.synchronizedList(new ArrayList<>());

    /** Checks the engine and makes the test image once per JVM. */
    static DockerFixture start() {
        Binaries.require("docker", "docker.io");
        Result info = exec(List.of("docker", "version", "--format", "{{.Server.Version}}"), 30);
        if (info.code() != 0 || !Files.exists(Path.of(SOCKET))) {
            throw new AssertionError("the Docker engine is not running (" + info.output().strip() + "); start it as root with: "
                    + "dockerd > /tmp/dockerd.log 2>&1 &   (bin/test does this when run as root)");
        }
        ensureImage();
        return new DockerFixture();
    }

    private static void ensureImage() {
        if (imageReady) {
            return;
        }
        synchronized (IMAGE_LOCK) {
            if (imageReady) {
                return;
            }
            if (exec(List.of("docker", "image", "inspect", IMAGE), 30).code() != 0) {
                importImage(IMAGE, "ENV PATH=/bin");
            }
            imageReady = true;
        }
    }

    /** {@code docker import} of busybox and its applet links as {@code tag}, with one Dockerfile {@code change}. */
    static void importImage(String tag, String change) {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isExecutable(busybox) || !exec(List.of("ldd", busybox.toString()), 30).output().contains("not a dynamic executable")) {
            throw new AssertionError("a static /bin/busybox is required to build the test image (an image without libc); install it with: "
                    + "apt-get install -y busybox-static (Debian/Ubuntu), or run bin/test which installs it");
        }
        try {
            Path dir = Files.createTempDirectory("synapse-busybox");
            try {
                Files.createDirectories(dir.resolve("bin"));
                Files.createDirectories(dir.resolve("www"));
                Files.createDirectories(dir.resolve("tmp"));
                Files.copy(busybox, dir.resolve("bin/busybox"));
                for (String applet : APPLETS) {
                    Files.createSymbolicLink(dir.resolve("bin/" + applet), Path.of("busybox"));
                }
                Path tar = dir.resolve("image.tar");
                check(exec(List.of("tar", "-C", dir.toString(), "-cf", tar.toString(), "bin", "www", "tmp"), 60));
                check(exec(List.of("docker", "import", "-c", "ENV PATH=/bin", "-c", change, tar.toString(), tag), 120));
            } finally {
                exec(List.of("rm", "-rf", dir.toString()), 30);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The label every container and network of this fixture carries, as {@code key=value}. */
    String label() {
        return TEST_LABEL + "=" + run;
    }

    /**
     * {@code docker run -d} of an httpd container on port 80 that answers with its hostname (the short
     * id); {@code options} go before the image (for example {@code -p 127.0.0.1::80}, {@code -l k=v}).
     * Returns the full container id.
     */
    String runHttpd(String... options) {
        return runHttpdFrom(IMAGE, options);
    }

    /** As {@link #runHttpd}, from another tag of the test image. */
    String runHttpdFrom(String image, String... options) {
        List<String> cmd = new ArrayList<>(List.of("docker", "run", "-d", "-l", label()));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of(image, "sh", "-c", "hostname > /www/index.html && exec httpd -f -p 80 -h /www"));
        return started(exec(cmd, 60));
    }

    /** {@code docker run -d} of an arbitrary command of the test image. */
    String run(List<String> options, String... command) {
        List<String> cmd = new ArrayList<>(List.of("docker", "run", "-d", "-l", label()));
        cmd.addAll(options);
        cmd.add(IMAGE);
        cmd.addAll(List.of(command));
        return started(exec(cmd, 60));
    }

    /** {@code docker create} (not started). */
    String create(String... options) {
        List<String> cmd = new ArrayList<>(List.of("docker", "create", "-l", label()));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of(IMAGE, "sh", "-c", "hostname > /www/index.html && exec httpd -f -p 80 -h /www"));
        return started(exec(cmd, 60));
    }

    private String started(Result r) {
        check(r);
        String id = r.output().strip();
        id = id.substring(id.lastIndexOf('\n') + 1).strip();
        containers.add(id);
        return id;
    }

    /** Runs {@code docker args...} and returns its standard output; fails when it fails. */
    String docker(String... args) {
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        return check(exec(cmd, 60)).output().strip();
    }

    /** The host port published for the container's port 80 on 127.0.0.1. */
    int publishedPort(String id) {
        String out = docker("port", id, "80/tcp");
        String first = out.lines().findFirst().orElseThrow();
        return Integer.parseInt(first.substring(first.lastIndexOf(':') + 1).strip());
    }

    /** {@code name@127.0.0.1:port}: the backend the watcher makes of a container publishing port 80 on the local engine. */
    String backend(String id) {
        String out = docker("inspect", "--format", "{{.Name}} {{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostPort}}", id);
        String[] parts = out.split(" ");
        return parts[0].replaceFirst("^/", "") + "@127.0.0.1:" + parts[1];
    }

    String name(String id) {
        return docker("inspect", "--format", "{{.Name}}", id).replaceFirst("^/", "");
    }

    String ip(String id, String network) {
        return docker("inspect", "--format", "{{(index .NetworkSettings.Networks \"" + network + "\").IPAddress}}", id);
    }

    /** Creates a labelled bridge network, removed by {@link #close()}. */
    String network() {
        String name = "synapse-test-" + run + "-" + networks.size();
        docker("network", "create", "--label", label(), name);
        networks.add(name);
        return name;
    }

    void remove(String id) {
        docker("rm", "-f", id);
        containers.remove(id);
    }

    @Override
    public void close() {
        removeAll();
        for (String n : networks) {
            exec(List.of("docker", "network", "rm", n), 30);
        }
        networks.clear();
    }

    /** Removes every container this fixture started. */
    void removeAll() {
        List<String> ids = new ArrayList<>(containers);
        // leftovers of this run too (a container whose id was lost to a failed assertion)
        Result listed = exec(List.of("docker", "ps", "-aq", "--no-trunc", "--filter", "label=" + label()), 30);
        if (listed.code() == 0) {
            listed.output().lines().map(String::strip).filter(s -> !s.isEmpty()).forEach(ids::add);
        }
        if (!ids.isEmpty()) {
            List<String> cmd = new ArrayList<>(List.of("docker", "rm", "-f"));
            cmd.addAll(ids.stream().distinct().toList());
            exec(cmd, 120);
        }
        containers.clear();
    }

    record Result(int code, String output) {}

    static Result check(Result r) {
        if (r.code() != 0) {
            throw new AssertionError("command failed (" + r.code() + "): " + r.output());
        }
        return r;
    }

    static Result exec(List<String> command, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("could not run " + String.join(" ", command) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
