package io.synapse.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.ManagedChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * One jetcd {@link Client} per distinct cluster connection (endpoints, TLS files, user), shared by
 * every service watching that cluster and closed when the last one lets go. A client holds a gRPC
 * channel, an event loop and its threads: one per service would not scale to hundreds of services.
 */
final class EtcdClients {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdClients.class);
    private static final Map<Connection, Shared> CLIENTS = new HashMap<>();

    private EtcdClients() {}

    /**
     * Where and how to connect. {@code endpoints} are normalized {@code scheme://host:port} URIs.
     */
    record Connection(List<URI> endpoints, String caFile, String certFile, String keyFile, String user, String password) {
        Connection {
            endpoints = List.copyOf(requireNonNull(endpoints, "endpoints is null"));
        }

        boolean tls() {
            return endpoints.stream().anyMatch(u -> "https".equals(u.getScheme()));
        }

        /** The endpoints for messages: {@code http://10.0.0.1:2379,http://10.0.0.2:2379}. */
        String describe() {
            return String.join(",", endpoints.stream().map(URI::toString).toList());
        }

        @Override
        public String toString() {
            return describe() + (user == null ? "" : " as " + user);
        }
    }

    /** A reference to a shared client; {@link #close()} releases it (idempotent). */
    static final class Handle implements AutoCloseable {
        private final Connection connection;
        private final Shared shared;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Handle(Connection connection, Shared shared) {
            this.connection = connection;
            this.shared = shared;
        }

        Client client() {
            return shared.client;
        }

        /**
         * Asks the gRPC channel to reconnect now instead of waiting for its own (up to 2 min) backoff;
         * returns false when this jetcd version does not let us reach its channel.
         */
        boolean reconnectNow() {
            return shared.resetConnectBackoff();
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                release(connection, shared);
            }
        }
    }

    private static final class Shared {
        final Client client;
        int references;
        private volatile boolean reflectionFailed;

        Shared(Client client) {
            this.client = client;
        }

        boolean resetConnectBackoff() {
            if (reflectionFailed) {
                return false;
            }
            try {
                // jetcd does not expose its channel; without this, gRPC's reconnect backoff (growing to 120 s)
                // would delay the first successful retry long after etcd came back.
                Field manager = client.getClass().getDeclaredField("connectionManager");
                manager.setAccessible(true);
                Object connectionManager = manager.get(client);
                Method getChannel = connectionManager.getClass().getDeclaredMethod("getChannel");
                getChannel.setAccessible(true);
                ((ManagedChannel) getChannel.invoke(connectionManager)).resetConnectBackoff();
                return true;
            } catch (ReflectiveOperationException | RuntimeException e) {
                reflectionFailed = true;
                LOG.debug("cannot reset the gRPC reconnect backoff of the jetcd client: {}", e.toString());
                return false;
            }
        }
    }

    /** A reference to the shared client for {@code connection}, creating it when needed. */
    static Handle acquire(Connection connection) throws TlsFiles.TlsException {
        requireNonNull(connection, "connection is null");
        synchronized (CLIENTS) {
            Shared shared = CLIENTS.get(connection);
            if (shared == null) {
                shared = new Shared(build(connection));
                CLIENTS.put(connection, shared);
                LOG.debug("created an etcd client for {}", connection);
            }
            shared.references++;
            return new Handle(connection, shared);
        }
    }

    private static void release(Connection connection, Shared shared) {
        synchronized (CLIENTS) {
            shared.references--;
            if (shared.references > 0 || CLIENTS.get(connection) != shared) {
                return;
            }
            CLIENTS.remove(connection);
        }
        try {
            shared.client.close();
        } catch (RuntimeException e) {
            LOG.debug("closing the etcd client for {} failed: {}", connection, e.toString());
        }
    }

    /** Number of live shared clients (for tests). */
    static int liveClients() {
        synchronized (CLIENTS) {
            return CLIENTS.size();
        }
    }

    private static Client build(Connection c) throws TlsFiles.TlsException {
        ClientBuilder builder = Client.builder()
                .endpoints(c.endpoints().toArray(URI[]::new))
                // fail fast while no member is reachable: the watcher retries with its own backoff and reports it
                .waitForReady(false)
                .retryDelay(100)
                .retryMaxDelay(1000)
                .connectTimeout(Duration.ofSeconds(3))
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(5))
                .maxInboundMessageSize(256 * 1024 * 1024);
        if (c.user() != null) {
            builder.user(ByteSequence.from(c.user(), StandardCharsets.UTF_8))
                    .password(ByteSequence.from(c.password() == null ? "" : c.password(), StandardCharsets.UTF_8));
        }
        if (c.tls()) {
            builder.sslContext(TlsFiles.clientContext(c.caFile(), c.certFile(), c.keyFile()));
        }
        return builder.build();
    }
}
