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
    private volatile io.synapse.common.metrics.RegistryConnections.Registration metrics;

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
        // jetcd does not expose its channel; without this, gRPC's reconnect backoff (growing to 120 s)
        // would delay the first successful retry long after etcd came back.
        ManagedChannel channel = channel();
        if (channel == null) {
            return false;
        }
        try {
            channel.resetConnectBackoff();
            return true;
        } catch (RuntimeException e) {
            reflectionFailed = true;
            LOG.debug("cannot reset the gRPC reconnect backoff of the jetcd client: {}", e.toString());
            return false;
        }
    }

    /**
     * The gRPC channel's state without asking it to connect: {@code READY} (connected), {@code
     * CONNECTING}, {@code TRANSIENT_FAILURE}, {@code IDLE} (no call in progress, nothing open) or
     * {@code SHUTDOWN}; {@code UNKNOWN} when this jetcd version does not let us reach its channel.
     */
    public String channelState() {
        ManagedChannel channel = channel();
        if (channel == null) {
            return "UNKNOWN";
        }
        try {
            return channel.getState(false).name();
        } catch (RuntimeException e) {
            return "UNKNOWN";
        }
    }

    /** Whether the channel is {@link #channelState() READY}. */
    public boolean isConnected() {
        return "READY".equals(channelState());
    }

    /** jetcd's channel (it has no getter for it), or null when it cannot be reached. */
    private ManagedChannel channel() {
        if (reflectionFailed) {
            return null;
        }
        try {
            Field manager = client.getClass().getDeclaredField("connectionManager");
            manager.setAccessible(true);
            Object connectionManager = manager.get(client);
            Method getChannel = connectionManager.getClass().getDeclaredMethod("getChannel");
            getChannel.setAccessible(true);
            return (ManagedChannel) getChannel.invoke(connectionManager);
        } catch (ReflectiveOperationException | RuntimeException e) {
            reflectionFailed = true;
            LOG.debug("cannot reach the gRPC channel of the jetcd client: {}", e.toString());
            return null;
        }
    }

    void registerMetrics(io.synapse.common.metrics.RegistryConnections.Registration registration) {
        this.metrics = registration;
    }

    void close() {
        if (metrics != null) {
            metrics.close();
        }
        client.close();
    }

    @Override
    public String toString() {
        return "etcd client for " + connection;
    }
}
