package io.synapse.common.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static java.util.Objects.requireNonNull;

/**
 * The status endpoint of a daemon, on the JDK's HTTP server with one thread:
 * <ul>
 *   <li>{@code /metrics}: Prometheus text format 0.0.4 of everything recorded into Micrometer's
 *       {@link Metrics#globalRegistry} (plus JVM memory, threads, CPU and uptime);</li>
 *   <li>{@code /status}: the daemon's JSON status;</li>
 *   <li>{@code /healthz}: {@code 200 ok} or {@code 503} with one line per reason;</li>
 *   <li>{@code /}: the HTML status page.</li>
 * </ul>
 * GET and HEAD only. Starting one adds its Prometheus registry to the global registry (so the
 * meters recorded so far and from now on are exposed); closing removes it.
 *
 * <p>TCP_NODELAY: the JDK server writes a response's headers and body separately, and without
 * {@code sun.net.httpserver.nodelay=true} a small answer waits for the client's delayed ACK (about
 * 40 ms on Linux). The property is read once per JVM, when its first HTTP server is created; this
 * class sets it (unless it is set already) before creating its server.
 */
public final class StatusServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
    static final String NODELAY = "sun.net.httpserver.nodelay";
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> PATHS = Set.of("/", "/metrics", "/status", "/healthz");

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry prometheus;
    private final StatusSource source;
    private final String name;

    private StatusServer(HttpServer server, ExecutorService executor, PrometheusMeterRegistry prometheus, StatusSource source,
            String name) {
        this.server = server;
        this.executor = executor;
        this.prometheus = prometheus;
        this.source = source;
        this.name = name;
    }

    /**
     * Binds {@code settings}' address and starts serving; throws (with the address in the message)
     * when the address cannot be bound (in use, not an address of this host).
     *
     * @param name the daemon ({@code synapse}, {@code nerve}): the thread name and log lines
     */
    public static StatusServer start(StatusSettings settings, StatusSource source, String name) throws IOException {
        requireNonNull(settings, "settings is null");
        requireNonNull(source, "source is null");
        requireNonNull(name, "name is null");
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
        HttpServer server;
        try {
            server = HttpServer.create(settings.socketAddress(), 16);
        } catch (IOException e) {
            throw new IOException("status endpoint " + settings.describe() + ": cannot listen: " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name + "-status");
            t.setDaemon(true);
            return t;
        });
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        new UptimeMetrics().bindTo(prometheus);
        Metrics.globalRegistry.add(prometheus);
        StatusServer s = new StatusServer(server, executor, prometheus, source, name);
        server.createContext("/", s::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info("{}: status page, /status, /healthz and /metrics on http://{}/", name, s.describe());
        return s;
    }

    /** The bound address (the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** {@code host:port} of the bound address. */
    public String describe() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** The Prometheus registry this server exposes. */
    public PrometheusMeterRegistry registry() {
        return prometheus;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (!PATHS.contains(path)) {
                send(exchange, 404, "text/plain; charset=utf-8", "not found: try /, /status, /healthz or /metrics\n");
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "method " + method + " not allowed: use GET\n");
                return;
            }
            switch (path) {
                case "/metrics" -> send(exchange, 200, PROMETHEUS_TEXT, prometheus.scrape());
                case "/status" -> send(exchange, 200, "application/json", JSON.writeValueAsString(source.status()) + "\n");
                case "/healthz" -> {
                    List<String> reasons = source.unhealthy();
                    if (reasons.isEmpty()) {
                        send(exchange, 200, "text/plain; charset=utf-8", "ok\n");
                    } else {
                        send(exchange, 503, "text/plain; charset=utf-8", String.join("\n", reasons) + "\n");
                    }
                }
                default -> send(exchange, 200, "text/html; charset=utf-8", source.html());
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: status request {} failed: {}", name, exchange.getRequestURI(), e.toString());
            LOG.debug("status request failure", e);
            try {
                send(exchange, 500, "text/plain; charset=utf-8", "internal error: " + e + "\n");
            } catch (IOException | RuntimeException ignored) {
                // the response was already started
            }
        } finally {
            exchange.close();
        }
    }

    private static void send(HttpExchange exchange, int code, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(code, -1);
            return;
        }
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops serving and removes the Prometheus registry from the global one. Idempotent. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        Metrics.globalRegistry.remove(prometheus);
        prometheus.close();
    }
}
