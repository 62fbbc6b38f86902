package io.synapse.nerve;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Fire-and-forget statsd counters over UDP: {@code nerve.service.<name>.up}, {@code .down},
 * {@code .report_failed}. A send failure is logged once at DEBUG and otherwise ignored.
 */
final class Statsd implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Statsd.class);
    private final InetSocketAddress target;
    private final DatagramSocket socket;

    Statsd(NerveConfig.StatsdConfig config) throws IOException {
        this.target = new InetSocketAddress(config.host(), config.port());
        this.socket = new DatagramSocket();
    }

    void increment(String service, String event) {
        String metric = "nerve.service." + service.replaceAll("[^A-Za-z0-9_-]", "_") + "." + event + ":1|c";
        byte[] bytes = metric.getBytes(StandardCharsets.UTF_8);
        try {
            socket.send(new DatagramPacket(bytes, bytes.length, target));
        } catch (IOException | RuntimeException e) {
            log.debug("statsd send to {} failed: {}", target, e.toString());
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
