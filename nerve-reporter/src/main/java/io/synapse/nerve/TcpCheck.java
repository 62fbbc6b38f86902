package io.synapse.nerve;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import static java.util.Objects.requireNonNull;

/** Passes when a TCP connection to host:port opens within the timeout. */
final class TcpCheck implements Check {
    private final CheckConfig config;

    TcpCheck(CheckConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public void run() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(config.host(), config.port()), Check.millis(config.timeout()));
        }
    }
}
