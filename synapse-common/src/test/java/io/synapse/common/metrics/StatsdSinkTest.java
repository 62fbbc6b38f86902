package io.synapse.common.metrics;

import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class StatsdSinkTest {
    @Test
    void namesCannotBreakTheLineFormat() {
        assertThat(StatsdSink.name("synapse", "service", "web:8080.v2|x\n", "backends"))
                .isEqualTo("synapse.service.web_8080_v2_x_.backends");
        assertThat(StatsdSink.name("nerve", "service", "api-1_a", "up")).isEqualTo("nerve.service.api-1_a.up");
    }

    @Test
    void sendsCountersGaugesAndTimersOverUdp() throws Exception {
        try (DatagramSocket server = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                StatsdSink sink = new StatsdSink("127.0.0.1", server.getLocalPort())) {
            server.setSoTimeout(5_000);
            sink.count(StatsdSink.name("a", "b.c"), 2);
            sink.gauge("g", 7);
            sink.timing("t", 12);
            assertThat(receive(server)).isEqualTo("a.b_c:2|c");
            assertThat(receive(server)).isEqualTo("g:7|g");
            assertThat(receive(server)).isEqualTo("t:12|ms");
        }
    }

    private static String receive(DatagramSocket server) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[512], 512);
        server.receive(p);
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }
}
