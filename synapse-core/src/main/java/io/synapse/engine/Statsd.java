package io.synapse.engine;

import io.synapse.config.SynapseConfig;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Fire-and-forget statsd metrics over UDP ({@code statsd: {host, port}}). */
final class Statsd implements AutoCloseable {
    private final DatagramSocket socket;
    private final InetSocketAddress target;

    Statsd(SynapseConfig.StatsdConfig config) throws IOException {
        this.socket = new DatagramSocket();
        this.target = new InetSocketAddress(config.host(), config.port());
    }

    void count(String name, long value) {
        send(name + ":" + value + "|c");
    }

    void gauge(String name, long value) {
        send(name + ":" + value + "|g");
    }

    private void send(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        try {
            socket.send(new DatagramPacket(b, b.length, target));
        } catch (IOException | IllegalArgumentException e) {
            // metrics are best effort
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
