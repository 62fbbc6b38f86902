package io.synapse.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client loop on loopback that counts every request: some threads reuse one keep-alive
 * connection (reconnecting when it is closed), the others open a new connection per request. Plain
 * HTTP/1.1 on sockets, no retries, so a failure is never hidden. Every response must be a 200.
 */
public final class HttpLoad implements AutoCloseable {
    private final int port;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<String, AtomicLong> bodies = new ConcurrentHashMap<>();
    private final List<String> failures = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private HttpLoad(int port) {
        this.port = port;
    }

    /** Starts {@code keepAlive} threads on kept connections and {@code fresh} threads on a new connection per request. */
    public static HttpLoad start(int port, int keepAlive, int fresh) {
        HttpLoad load = new HttpLoad(port);
        for (int i = 0; i < keepAlive + fresh; i++) {
            boolean reuse = i < keepAlive;
            Thread t = new Thread(() -> load.loop(reuse), "http-load-" + i);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    public long ok() {
        return ok.get();
    }

    public long failed() {
        return failed.get();
    }

    /** Requests answered, by response body. */
    public long answeredBy(String body) {
        AtomicLong n = bodies.get(body);
        return n == null ? 0 : n.get();
    }

    /** The first failures, for assertion messages. */
    public synchronized List<String> failures() {
        return List.copyOf(failures);
    }

    private void loop(boolean reuse) {
        Socket socket = null;
        InputStream in = null;
        while (!stop.get()) {
            try {
                if (socket == null) {
                    socket = new Socket(InetAddress.getLoopbackAddress(), port);
                    socket.setSoTimeout(10_000);
                    socket.setTcpNoDelay(true);
                    in = new BufferedInputStream(socket.getInputStream());
                }
                Response r = request(socket, in, reuse);
                if (r.status == 200) {
                    ok.incrementAndGet();
                    bodies.computeIfAbsent(r.body, k -> new AtomicLong()).incrementAndGet();
                } else {
                    fail("status " + r.status + ": " + r.body);
                }
                if (!reuse || r.close) {
                    socket.close();
                    socket = null;
                }
            } catch (IOException e) {
                fail((reuse ? "keep-alive: " : "new connection: ") + e);
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing a broken connection
                    }
                    socket = null;
                }
            }
        }
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // stopping
            }
        }
    }

    private synchronized void fail(String what) {
        if (stop.get()) {
            return;
        }
        failed.incrementAndGet();
        if (failures.size() < 20) {
            failures.add(what);
        }
    }

    private record Response(int status, String body, boolean close) {}

    /** One GET on a new connection: {@code "200 <body>"}. */
    public static String get(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            Response r = new HttpLoad(port).request(socket, new BufferedInputStream(socket.getInputStream()), false);
            return r.status + " " + r.body;
        }
    }

    private Response request(Socket socket, InputStream in, boolean keepAlive) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = line(in);
        if (status == null) {
            throw new IOException("connection closed before a response");
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        int length = -1;
        boolean close = false;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(h.substring(15).trim());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (length >= 0) {
            body.write(in.readNBytes(length));
        } else {
            in.transferTo(body);
            close = true;
        }
        return new Response(code, body.toString(StandardCharsets.UTF_8), close);
    }

    /** One CRLF-terminated line, or null at the end of the stream. Reads byte by byte: the stream is shared with the body. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
    }

    /** Stops the threads and waits for them. */
    @Override
    public void close() {
        stop.set(true);
        for (Thread t : threads) {
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
