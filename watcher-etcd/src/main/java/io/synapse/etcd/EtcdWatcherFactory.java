package io.synapse.etcd;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The {@code etcd} watcher: discovers a service's backends under a key prefix of an etcd v3
 * cluster, with a read at one revision followed by a watch from the next one, so no change is
 * missed. See {@link EtcdConfig} for the options.
 */
public final class EtcdWatcherFactory implements WatcherFactory<EtcdConfig> {
    public static final String NAME = "etcd";
    static final int DEFAULT_PORT = 2379;
    private static final List<String> METHODS = List.of("nerve", "json", "key");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<EtcdConfig> configClass() {
        return EtcdConfig.class;
    }

    @Override
    public void validate(EtcdConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        List<URI> endpoints = new ArrayList<>();
        if (config.endpoints() == null || config.endpoints().isEmpty()) {
            problems.add("endpoints", "must not be empty");
        } else {
            for (int i = 0; i < config.endpoints().size(); i++) {
                String problem = endpointProblem(config.endpoints().get(i));
                if (problem != null) {
                    problems.add("endpoints[" + i + "]", problem);
                } else {
                    endpoints.add(endpoint(config.endpoints().get(i)));
                }
            }
            if (endpoints.stream().map(URI::getScheme).distinct().count() > 1) {
                problems.add("endpoints", "mixes http:// and https:// endpoints; use one scheme");
            }
        }

        if (config.path() == null || config.path().isEmpty()) {
            problems.add("path", "must not be empty");
        } else if (RegistryValues.hasControl(config.path())) {
            problems.add("path", RegistryValues.quote(config.path()) + ": control characters are not allowed");
        }

        validateDecode(config.decode(), problems);

        boolean https = endpoints.stream().anyMatch(u -> "https".equals(u.getScheme()));
        boolean filesOk = true;
        if (config.certFile() != null && config.keyFile() == null) {
            problems.add("key_file", "required with cert_file");
            filesOk = false;
        }
        if (config.keyFile() != null && config.certFile() == null) {
            problems.add("cert_file", "required with key_file");
            filesOk = false;
        }
        if (!endpoints.isEmpty() && !https) {
            for (String[] f : new String[][] {{"ca_file", config.caFile()}, {"cert_file", config.certFile()}, {"key_file", config.keyFile()}}) {
                if (f[1] != null) {
                    problems.add(f[0], "requires https:// endpoints");
                    filesOk = false;
                }
            }
        }
        if (https && filesOk) {
            try {
                TlsFiles.clientContext(config.caFile(), config.certFile(), config.keyFile());
            } catch (TlsFiles.TlsException e) {
                problems.add(e.field(), e.getMessage());
            }
        }

        if (config.user() != null && config.user().isEmpty()) {
            problems.add("user", "must not be empty");
        }
        if (config.user() != null && config.password() == null) {
            problems.add("password", "required with user");
        }
        if (config.password() != null && config.user() == null) {
            problems.add("user", "required with password");
        }
    }

    private static void validateDecode(EtcdConfig.Decode decode, ConfigProblems problems) {
        if (decode == null) {
            return;
        }
        String method = decode.method() == null ? "nerve" : decode.method();
        if (!METHODS.contains(method)) {
            problems.add("decode.method", "expected one of nerve, json, key; got " + RegistryValues.quote(method));
            return;
        }
        String[][] fields = {
                {"host_field", decode.hostField()}, {"port_field", decode.portField()},
                {"name_field", decode.nameField()}, {"weight_field", decode.weightField()}};
        if (method.equals("json")) {
            for (String[] f : fields) {
                boolean required = f[0].equals("host_field") || f[0].equals("port_field");
                if (f[1] == null ? required : f[1].isEmpty()) {
                    problems.add("decode." + f[0], f[1] == null ? "required when decode.method is json" : "must not be empty");
                }
            }
        } else {
            for (String[] f : fields) {
                if (f[1] != null) {
                    problems.add("decode." + f[0], "only used when decode.method is json");
                }
            }
        }
    }

    @Override
    public ServiceWatcher create(WatcherContext context, EtcdConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        validate(config, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        EtcdClients.Connection connection = new EtcdClients.Connection(
                config.endpoints().stream().map(EtcdWatcherFactory::endpoint).distinct().toList(),
                config.caFile(), config.certFile(), config.keyFile(), config.user(), config.password());
        String method = config.decode() == null || config.decode().method() == null ? "nerve" : config.decode().method();
        Decoder decoder = switch (method) {
            case "json" -> Decoder.json(config.decode().hostField(), config.decode().portField(),
                    config.decode().nameField(), config.decode().weightField());
            case "key" -> Decoder.key();
            default -> Decoder.nerve();
        };
        return new EtcdServiceWatcher(context.serviceName(),
                new EtcdServiceWatcher.Settings(connection, prefix(config.path()), method, decoder, EtcdServiceWatcher.PAGE_SIZE), listener);
    }

    /** The key prefix for a {@code path}: a directory, so {@code /services/api} does not match {@code /services/api2/x}. */
    static String prefix(String path) {
        return path.endsWith("/") ? path : path + "/";
    }

    /** {@code null} when {@code text} is a usable endpoint, else the reason. */
    static String endpointProblem(String text) {
        if (text == null || text.isBlank()) {
            return "must not be empty";
        }
        String expected = "expected a URL like http://10.0.0.1:2379, got " + RegistryValues.quote(text);
        URI uri;
        try {
            uri = new URI(text.contains("://") ? text : "http://" + text);
        } catch (URISyntaxException e) {
            return expected;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "expected an http:// or https:// URL, got " + RegistryValues.quote(text);
        }
        if (uri.getHost() == null || uri.getUserInfo() != null || uri.getQuery() != null || uri.getFragment() != null
                || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))) {
            return expected;
        }
        return null;
    }

    /** The normalized endpoint {@code scheme://host:port}; {@code host:port} alone means http. */
    static URI endpoint(String text) {
        URI uri = URI.create(text.contains("://") ? text : "http://" + text);
        int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
        return URI.create(uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost() + ":" + port);
    }
}
