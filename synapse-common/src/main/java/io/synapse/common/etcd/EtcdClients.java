package io.synapse.common.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContextBuilder;
import io.synapse.common.concurrent.SharedResources;
import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.metrics.RegistryConnections;
import io.synapse.common.tls.TlsFiles;
import io.synapse.common.tls.TlsFiles.TlsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One jetcd {@link Client} per distinct {@link EtcdConnection} (endpoints, TLS files, user),
 * shared by everyone using that connection and closed when the last one lets go (a client holds a
 * gRPC channel, an event loop and its threads: one per service would not scale to hundreds of
 * services). Built on {@link SharedResources}; {@link #newClient} is the one place a client is
 * configured, for the watcher and for nerve.
 */
public final class EtcdClients implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdClients.class);

    private final EtcdClientSettings settings;
    private final String daemon;
    private final SharedResources<EtcdConnection, SharedEtcdClient> pool;

    public EtcdClients(EtcdClientSettings settings) {
        this(settings, "synapse");
    }

    /**
     * @param daemon the metric prefix of the clients' state: {@code <daemon>_registry_connected{registry="etcd"}}
     *     ({@code synapse} for the watcher, {@code nerve} for nerve)
     */
    public EtcdClients(EtcdClientSettings settings, String daemon) {
        this.settings = requireNonNull(settings, "settings is null");
        this.daemon = requireNonNull(daemon, "daemon is null");
        this.pool = new SharedResources<>("etcd client", this::create, this::dispose);
    }

    public EtcdClientSettings settings() {
        return settings;
    }

    /** The shared client of {@code connection}, created when needed; close the lease when done. */
    public Lease<EtcdConnection, SharedEtcdClient> acquire(EtcdConnection connection) throws TlsException {
        requireNonNull(connection, "connection is null");
        try {
            return pool.acquire(connection);
        } catch (UncheckedTls e) {
            throw e.tls;
        }
    }

    /**
     * A new client for {@code lease}'s connection, to start afresh after repeated failures (a new
     * channel does not wait for the old one's reconnect backoff): later users of the connection get
     * it too, and the old client closes when its last user lets go. Closes {@code lease}.
     */
    public Lease<EtcdConnection, SharedEtcdClient> renew(Lease<EtcdConnection, SharedEtcdClient> lease) throws TlsException {
        try {
            return pool.renew(lease);
        } catch (UncheckedTls e) {
            throw e.tls;
        }
    }

    /** The live client of {@code connection}, if any (diagnostics and tests). */
    public Optional<SharedEtcdClient> find(EtcdConnection connection) {
        return pool.find(connection);
    }

    /** Live clients. */
    public int size() {
        return pool.size();
    }

    /** Closes every client now, in use or not. */
    @Override
    public void close() {
        pool.close();
    }

    private SharedEtcdClient create(EtcdConnection connection) {
        try {
            SharedEtcdClient shared = new SharedEtcdClient(connection, newClient(connection, settings));
            shared.registerMetrics(RegistryConnections.register(daemon, "etcd", connection.describe(), shared::isConnected,
                    shared::channelState));
            LOG.info("etcd {}: client created", connection);
            return shared;
        } catch (TlsException e) {
            throw new UncheckedTls(e);
        }
    }

    private void dispose(SharedEtcdClient shared) {
        LOG.info("etcd {}: closing the client (no user left)", shared.connection());
        shared.close();
    }

    /** A new, unshared jetcd client for {@code connection}; the caller closes it. */
    public static Client newClient(EtcdConnection connection, EtcdClientSettings settings) throws TlsException {
        requireNonNull(connection, "connection is null");
        requireNonNull(settings, "settings is null");
        // No keep-alive pings on a connection without a call in flight: etcd (gRPC's default
        // server policy) answers the third such ping with GOAWAY "too_many_pings" and the client
        // reconnects. A watcher always has its watch streams open, so its pings go on; nerve's
        // calls have deadlines of their own. Seen as a reconnect storm in the fleet simulation.
        ClientBuilder builder = Client.builder().endpoints(connection.endpoints().toArray(URI[]::new)).keepaliveWithoutCalls(false);
        if (settings.connectTimeout() != null) {
            builder.connectTimeout(settings.connectTimeout());
        }
        if (settings.keepaliveTime() != null) {
            builder.keepaliveTime(settings.keepaliveTime());
        }
        if (settings.keepaliveTimeout() != null) {
            builder.keepaliveTimeout(settings.keepaliveTimeout());
        }
        if (settings.retryDelay() != null) {
            builder.retryDelay(settings.retryDelay().toMillis());
        }
        if (settings.retryMaxDelay() != null) {
            builder.retryMaxDelay(settings.retryMaxDelay().toMillis());
        }
        if (settings.retryMaxDuration() != null) {
            builder.retryMaxDuration(settings.retryMaxDuration());
        }
        if (settings.waitForReady() != null) {
            builder.waitForReady(settings.waitForReady());
        }
        if (settings.maxInboundMessageSize() != null) {
            builder.maxInboundMessageSize(settings.maxInboundMessageSize());
        }
        if (connection.user() != null) {
            builder.user(ByteSequence.from(connection.user(), StandardCharsets.UTF_8))
                    .password(ByteSequence.from(connection.password() == null ? "" : connection.password(), StandardCharsets.UTF_8));
        }
        if (connection.usesTls()) {
            builder.sslContext(sslContext(connection.tls()));
        }
        return builder.build();
    }

    /** The gRPC client TLS context of {@code files} (no CA file: the JVM's trust store). */
    public static io.netty.handler.ssl.SslContext sslContext(TlsFiles files) throws TlsException {
        TlsFiles.Material material = files.load();
        SslContextBuilder builder = GrpcSslContexts.forClient();
        if (!material.trusted().isEmpty()) {
            builder.trustManager(material.trusted().toArray(X509Certificate[]::new));
        }
        if (material.key() != null) {
            builder.keyManager(material.key(), material.chain().toArray(X509Certificate[]::new));
        }
        try {
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsException(material.key() != null ? TlsFiles.Role.KEY_FILE : TlsFiles.Role.CA_FILE,
                    "cannot build a TLS context: " + e.getMessage());
        }
    }

    private static final class UncheckedTls extends RuntimeException {
        final TlsException tls;

        UncheckedTls(TlsException tls) {
            super(tls.getMessage(), tls, false, false);
            this.tls = tls;
        }
    }
}
