package io.synapse.common.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The registry connections of this JVM (ZooKeeper sessions, etcd channels...), for the status page
 * and the {@code <daemon>_registry_connected{registry, connection}} gauge: 1 while connected, 0
 * otherwise. The client pools register each connection they open and close the registration when
 * they dispose of it. Two pools that open the same connection share one gauge, which reads 1 when
 * either is connected.
 */
public final class RegistryConnections {
    /** Guards SOURCES; never held while calling Micrometer (a scrape reads SOURCES under Micrometer's locks). */
    private static final Map<Key, List<Source>> SOURCES = new LinkedHashMap<>();
    /** Guards GAUGES and orders gauge registration and removal. */
    private static final Object GAUGE_LOCK = new Object();
    private static final Map<Key, Meter> GAUGES = new LinkedHashMap<>();

    private RegistryConnections() {}

    /**
     * One connection as the status page shows it.
     *
     * @param daemon the metric prefix ({@code synapse}, {@code nerve})
     * @param registry {@code zookeeper}, {@code etcd}...
     * @param connection the hosts or endpoints (never credentials)
     * @param connected whether it is usable now
     * @param state the client's own word for its state ({@code CONNECTED}, {@code SUSPENDED}, {@code READY}...)
     */
    public record Connection(String daemon, String registry, String connection, boolean connected, String state) {}

    private record Key(String daemon, String registry, String connection) {}

    private record Source(BooleanSupplier connected, Supplier<String> state) {}

    /** A registered connection; {@link #close()} it when the connection is closed. Idempotent. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Registers a connection.
     *
     * @param daemon {@code synapse} or {@code nerve}: the gauge is {@code <daemon>_registry_connected}
     * @param connected read on every scrape: must be quick and must not block
     * @param state read for the status page: the client's state name
     */
    public static Registration register(String daemon, String registry, String connection, BooleanSupplier connected,
            Supplier<String> state) {
        requireNonNull(daemon, "daemon is null");
        requireNonNull(registry, "registry is null");
        requireNonNull(connection, "connection is null");
        requireNonNull(connected, "connected is null");
        requireNonNull(state, "state is null");
        Key key = new Key(daemon, registry, connection);
        Source source = new Source(connected, state);
        synchronized (GAUGE_LOCK) {
            synchronized (SOURCES) {
                SOURCES.computeIfAbsent(key, k -> new ArrayList<>()).add(source);
            }
            if (!GAUGES.containsKey(key)) {
                GAUGES.put(key, Gauge.builder(daemon + ".registry.connected", key, RegistryConnections::value)
                        .description("1 while the registry connection is usable, else 0")
                        .tags("registry", registry, "connection", connection)
                        .strongReference(true)
                        .register(Metrics.globalRegistry));
            }
        }
        return new Registration() {
            private boolean closed;

            @Override
            public void close() {
                synchronized (GAUGE_LOCK) {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    boolean last;
                    synchronized (SOURCES) {
                        List<Source> list = SOURCES.get(key);
                        last = list != null && list.remove(source) && list.isEmpty();
                        if (last) {
                            SOURCES.remove(key);
                        }
                    }
                    if (last) {
                        Meter gauge = GAUGES.remove(key);
                        if (gauge != null) {
                            Metrics.globalRegistry.remove(gauge);
                        }
                    }
                }
            }
        };
    }

    /** The connections of {@code daemon}, by registry then connection. */
    public static List<Connection> list(String daemon) {
        requireNonNull(daemon, "daemon is null");
        List<Connection> out = new ArrayList<>();
        synchronized (SOURCES) {
            SOURCES.forEach((key, sources) -> {
                if (key.daemon().equals(daemon)) {
                    Source best = sources.stream().filter(s -> s.connected().getAsBoolean()).findFirst().orElse(sources.get(0));
                    out.add(new Connection(key.daemon(), key.registry(), key.connection(), best.connected().getAsBoolean(),
                            best.state().get()));
                }
            });
        }
        out.sort(Comparator.comparing(Connection::registry).thenComparing(Connection::connection));
        return out;
    }

    private static double value(Key key) {
        List<Source> sources;
        synchronized (SOURCES) {
            sources = SOURCES.get(key);
            sources = sources == null ? List.of() : List.copyOf(sources);
        }
        for (Source s : sources) {
            if (s.connected().getAsBoolean()) {
                return 1;
            }
        }
        return 0;
    }
}
