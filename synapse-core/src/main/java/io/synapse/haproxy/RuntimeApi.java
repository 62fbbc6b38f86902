package io.synapse.haproxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** HAProxy's runtime API over its stats socket(s) ({@code level admin}). */
final class RuntimeApi {
    private final List<Path> sockets;

    RuntimeApi(List<Path> sockets) {
        this.sockets = List.copyOf(sockets);
    }

    /**
     * Sends the commands to every socket (one connection each, commands separated by {@code ;});
     * throws when a socket cannot be reached or HAProxy answers anything but empty lines.
     */
    void run(List<String> commands) throws IOException {
        if (commands.isEmpty()) {
            return;
        }
        String payload = String.join(";", commands) + "\n";
        for (Path socket : sockets) {
            String answer = send(socket, payload).strip();
            if (!answer.isEmpty()) {
                throw new IOException("haproxy socket " + socket + " answered: " + answer.lines().findFirst().orElse(answer));
            }
        }
    }

    static String send(Path socket, String payload) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(payload.getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.shutdownOutput();
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) > 0) {
                in.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return in.toString(StandardCharsets.UTF_8);
        }
    }
}
