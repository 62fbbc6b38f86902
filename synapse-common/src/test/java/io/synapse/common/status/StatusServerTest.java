package io.synapse.common.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatusServerTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final List<String> problems = new ArrayList<>();
    private final StatusSource source = new StatusSource() {
        @Override
        public JsonNode status() {
            return JsonNodeFactory.instance.objectNode().put("daemon", "test").put("problems", problems.size());
        }

        @Override
        public List<String> unhealthy() {
            return List.copyOf(problems);
        }

        @Override
        public String html() {
            return new HtmlPage("test <page>").problems(problems).render();
        }
    };
    private StatusServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<String> request(String method, String path) throws Exception {
        URI uri = URI.create("http://" + server.describe() + path);
        return HTTP.send(HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheFourEndpointsOnLoopback() throws Exception {
        server = StatusServer.start(new StatusSettings("127.0.0.1", 0), source, "test");
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(System.getProperty("sun.net.httpserver.nodelay")).isEqualTo("true");
        Counter counter = Counter.builder("test.status.requests").tag("service", "api").register(Metrics.globalRegistry);
        try {
            counter.increment(3);
            HttpResponse<String> metrics = request("GET", "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
            assertThat(metrics.body()).contains("# TYPE test_status_requests_total counter\n")
                    .contains("test_status_requests_total{service=\"api\"} 3.0\n")
                    .contains("jvm_memory_used_bytes{");

            HttpResponse<String> status = request("GET", "/status");
            assertThat(status.headers().firstValue("Content-Type")).contains("application/json");
            assertThat(new ObjectMapper().readTree(status.body()).get("daemon").asText()).isEqualTo("test");

            HttpResponse<String> health = request("GET", "/healthz");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok\n");
            problems.add("service api: watcher failing: connection refused");
            problems.add("generator haproxy: last update failed: disk full");
            health = request("GET", "/healthz");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).isEqualTo("service api: watcher failing: connection refused\ngenerator haproxy: last update failed: disk full\n");

            HttpResponse<String> page = request("GET", "/");
            assertThat(page.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
            assertThat(page.body()).contains("<title>test &lt;page&gt;</title>").contains("<li>generator haproxy: last update failed: disk full</li>");
        } finally {
            Metrics.globalRegistry.remove(counter);
        }
    }

    @Test
    void getAndHeadOnlyAndNothingElse() throws Exception {
        server = StatusServer.start(new StatusSettings("127.0.0.1", 0), source, "test");
        HttpResponse<String> post = request("POST", "/healthz");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
        HttpResponse<String> head = request("HEAD", "/status");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        HttpResponse<String> missing = request("GET", "/admin");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("not found: try /, /status, /healthz or /metrics\n");
    }

    @Test
    void aSourceThatFailsIsA500AndTheServerGoesOn() throws Exception {
        server = StatusServer.start(new StatusSettings("127.0.0.1", 0), new StatusSource() {
            @Override
            public JsonNode status() {
                throw new IllegalStateException("broken");
            }

            @Override
            public List<String> unhealthy() {
                return List.of();
            }

            @Override
            public String html() {
                return "";
            }
        }, "test");
        HttpResponse<String> status = request("GET", "/status");
        assertThat(status.statusCode()).isEqualTo(500);
        assertThat(status.body()).isEqualTo("internal error: java.lang.IllegalStateException: broken\n");
        assertThat(request("GET", "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void anAddressInUseIsAnErrorNamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> StatusServer.start(new StatusSettings("127.0.0.1", port), source, "test"))
                    .isInstanceOf(IOException.class)
                    .hasMessage("status endpoint 127.0.0.1:" + port + ": cannot listen: Address already in use");
        }
    }

    @Test
    void closingRemovesItsRegistryFromTheGlobalOne() throws Exception {
        server = StatusServer.start(new StatusSettings("127.0.0.1", 0), source, "test");
        assertThat(Metrics.globalRegistry.getRegistries()).contains(server.registry());
        server.close();
        assertThat(Metrics.globalRegistry.getRegistries()).doesNotContain(server.registry());
        server = null;
    }
}
