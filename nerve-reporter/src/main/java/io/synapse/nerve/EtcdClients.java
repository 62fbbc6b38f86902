package io.synapse.nerve;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.synapse.nerve.ReporterTarget.EtcdConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One jetcd client per distinct connection (endpoints, TLS files, user), shared by the services
 * that use it and closed when the last one is released. TLS: {@code etcd_ca_file} (PEM),
 * {@code etcd_cert_file} + {@code etcd_key_file} (PEM, PKCS#8 key) for client certificates.
 */
final class EtcdClients implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EtcdClients.class);

    private final Map<EtcdConnection, Shared> clients = new HashMap<>();

    static final class Shared {
        final EtcdConnection connection;
        final Client client;
        int references;

        Shared(EtcdConnection connection, Client client) {
            this.connection = connection;
            this.client = client;
        }
    }

    synchronized Shared acquire(EtcdConnection connection) {
        requireNonNull(connection, "connection is null");
        Shared shared = clients.get(connection);
        if (shared == null) {
            shared = new Shared(connection, build(connection));
            clients.put(connection, shared);
            log.info("etcd {}: client created", connection.endpoints());
        }
        shared.references++;
        return shared;
    }

    private static Client build(EtcdConnection connection) {
        ClientBuilder builder = Client.builder()
                .endpoints(connection.endpoints().toArray(new URI[0]))
                .connectTimeout(Duration.ofSeconds(2))
                .retryMaxDuration(Duration.ofSeconds(2))
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(3));
        if (connection.user() != null) {
            builder.user(ByteSequence.from(connection.user(), StandardCharsets.UTF_8))
                    .password(ByteSequence.from(connection.password(), StandardCharsets.UTF_8));
        }
        if (connection.caFile() != null || connection.certFile() != null) {
            try {
                builder.sslContext(ssl -> {
                    if (connection.caFile() != null) {
                        ssl.trustManager(connection.caFile().toFile());
                    }
                    if (connection.certFile() != null) {
                        ssl.keyManager(connection.certFile().toFile(), connection.keyFile().toFile());
                    }
                });
            } catch (SSLException | RuntimeException e) {
                throw new IllegalArgumentException("etcd TLS setup failed: " + e.getMessage(), e);
            }
        }
        return builder.build();
    }

    synchronized void release(Shared shared) {
        if (--shared.references <= 0 && clients.remove(shared.connection, shared)) {
            log.info("etcd {}: no services left, closing", shared.connection.endpoints());
            shared.client.close();
        }
    }

    @Override
    public void close() {
        List<Shared> all;
        synchronized (this) {
            all = new ArrayList<>(clients.values());
            clients.clear();
        }
        for (Shared s : all) {
            s.client.close();
        }
    }
}
