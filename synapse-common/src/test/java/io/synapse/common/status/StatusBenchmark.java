package io.synapse.common.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;

/**
 * Latency of the status endpoint over one keep-alive connection, with and without TCP_NODELAY:
 * {@code bin/benchmark synapse-common io.synapse.common.status.StatusBenchmark [--nodelay true|false] [--requests N]}.
 * The JDK server reads {@code sun.net.httpserver.nodelay} once per JVM, so run it once per setting.
 */
public final class StatusBenchmark {
    public static void main(String[] args) throws Exception {
        String nodelay = "true";
        int requests = 200;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--nodelay" -> nodelay = args[++i];
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.setProperty("sun.net.httpserver.nodelay", nodelay);
        StatusSource source = new StatusSource() {
            @Override
            public JsonNode status() {
                return JsonNodeFactory.instance.objectNode().put("daemon", "benchmark");
            }

            @Override
            public List<String> unhealthy() {
                return List.of();
            }

            @Override
            public String html() {
                return new HtmlPage("benchmark").render();
            }
        };
        for (int i = 0; i < 100; i++) {
            Counter.builder("benchmark.requests").tag("service", "s" + i).register(Metrics.globalRegistry).increment(i);
        }
        try (StatusServer server = StatusServer.start(new StatusSettings("127.0.0.1", 0), source, "benchmark")) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (String path : List.of("/healthz", "/status", "/metrics", "/")) {
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + server.describe() + path)).build();
                for (int i = 0; i < 20; i++) {
                    client.send(request, HttpResponse.BodyHandlers.ofString());
                }
                long[] nanos = new long[requests];
                int bytes = 0;
                for (int i = 0; i < requests; i++) {
                    long start = System.nanoTime();
                    bytes = client.send(request, HttpResponse.BodyHandlers.ofString()).body().length();
                    nanos[i] = System.nanoTime() - start;
                }
                Arrays.sort(nanos);
                System.out.printf("nodelay=%s %-8s %6d bytes: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (%d requests, one connection)%n",
                        nodelay, path, bytes, nanos[requests / 2] / 1e6, nanos[requests * 9 / 10] / 1e6, nanos[requests * 99 / 100] / 1e6,
                        requests);
            }
        }
    }
}
