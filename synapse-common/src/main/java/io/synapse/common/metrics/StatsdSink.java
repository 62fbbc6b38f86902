package io.synapse.common.metrics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * Fire-and-forget statsd metrics over UDP, for synapse and nerve ({@code statsd: {host, port}}).
 * Metric names are built from parts with {@link #name}, which makes each part safe for the line
 * format: a service called {@code web:8080.v2} becomes {@code web_8080_v2}, so it can neither end
 * the name ({@code :}) nor add a level ({@code .}). A failed send is logged once at DEBUG.
 */
public final class StatsdSink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatsdSink.class);

    private final DatagramSocket socket;
    private final InetSocketAddress target;
    private final AtomicBoolean warned = new AtomicBoolean();

    public StatsdSink(String host, int port) throws IOException {
        requireNonNull(host, "host is null");
        this.socket = new DatagramSocket();
        this.target = new InetSocketAddress(host, port);
    }

    /** Joins parts with {@code .}, each reduced to letters, digits, {@code _} and {@code -}. */
    public static String name(String... parts) {
        StringBuilder out = new StringBuilder();
        for (String part : parts) {
            if (out.length() > 0) {
                out.append('.');
            }
            for (int i = 0; i < part.length(); i++) {
                char c = part.charAt(i);
                boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
                out.append(ok ? c : '_');
            }
        }
        return out.toString();
    }

    /** A counter; {@code name} should come from {@link #name}. */
    public void count(String name, long value) {
        send(name + ":" + value + "|c");
    }

    /** A gauge; {@code name} should come from {@link #name}. */
    public void gauge(String name, long value) {
        send(name + ":" + value + "|g");
    }

    /** A timer in milliseconds. */
    public void timing(String name, long millis) {
        send(name + ":" + millis + "|ms");
    }

    private void send(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        try {
            socket.send(new DatagramPacket(b, b.length, target));
        } catch (IOException | RuntimeException e) {
            if (warned.compareAndSet(false, true)) {
                LOG.debug("statsd send to {} failed: {}", target, e.toString());
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
