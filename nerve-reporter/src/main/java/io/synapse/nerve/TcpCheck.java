package io.synapse.nerve;

import io.synapse.common.registry.RegistryValues;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;

import static java.util.Objects.requireNonNull;

/**
 * Passes when a TCP connection to host:port opens within the timeout. When the host is an IP
 * address the check runs without a thread of its own ({@link #start}, on the shared {@link
 * TcpConnector}); a host name is resolved at every check, so that check blocks a worker
 * ({@link #run}) like the other checks.
 */
final class TcpCheck implements Check {
    private final CheckConfig config;
    /** The address when the host is an IP address (nothing to resolve), else {@code null}. */
    private final InetSocketAddress address;

    TcpCheck(CheckConfig config) {
        this.config = requireNonNull(config, "config is null");
        this.address = RegistryValues.isIpAddress(config.host()) ? literal(config.host(), config.port()) : null;
    }

    private static InetSocketAddress literal(String host, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port); // an IP address: no lookup
        } catch (UnknownHostException e) {
            return null;
        }
    }

    @Override
    public String name() {
        return config.name();
    }

    /** Whether {@link #start} may be used (the host needs no resolving). */
    boolean nonBlocking() {
        return address != null;
    }

    /** Connects without blocking (see {@link TcpConnector#connect}); only when {@link #nonBlocking()}. */
    void start(TcpConnector connector, TcpConnector.Callback callback) {
        connector.connect(address, config.timeout().toNanos(), callback);
    }

    @Override
    public void run() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address != null ? address : new InetSocketAddress(config.host(), config.port()),
                    Check.millis(config.timeout()));
        }
    }
}
