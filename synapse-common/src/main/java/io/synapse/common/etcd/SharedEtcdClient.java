package io.synapse.common.etcd;

import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

import static java.util.Objects.requireNonNull;

/** One jetcd client of an {@link EtcdClients} pool, shared by everyone using its connection. */
public final class SharedEtcdClient {
    private static final Logger LOG = LoggerFactory.getLogger(SharedEtcdClient.class);

    private final EtcdConnection connection;
    private final Client client;
    private volatile boolean reflectionFailed;

    SharedEtcdClient(EtcdConnection connection, Client client) {
        this.connection = requireNonNull(connection, "connection is null");
        this.client = requireNonNull(client, "client is null");
    }

    public EtcdConnection connection() {
        return connection;
    }

    public Client client() {
        return client;
    }

    /**
     * Asks the gRPC channel to reconnect now instead of waiting for its own (up to 2 min) backoff;
     * returns false when this jetcd version does not let us reach its channel.
     */
    public boolean reconnectNow() {
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

    void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "etcd client for " + connection;
    }
}
