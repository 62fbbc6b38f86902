package io.synapse.nerve;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A real local HTTP server whose answers the test scripts: queued statuses first, then the default. */
final class ScriptedHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final ConcurrentLinkedQueue<Integer> script = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final Map<String, String> lastHeaders = new ConcurrentHashMap<>();
    private volatile int status = 200;
    private volatile String body = "ok";

    ScriptedHttpServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "test-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", exchange -> {
            exchange.getRequestHeaders().forEach((k, v) -> lastHeaders.put(k.toLowerCase(), String.join(",", v)));
            Integer scripted = script.poll();
            int code = scripted != null ? scripted : status;
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            if (code >= 300 && code < 400) {
                exchange.getResponseHeaders().add("Location", "/elsewhere");
            }
            exchange.sendResponseHeaders(code, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
            requests.incrementAndGet();
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    void status(int code) {
        status = code;
    }

    void body(String text) {
        body = text;
    }

    /** Answers the next requests with these statuses, in order. */
    void script(int... codes) {
        for (int c : codes) {
            script.add(c);
        }
    }

    boolean scriptDone() {
        return script.isEmpty();
    }

    int requests() {
        return requests.get();
    }

    String header(String name) {
        return lastHeaders.get(name.toLowerCase());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
