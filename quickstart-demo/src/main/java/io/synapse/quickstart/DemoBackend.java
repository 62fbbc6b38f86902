package io.synapse.quickstart;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static java.util.Objects.requireNonNull;

/**
 * One of the quickstart's HTTP backends on 127.0.0.1: {@code GET /} answers its name,
 * {@code GET /health} (nerve's check) answers 200, or 503 while it is made to fail.
 */
final class DemoBackend implements AutoCloseable {
    private final String name;
    private final HttpServer server;
    private final ExecutorService executor;
    private volatile boolean healthy = true;

    private DemoBackend(String name) throws IOException {
        this.name = requireNonNull(name, "name is null");
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, name + "-http");
            t.setDaemon(true);
            return t;
        });
        server.createContext("/health", exchange -> answer(exchange, healthy ? 200 : 503,
                healthy ? "ok\n" : "failing (made to fail by the quickstart)\n"));
        server.createContext("/", exchange -> answer(exchange, 200, name + "\n"));
        server.setExecutor(executor);
        server.start();
    }

    static DemoBackend start(String name) throws IOException {
        return new DemoBackend(name);
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    String name() {
        return name;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Makes {@code /health} answer 503 (false) or 200 (true). */
    void setHealthy(boolean healthy) {
        this.healthy = healthy;
    }

    /** Stops listening at once (the port is free when this returns). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
