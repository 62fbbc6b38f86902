package io.synapse.docker;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The {@code docker} watcher: a service's backends are the containers of Docker engines that run an
 * image and/or carry labels, followed through each engine's event stream (see {@link DockerHost}).
 * Compatible with the Ruby Synapse's {@code servers}, {@code image_name}, {@code container_port} and
 * {@code check_interval}; see {@link DockerConfig} for every key.
 */
public final class DockerWatcherFactory implements WatcherFactory<DockerConfig> {
    public static final String NAME = "docker";
    static final double DEFAULT_CHECK_INTERVAL = 15.0;

    private final Function<String, String> env;

    public DockerWatcherFactory() {
        this(System::getenv);
    }

    /** @param env the environment ({@code DOCKER_HOST}, {@code DOCKER_TLS_VERIFY}, {@code DOCKER_CERT_PATH}) */
    DockerWatcherFactory(Function<String, String> env) {
        this.env = requireNonNull(env, "env is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<DockerConfig> configClass() {
        return DockerConfig.class;
    }

    @Override
    public void validate(DockerConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        validateEngines(config.servers(), config.socket(), config.tls(), env, problems);

        if (config.imageName() == null && (config.labels() == null || config.labels().isEmpty())) {
            problems.add("image_name", "is required (or labels)");
        } else if (config.imageName() != null) {
            String problem = imageProblem(config.imageName());
            if (problem != null) {
                problems.add("image_name", problem);
            }
        }
        validateLabels(config.labels(), problems);

        if (config.containerPort() == null && config.containerPortLabel() == null) {
            problems.add("container_port", "is required");
        } else if (config.containerPort() != null && RegistryValues.checkPort(config.containerPort()) != null) {
            problems.add("container_port", "expected an integer 1-65535, got " + config.containerPort());
        }
        if (config.containerPortLabel() != null && labelKeyProblem(config.containerPortLabel()) != null) {
            problems.add("container_port_label", labelKeyProblem(config.containerPortLabel()));
        }
        if (config.checkInterval() != null && !(config.checkInterval() > 0 && config.checkInterval() <= 86_400)) {
            problems.add("check_interval", "expected a number of seconds above 0 (at most 86400), got " + config.checkInterval());
        }
        if (config.network() != null && (config.network().isBlank() || RegistryValues.hasControl(config.network()))) {
            problems.add("network", "expected a Docker network name, got " + RegistryValues.quote(config.network()));
        }
    }

    /**
     * Checks the engine keys shared by the watcher and the catalog: {@code servers} (each {@code {name,
     * host, port, tls}}), {@code socket}, {@code tls}, and {@code DOCKER_HOST} when neither is set.
     */
    static void validateEngines(List<DockerConfig.Server> servers, String socket, DockerConfig.Tls tls,
                                Function<String, String> env, ConfigProblems problems) {
        if (servers != null && socket != null) {
            problems.add("socket", "use either servers (TCP engines) or socket (the local engine), not both");
        }
        if (servers != null) {
            if (servers.isEmpty()) {
                problems.add("servers", "must not be empty");
            }
            Map<Endpoint, Integer> seen = new HashMap<>();
            for (int i = 0; i < servers.size(); i++) {
                DockerConfig.Server s = servers.get(i);
                String at = "servers[" + i + "]";
                if (s == null) {
                    problems.add(at, "expected an object {name, host, port}");
                    continue;
                }
                if (s.host() == null || s.host().isEmpty()) {
                    problems.add(at + ".host", "is required");
                } else if (RegistryValues.checkHost(s.host()) != null) {
                    problems.add(at + ".host", "expected an IP address or a DNS name, got " + RegistryValues.quote(s.host()));
                }
                if (s.port() != null && RegistryValues.checkPort(s.port()) != null) {
                    problems.add(at + ".port", "expected an integer 1-65535, got " + s.port());
                }
                if (s.name() != null && RegistryValues.checkName(s.name()) != null) {
                    problems.add(at + ".name", "only letters, digits and . _ - : are allowed, got " + RegistryValues.quote(s.name()));
                }
                if (s.tls() != null) {
                    validateTls(s.tls(), problems.at(at + ".tls"));
                }
                if (s.host() != null && RegistryValues.checkHost(s.host()) == null) {
                    Endpoint e = Endpoint.tcp(s.host(), s.port() == null ? Endpoint.DEFAULT_PORT : s.port(), s.tls() != null ? s.tls() : tls);
                    Integer first = seen.putIfAbsent(e, i);
                    if (first != null) {
                        problems.add(at, "the same engine as servers[" + first + "]");
                    }
                }
            }
        }
        if (socket != null) {
            String problem = socketProblem(socket);
            if (problem != null) {
                problems.add("socket", problem);
            }
            if (tls != null) {
                problems.add("tls", "only used with servers (TCP engines); a unix socket needs none");
            }
        }
        if (tls != null && socket == null) {
            validateTls(tls, problems.at("tls"));
        }
        if (servers == null && socket == null) {
            String dockerHost = env.apply("DOCKER_HOST");
            if (dockerHost != null && !dockerHost.isBlank()) {
                String problem = dockerHostProblem(dockerHost);
                if (problem != null) {
                    problems.add("servers", "not set, and DOCKER_HOST " + problem);
                }
            }
        }
    }

    private static void validateTls(DockerConfig.Tls tls, ConfigProblems problems) {
        boolean ok = true;
        if (tls.cert() != null && tls.key() == null) {
            problems.add("key", "required with cert");
            ok = false;
        }
        if (tls.key() != null && tls.cert() == null) {
            problems.add("cert", "required with key");
            ok = false;
        }
        if (tls.ca() == null && tls.cert() == null && tls.key() == null) {
            problems.add("", "expected ca, and cert with key");
            ok = false;
        }
        if (ok) {
            DockerHost.tlsFiles(tls).check(problems, DockerHost.TLS_KEYS);
        }
    }

    private static void validateLabels(List<String> labels, ConfigProblems problems) {
        if (labels == null) {
            return;
        }
        for (int i = 0; i < labels.size(); i++) {
            String l = labels.get(i);
            if (l == null) {
                problems.add("labels[" + i + "]", "expected \"key\" or \"key=value\", got null");
                continue;
            }
            int eq = l.indexOf('=');
            String key = eq < 0 ? l : l.substring(0, eq);
            String problem = labelKeyProblem(key);
            if (problem != null || RegistryValues.hasControl(l)) {
                problems.add("labels[" + i + "]", "expected \"key\" or \"key=value\", got " + RegistryValues.quote(l));
            }
        }
    }

    private static String labelKeyProblem(String key) {
        if (key.isBlank() || RegistryValues.hasControl(key) || key.indexOf(' ') >= 0) {
            return "expected a label name, got " + RegistryValues.quote(key);
        }
        return null;
    }

    private static String imageProblem(String image) {
        if (image.isBlank() || RegistryValues.hasControl(image) || image.indexOf(' ') >= 0) {
            return "expected an image like mycool/image or mycool/image:tag, got " + RegistryValues.quote(image);
        }
        return null;
    }

    private static String socketProblem(String socket) {
        String path = socket.startsWith("unix://") ? socket.substring("unix://".length()) : socket;
        if (path.isEmpty() || !path.startsWith("/") || RegistryValues.hasControl(path)) {
            return "expected the absolute path of the engine's unix socket (like /var/run/docker.sock), got "
                    + RegistryValues.quote(socket);
        }
        return null;
    }

    /** {@code null} when {@code DOCKER_HOST} is {@code unix:///path} or {@code tcp://host[:port]}, else why not. */
    static String dockerHostProblem(String dockerHost) {
        if (dockerHost.startsWith("unix://")) {
            String p = socketProblem(dockerHost);
            return p == null ? null : RegistryValues.quote(dockerHost) + ": expected unix:///path";
        }
        String expected = RegistryValues.quote(dockerHost) + ": expected unix:///path or tcp://host:port";
        if (!dockerHost.startsWith("tcp://")) {
            return expected;
        }
        try {
            URI uri = new URI(dockerHost);
            if (uri.getHost() == null || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))) {
                return expected;
            }
        } catch (URISyntaxException e) {
            return expected;
        }
        return null;
    }

    /**
     * The engines a config names: its {@code servers}, or its {@code socket}, or {@code DOCKER_HOST}
     * (with {@code DOCKER_TLS_VERIFY} and {@code DOCKER_CERT_PATH}), or the default socket.
     */
    static List<DockerServiceWatcher.Target> targets(List<DockerConfig.Server> servers, String socket, DockerConfig.Tls tls,
                                                     Function<String, String> env) {
        List<DockerServiceWatcher.Target> targets = new ArrayList<>();
        if (servers != null) {
            for (DockerConfig.Server s : servers) {
                targets.add(new DockerServiceWatcher.Target(Endpoint.tcp(s.host(), s.port() == null ? Endpoint.DEFAULT_PORT : s.port(),
                        s.tls() != null ? s.tls() : tls), s.name()));
            }
            return targets;
        }
        if (socket != null) {
            targets.add(new DockerServiceWatcher.Target(Endpoint.unix(socket.startsWith("unix://")
                    ? socket.substring("unix://".length()) : socket), null));
            return targets;
        }
        String dockerHost = env.apply("DOCKER_HOST");
        if (dockerHost == null || dockerHost.isBlank()) {
            targets.add(new DockerServiceWatcher.Target(Endpoint.unix(Endpoint.DEFAULT_SOCKET), null));
        } else if (dockerHost.startsWith("unix://")) {
            targets.add(new DockerServiceWatcher.Target(Endpoint.unix(dockerHost.substring("unix://".length())), null));
        } else {
            URI uri = URI.create(dockerHost);
            DockerConfig.Tls envTls = null;
            String verify = env.apply("DOCKER_TLS_VERIFY");
            if (verify != null && !verify.isEmpty() && !verify.equals("0")) {
                String certPath = env.apply("DOCKER_CERT_PATH");
                Path dir = certPath == null || certPath.isEmpty() ? Path.of(System.getProperty("user.home"), ".docker") : Path.of(certPath);
                envTls = new DockerConfig.Tls(dir.resolve("ca.pem").toString(), dir.resolve("cert.pem").toString(),
                        dir.resolve("key.pem").toString());
            }
            String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
            targets.add(new DockerServiceWatcher.Target(Endpoint.tcp(host, uri.getPort() >= 0 ? uri.getPort() : envTls != null ? 2376 : 2375, envTls), null));
        }
        return targets;
    }

    @Override
    public ServiceWatcher create(WatcherContext context, DockerConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        validate(config, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        Selector selector = new Selector(config.imageName() == null ? null : ImageName.parse(config.imageName()),
                Selector.parseLabels(config.labels()), config.containerPort(), config.containerPortLabel(), config.network());
        return new DockerServiceWatcher(context.serviceName(), targets(config.servers(), config.socket(), config.tls(), env),
                selector, config.checkInterval() == null ? DEFAULT_CHECK_INTERVAL : config.checkInterval(), listener);
    }
}
