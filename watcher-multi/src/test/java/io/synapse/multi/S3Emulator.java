package io.synapse.multi;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * An in-process S3 for tests, speaking the S3 REST protocol (path-style {@code GET /bucket/key})
 * to the real AWS SDK on 127.0.0.1: objects with an MD5 ETag, {@code If-None-Match} answered with
 * 304, SigV4-signed requests required ({@code AccessDenied} 403 for another access key or none),
 * {@code NoSuchBucket}/{@code NoSuchKey} 404, and scripted failures ({@code SlowDown} 503...) for
 * the next requests. Every request is recorded.
 */
final class S3Emulator implements AutoCloseable {
    static final String ACCESS_KEY = "AKIDEMULATOR";
    static final String SECRET_KEY = "emulator-secret";

    /** One request as received. */
    record Request(String method, String path, String ifNoneMatch, String authorization, int status) {}

    private record Failure(int status, String code, String message) {}

    private final HttpServer server;
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private final Deque<Failure> failures = new ArrayDeque<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile boolean denyAll;

    private S3Emulator(HttpServer server) {
        this.server = server;
    }

    static S3Emulator start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            S3Emulator emulator = new S3Emulator(server);
            server.createContext("/", emulator::handle);
            server.setExecutor(Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "s3-emulator");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return emulator;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void createBucket(String bucket) {
        objects.put(bucket + "/", new byte[0]);
    }

    void put(String bucket, String key, String text) {
        objects.put(bucket + "/" + key, text.getBytes(StandardCharsets.UTF_8));
    }

    void delete(String bucket, String key) {
        objects.remove(bucket + "/" + key);
    }

    /** The next {@code times} requests fail with this status and S3 error code. */
    void failNext(int times, int status, String code, String message) {
        synchronized (failures) {
            for (int i = 0; i < times; i++) {
                failures.add(new Failure(status, code, message));
            }
        }
    }

    /** Every request is refused with 403 AccessDenied (a bucket policy that no longer allows us). */
    void denyAll(boolean deny) {
        denyAll = deny;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    static String etag(String text) {
        try {
            return "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8))) + "\"";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = URLDecoder.decode(exchange.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        String ifNoneMatch = exchange.getRequestHeaders().getFirst("If-None-Match");
        int status;
        try {
            status = respond(exchange, path, auth, ifNoneMatch);
        } finally {
            exchange.close();
        }
        requests.add(new Request(exchange.getRequestMethod(), path, ifNoneMatch, auth, status));
    }

    private int respond(HttpExchange exchange, String path, String auth, String ifNoneMatch) throws IOException {
        exchange.getRequestBody().readAllBytes();
        Failure failure;
        synchronized (failures) {
            failure = failures.poll();
        }
        if (failure != null) {
            return error(exchange, failure.status(), failure.code(), failure.message(), path);
        }
        if (denyAll || auth == null || !auth.startsWith("AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/")
                || !auth.contains("/s3/aws4_request") || !auth.contains("Signature=")) {
            return error(exchange, 403, "AccessDenied", "Access Denied", path);
        }
        if (!exchange.getRequestMethod().equals("GET")) {
            return error(exchange, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.", path);
        }
        String[] parts = path.substring(1).split("/", 2);
        if (!objects.containsKey(parts[0] + "/")) {
            return error(exchange, 404, "NoSuchBucket", "The specified bucket does not exist", path);
        }
        byte[] body = parts.length < 2 ? null : objects.get(parts[0] + "/" + parts[1]);
        if (body == null) {
            return error(exchange, 404, "NoSuchKey", "The specified key does not exist.", path);
        }
        String text = new String(body, StandardCharsets.UTF_8);
        String etag = etag(text);
        exchange.getResponseHeaders().add("ETag", etag);
        exchange.getResponseHeaders().add("x-amz-request-id", "R" + requests.size());
        exchange.getResponseHeaders().add("Last-Modified",
                DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)));
        if (etag.equals(ifNoneMatch)) {
            exchange.sendResponseHeaders(304, -1);
            return 304;
        }
        exchange.getResponseHeaders().add("Content-Type", "application/x-yaml");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        return 200;
    }

    private static int error(HttpExchange exchange, int status, String code, String message, String resource) throws IOException {
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message
                + "</Message><Resource>" + resource + "</Resource><RequestId>emulated</RequestId></Error>")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/xml");
        exchange.getResponseHeaders().add("x-amz-request-id", "emulated");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        return status;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
