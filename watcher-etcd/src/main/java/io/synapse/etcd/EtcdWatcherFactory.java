package io.synapse.etcd;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.etcd.EtcdClientSettings;
import io.synapse.common.etcd.EtcdClients;
import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.etcd.EtcdConnections;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The {@code etcd} watcher: discovers a service's backends under a key prefix of an etcd v3
 * cluster, with a read at one revision followed by a watch from the next one, so no change is
 * missed. See {@link EtcdConfig} for the options.
 */
public final class EtcdWatcherFactory implements WatcherFactory<EtcdConfig> {
    public static final String NAME = "etcd";
    private static final List<String> METHODS = List.of("nerve", "json", "key");

    /**
     * The watchers' client settings: calls fail at once while no member is reachable (the watcher
     * retries with its own backoff and reports it), answers of up to 256 MiB.
     */
    static final EtcdClientSettings CLIENT_SETTINGS = new EtcdClientSettings(Duration.ofSeconds(3), Duration.ofSeconds(10),
            Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(1), null, false, 256 * 1024 * 1024);

    /** The clients every factory created by {@link java.util.ServiceLoader} shares: one per cluster connection. */
    static final EtcdClients SHARED = new EtcdClients(CLIENT_SETTINGS);

    private final EtcdClients clients;

    public EtcdWatcherFactory() {
        this(SHARED);
    }

    /**
     * A factory whose watchers share the clients of {@code clients} instead of the process-wide
     * pool: for embedding several independent synapse instances in one JVM (the fleet simulation
     * runs a thousand, each with its own client as separate hosts would have). Create the pool with
     * {@link #newClients()}; a client closes when its last watcher stops.
     */
    public EtcdWatcherFactory(EtcdClients clients) {
        this.clients = requireNonNull(clients, "clients is null");
    }

    /** A new, empty pool of clients with the watchers' settings (see {@link #EtcdWatcherFactory(EtcdClients)}). */
    public static EtcdClients newClients() {
        return new EtcdClients(CLIENT_SETTINGS);
    }

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
        connection(config, problems);
        if (config.path() == null || config.path().isEmpty()) {
            problems.add("path", "must not be empty");
        } else if (RegistryValues.hasControl(config.path())) {
            problems.add("path", RegistryValues.quote(config.path()) + ": control characters are not allowed");
        }

        validateDecode(config.decode(), problems);
    }

    /** The connection keys, checked (TLS files included); {@code null} when they have a problem. */
    private static EtcdConnection connection(EtcdConfig config, ConfigProblems problems) {
        return EtcdConnections.fromConfig(EtcdConnections.Keys.PLAIN, config.endpoints(), config.caFile(), config.certFile(),
                config.keyFile(), config.user(), config.password(), problems);
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
        EtcdConnection connection = connection(config, new ConfigProblems());
        String method = config.decode() == null || config.decode().method() == null ? "nerve" : config.decode().method();
        Decoder decoder = switch (method) {
            case "json" -> Decoder.json(config.decode().hostField(), config.decode().portField(),
                    config.decode().nameField(), config.decode().weightField());
            case "key" -> Decoder.key();
            default -> Decoder.nerve();
        };
        return new EtcdServiceWatcher(context.serviceName(),
                new EtcdServiceWatcher.Settings(connection, prefix(config.path()), method, decoder, EtcdServiceWatcher.PAGE_SIZE), listener,
                clients);
    }

    /** The key prefix for a {@code path}: a directory, so {@code /services/api} does not match {@code /services/api2/x}. */
    static String prefix(String path) {
        return path.endsWith("/") ? path : path + "/";
    }
}
