package io.synapse.nerve;

import io.synapse.common.registry.RegistryValues;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static java.util.Objects.requireNonNull;

/**
 * {@code PING} (expects {@code +PONG}), then the harmless read {@code EXISTS nerve-redis-service-check}
 * (expects an integer reply: a loading, read-only-replica-without-master or auth-protected Redis
 * answers with an error). All within the check's timeout.
 */
final class RedisCheck implements Check {
    static final String PROBE_KEY = "nerve-redis-service-check";
    private final CheckConfig config;

    RedisCheck(CheckConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public void run() throws Exception {
        long deadline = System.nanoTime() + config.timeout().toNanos();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(config.host(), config.port()), Check.millis(config.timeout()));
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(command("PING"));
            out.flush();
            String pong = readLine(socket, in, deadline);
            if (!pong.equals("+PONG")) {
                throw new CheckFailure("PING replied " + RegistryValues.quote(pong));
            }
            out.write(command("EXISTS", PROBE_KEY));
            out.flush();
            String exists = readLine(socket, in, deadline);
            if (!exists.startsWith(":")) {
                throw new CheckFailure("EXISTS replied " + RegistryValues.quote(exists));
            }
        }
    }

    static byte[] command(String... args) {
        StringBuilder s = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            s.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String readLine(Socket socket, InputStream in, long deadline) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (line.size() < 512) {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Check.remainingMillis(deadline)));
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed by redis");
            }
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
