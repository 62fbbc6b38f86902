package io.synapse.haproxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.testing.Binaries;
import io.synapse.testing.FakeWatcherFactory;
import io.synapse.testing.FreePorts;
import io.synapse.testing.HttpBackends;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real HTTP through a real HAProxy that synapse configures and reloads (hitless: the new process
 * takes over the listening sockets with {@code -sf}), while requests keep flowing.
 */
class HaproxyRuntimeTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void stopHaproxy() throws Exception {
        Path pid = dir.resolve("haproxy.pid");
        if (Files.exists(pid)) {
            for (String p : Files.readAllLines(pid)) {
                ProcessHandle.of(Long.parseLong(p.trim())).ifPresent(ProcessHandle::destroy);
            }
        }
    }

    private String get(int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    @Test
    void trafficFollowsTheRegistryWithoutFailedRequests() throws Exception {
        Path haproxy = Binaries.haproxy();
        int port = FreePorts.next();
        Path cfg = dir.resolve("haproxy.cfg");
        Path pid = dir.resolve("haproxy.pid");
        String reload = haproxy + " -D -f " + cfg + " -p " + pid + " $( [ -s " + pid + " ] && echo -sf $(cat " + pid + ") )";
        try (HttpBackends a = HttpBackends.start("a"); HttpBackends b = HttpBackends.start("b"); HttpBackends c = HttpBackends.start("c")) {
            ObjectNode config = json("{'services': {'web': {'discovery': {'method': 'fake', 'id': 'runtime'},"
                    + " 'haproxy': {'bind_address': '127.0.0.1', 'listen': ['mode http', 'balance roundrobin', 'option redispatch', 'retries 3']}}}}");
            config.with("services").with("web").with("haproxy").put("port", port);
            ObjectNode global = TestConfigs.haproxyGlobal(dir);
            global.put("do_reloads", true);
            global.put("reload_command", reload);
            global.put("restart_interval", 0.2);
            global.put("do_checks", true);
            global.put("check_command", haproxy + " -c -q -f " + dir.resolve("haproxy.cfg.candidate"));
            global.set("defaults", json("{'l': ['mode http', 'timeout connect 2s', 'timeout client 10s', 'timeout server 10s']}").get("l"));
            config.set("haproxy", global);
            try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath())) {
                synapse.start();
                await().until(() -> FakeWatcherFactory.started("runtime"));
                FakeWatcherFactory.listener("runtime").onBackends(List.of(
                        io.synapse.spi.Backend.of("a", "127.0.0.1", a.port())));
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> get(port).equals("200 a"));

                // keep traffic flowing while the backend set changes and HAProxy reloads
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger ok = new AtomicInteger();
                AtomicInteger failed = new AtomicInteger();
                Thread load = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            if (get(port).startsWith("200 ")) {
                                ok.incrementAndGet();
                            } else {
                                failed.incrementAndGet();
                            }
                        } catch (Exception e) {
                            failed.incrementAndGet();
                        }
                    }
                });
                load.start();
                FakeWatcherFactory.listener("runtime").onBackends(List.of(
                        io.synapse.spi.Backend.of("a", "127.0.0.1", a.port()), io.synapse.spi.Backend.of("b", "127.0.0.1", b.port())));
                await().atMost(Duration.ofSeconds(20)).until(() -> get(port).equals("200 b") || get(port).equals("200 b"));
                FakeWatcherFactory.listener("runtime").onBackends(List.of(io.synapse.spi.Backend.of("c", "127.0.0.1", c.port())));
                await().atMost(Duration.ofSeconds(20)).until(() -> get(port).equals("200 c") && get(port).equals("200 c") && get(port).equals("200 c"));
                await().until(() -> ok.get() > 50);
                stop.set(true);
                load.join();
                assertThat(failed.get()).as("failed requests out of %s", ok.get() + failed.get()).isZero();
            }
        }
    }

    @Test
    void aRubyConfigChangesServersThroughTheStatsSocketWithoutReloads() throws Exception {
        // the Ruby Synapse's setup: reload_command, socket_file_path, HAProxy without master-worker
        Path haproxy = Binaries.haproxy();
        int port = FreePorts.next();
        Path cfg = dir.resolve("haproxy.cfg");
        Path pid = dir.resolve("haproxy.pid");
        Path reloads = dir.resolve("reloads.log");
        Path sock = dir.resolve("haproxy.sock");
        String reload = "echo reload >> " + reloads + " && " + haproxy + " -D -f " + cfg + " -p " + pid
                + " $( [ -s " + pid + " ] && echo -sf $(cat " + pid + ") )";
        try (HttpBackends a = HttpBackends.start("a"); HttpBackends b = HttpBackends.start("b"); HttpBackends c = HttpBackends.start("c")) {
            ObjectNode config = json("{'services': {'web': {'discovery': {'method': 'fake', 'id': 'socket'},"
                    + " 'haproxy': {'bind_address': '127.0.0.1', 'listen': ['mode http', 'balance roundrobin']}}}}");
            config.with("services").with("web").with("haproxy").put("port", port);
            ObjectNode global = TestConfigs.haproxyGlobal(dir);
            global.put("do_reloads", true);
            global.put("reload_command", reload);
            global.put("restart_interval", 0.2);
            global.put("do_socket", true);
            global.put("socket_file_path", sock.toString());
            global.set("global", json("{'l': ['stats socket " + sock + " mode 600 level admin']}").get("l"));
            config.set("haproxy", global);
            io.synapse.spi.Backend ba = io.synapse.spi.Backend.of("a", "127.0.0.1", a.port());
            io.synapse.spi.Backend bb = io.synapse.spi.Backend.of("b", "127.0.0.1", b.port());
            io.synapse.spi.Backend bc = io.synapse.spi.Backend.of("c", "127.0.0.1", c.port());
            try (Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath())) {
                synapse.start();
                await().until(() -> FakeWatcherFactory.started("socket"));
                FakeWatcherFactory.listener("socket").onBackends(List.of(ba, bb));
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> get(port).equals("200 b"));
                await().until(() -> Files.exists(sock));
                assertThat(Files.readAllLines(reloads)).hasSize(1);

                // b leaves: deleted through the socket, no reload
                FakeWatcherFactory.listener("socket").onBackends(List.of(ba));
                await().until(() -> !Files.readString(cfg).contains("127.0.0.1:" + b.port()));
                await().until(() -> get(port).equals("200 a") && get(port).equals("200 a") && get(port).equals("200 a"));
                await().until(() -> !RuntimeApi.send(sock, "show servers state web\n").contains("b_127.0.0.1:" + b.port()));
                // b comes back, and c is new to HAProxy: both added through the socket, still no reload
                FakeWatcherFactory.listener("socket").onBackends(List.of(ba, bb, bc));
                await().atMost(Duration.ofSeconds(20)).until(() -> get(port).equals("200 c") || get(port).equals("200 c") || get(port).equals("200 c"));
                await().until(() -> get(port).equals("200 b") || get(port).equals("200 b") || get(port).equals("200 b"));
                assertThat(Files.readAllLines(reloads)).hasSize(1);
                assertThat(RuntimeApi.send(sock, "show servers state web\n")).contains(" b_127.0.0.1:" + b.port() + " ", " c_127.0.0.1:" + c.port() + " ");
            }
        }
    }
}
