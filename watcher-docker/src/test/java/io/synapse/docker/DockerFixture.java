package io.synapse.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.synapse.testing.Binaries;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private DockerClient client;

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

    /**
     * As {@link #runHttpd}, from another tag of the test image. Made through the engine's API (the
     * {@code docker} CLI costs a process per call); the options are the CLI's: {@code -p
     * 127.0.0.1::80[/udp]}, {@code -l k=v}, {@code --name}, {@code --network}, {@code --expose},
     * {@code --health-cmd}, {@code --health-interval} (ms), {@code --health-retries}.
     */
    String runHttpdFrom(String image, String... options) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(TEST_LABEL, run);
        List<ExposedPort> exposed = new ArrayList<>();
        List<PortBinding> bindings = new ArrayList<>();
        HostConfig host = HostConfig.newHostConfig();
        HealthCheck health = null;
        String name = null;
        for (int i = 0; i < options.length; i++) {
            String o = options[i];
            String v = options[++i];
            switch (o) {
                case "-p" -> {
                    String[] parts = v.split(":");
                    String[] portAndProto = parts[parts.length - 1].split("/");
                    ExposedPort port = portAndProto.length > 1 && portAndProto[1].equals("udp")
                            ? ExposedPort.udp(Integer.parseInt(portAndProto[0])) : ExposedPort.tcp(Integer.parseInt(portAndProto[0]));
                    exposed.add(port);
                    bindings.add(new PortBinding(Ports.Binding.bindIp(parts[0]), port));
                }
                case "-l" -> labels.put(v.substring(0, v.indexOf('=')), v.substring(v.indexOf('=') + 1));
                case "--name" -> name = v;
                case "--network" -> host.withNetworkMode(v);
                case "--expose" -> exposed.add(ExposedPort.tcp(Integer.parseInt(v)));
                case "--health-cmd" -> health = (health == null ? new HealthCheck() : health).withTest(List.of("CMD-SHELL", v));
                case "--health-interval" -> health = (health == null ? new HealthCheck() : health)
                        .withInterval(TimeUnit.MILLISECONDS.toNanos(Long.parseLong(v.replace("ms", ""))));
                case "--health-retries" -> health = (health == null ? new HealthCheck() : health).withRetries(Integer.parseInt(v));
                default -> throw new IllegalArgumentException("unsupported option " + o);
            }
        }
        host.withPortBindings(bindings);
        var cmd = client().createContainerCmd(image).withLabels(labels).withExposedPorts(exposed).withHostConfig(host)
                .withCmd("sh", "-c", "hostname > /www/index.html && exec httpd -f -p 80 -h /www");
        if (health != null) {
            cmd.withHealthcheck(health);
        }
        if (name != null) {
            cmd.withName(name);
        }
        String id = cmd.exec().getId();
        containers.add(id);
        client().startContainerCmd(id).exec();
        return id;
    }

    private synchronized DockerClient client() {
        if (client == null) {
            client = DockerHost.client(Endpoint.unix(SOCKET), null, DockerHost.RESPONSE_TIMEOUT);
        }
        return client;
    }

    private InspectContainerResponse inspect(String id) {
        return client().inspectContainerCmd(id).exec();
    }

    /**
     * Runs {@code docker args...} and returns its standard output; fails when it fails. The frequent
     * container verbs (stop, start, kill, pause, unpause, exec) go through the engine's API instead.
     */
    String docker(String... args) {
        switch (args[0]) {
            case "stop" -> {
                var stop = client().stopContainerCmd(args[args.length - 1]);
                if (args.length == 4 && args[1].equals("-t")) {
                    stop.withTimeout(Integer.parseInt(args[2]));
                }
                stop.exec();
                return "";
            }
            case "start" -> {
                client().startContainerCmd(args[1]).exec();
                return "";
            }
            case "kill" -> {
                client().killContainerCmd(args[1]).exec();
                return "";
            }
            case "pause" -> {
                client().pauseContainerCmd(args[1]).exec();
                return "";
            }
            case "unpause" -> {
                client().unpauseContainerCmd(args[1]).exec();
                return "";
            }
            case "exec" -> {
                String execId = client().execCreateCmd(args[1]).withAttachStdout(true).withAttachStderr(true)
                        .withCmd(java.util.Arrays.copyOfRange(args, 2, args.length)).exec().getId();
                try {
                    client().execStartCmd(execId).exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>()).awaitCompletion();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
                var done = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                        .until(() -> client().inspectExecCmd(execId).exec(), r -> !Boolean.TRUE.equals(r.isRunning()));
                if (done.getExitCodeLong() == null || done.getExitCodeLong() != 0) {
                    throw new AssertionError("docker " + String.join(" ", args) + " exited with " + done.getExitCodeLong());
                }
                return "";
            }
            default -> {
                // the CLI for the rest
            }
        }
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        return check(exec(cmd, 60)).output().strip();
    }

    /** The host port published for the container's port 80 on 127.0.0.1. */
    int publishedPort(String id) {
        return Integer.parseInt(inspect(id).getNetworkSettings().getPorts().getBindings().get(ExposedPort.tcp(80))[0].getHostPortSpec());
    }

    /** {@code name@127.0.0.1:port}: the backend the watcher makes of a container publishing port 80 on the local engine. */
    String backend(String id) {
        return name(id) + "@127.0.0.1:" + publishedPort(id);
    }

    String name(String id) {
        return inspect(id).getName().replaceFirst("^/", "");
    }

    String ip(String id, String network) {
        return inspect(id).getNetworkSettings().getNetworks().get(network).getIpAddress();
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
        synchronized (this) {
            if (client != null) {
                try {
                    client.close();
                } catch (IOException e) {
                    // closing
                }
                client = null;
            }
        }
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
