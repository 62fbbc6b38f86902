package io.synapse.marathon;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.common.config.ConfigException;
import io.synapse.config.Plugins;
import io.synapse.testing.Binaries;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import io.synapse.testing.HttpBackends;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Through the engine: Marathon apps and tasks to haproxy.cfg, checked by the real haproxy, and real HTTP through it. */
class MarathonEndToEndTest {
    @TempDir
    Path dir;

    MarathonEmulator marathon;

    @BeforeEach
    void start() {
        marathon = MarathonEmulator.start();
    }

    @AfterEach
    void stop() throws Exception {
        marathon.close();
        Path pid = dir.resolve("haproxy.pid");
        if (Files.exists(pid)) {
            for (String p : Files.readAllLines(pid)) {
                ProcessHandle.of(Long.parseLong(p.trim())).ifPresent(ProcessHandle::destroy);
            }
        }
    }

    private String cfg() throws Exception {
        Path p = dir.resolve("haproxy.cfg");
        return Files.exists(p) ? Files.readString(p) : "";
    }

    private Synapse synapse(ObjectNode config) throws Exception {
        if (!config.has("haproxy")) {
            config.set("haproxy", TestConfigs.haproxyGlobal(dir));
        }
        Synapse synapse = Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath());
        synapse.start();
        assertThat(synapse.awaitInitialized(Duration.ofSeconds(20))).as("initialized, missing %s", synapse.uninitializedServices()).isTrue();
        return synapse;
    }

    /** The seed's catalog: group external, Marathon-LB's backend defaults. */
    private ObjectNode seedConfig() {
        ObjectNode lb = json("{'method': 'marathon', 'group': 'external', 'haproxy': {'bind_address': '*',"
                + " 'server_options': 'check inter 60s fall 4', 'backend': ['balance roundrobin', 'option forwardfor',"
                + " 'http-request set-header X-Forwarded-Port %[dst_port]', 'option httpchk GET /', 'timeout check 20s']}}");
        lb.put("marathon_api_url", marathon.url());
        // `services` is required even when a catalog defines every service
        ObjectNode config = json("{'services': {}, 'catalogs': {}}");
        config.with("catalogs").set("lb", lb);
        return config;
    }

    @Test
    void theSeedsNginx2GetsAFrontendOnItsServicePortAndFollowsItsTasks() throws Exception {
        marathon.createApp(MarathonCatalogTest.NGINX2.replace("\"instances\": 1", "\"instances\": 0"));
        String task = marathon.startTask("nginx2", "192.168.59.2", 31270);
        try (Synapse synapse = synapse(seedConfig())) {
            await().untilAsserted(() -> assertThat(cfg()).contains(
                    "frontend nginx2_10000\n\tmode http\n\tbind *:10000\n\tdefault_backend nginx2_10000\n",
                    "backend nginx2_10000\n\tbalance roundrobin\n\toption forwardfor\n",
                    "\toption httpchk GET /\n\ttimeout check 20s\n\tmode http\n",
                    "\tserver 192.168.59.2_192.168.59.2:31270 192.168.59.2:31270 id 1 cookie 192.168.59.2_192.168.59.2:31270"
                            + " check inter 60s fall 4\n"));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));

            // scaled up: two more tasks on other agents
            marathon.scale("nginx2", 3);
            await().untilAsserted(() -> assertThat(cfg()).contains("192.168.59.2:31270", "10.0.1.1:31000", "10.0.1.2:31001"));
            // moved: the old address leaves, the new one arrives
            String moved = marathon.moveTask(task, "192.168.59.3", 31888);
            await().untilAsserted(() -> assertThat(cfg()).contains("192.168.59.3:31888").doesNotContain("192.168.59.2:31270"));
            // failing its health check: out of the backend
            marathon.setHealth(moved, false);
            await().untilAsserted(() -> assertThat(cfg()).doesNotContain("192.168.59.3:31888").contains("10.0.1.1:31000"));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));

            // Marathon without a leader: the file keeps what it has
            marathon.setUnavailable(true);
            await().until(() -> marathon.requests().stream().anyMatch(r -> r.startsWith("GET /v2/events")) && marathon.openStreams() == 0);
            String during = cfg();
            marathon.setUnavailable(false);
            assertThat(during).contains("10.0.1.1:31000", "10.0.1.2:31001");

            // another app of the group appears; nginx2 is destroyed
            marathon.createApp("{\"id\": \"/shop/api\", \"labels\": {\"HAPROXY_GROUP\": \"external\", \"HAPROXY_0_MODE\": \"tcp\"},"
                    + " \"portDefinitions\": [{\"port\": 10001}]}");
            await().untilAsserted(() -> assertThat(cfg()).contains("frontend shop_api_10001\n\tmode tcp\n\tbind *:10001\n"));
            marathon.destroyApp("nginx2");
            await().untilAsserted(() -> assertThat(cfg()).doesNotContain("nginx2").contains("backend shop_api_10001\n"));
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
            assertThat(synapse.serviceNames()).containsExactly("shop_api_10001");
        }
    }

    @Test
    void staticServicesAndTheCatalogShareOneEventStream() throws Exception {
        marathon.createApp(MarathonCatalogTest.NGINX2);
        marathon.createApp("{\"id\": \"api\", \"instances\": 2, \"portDefinitions\": [{\"port\": 0}, {\"port\": 0}]}");
        ObjectNode config = seedConfig();
        ObjectNode services = config.with("services");
        for (String name : new String[] {"api", "api-admin"}) {
            ObjectNode discovery = json("{'method': 'marathon', 'application_name': 'api', 'check_interval': 11}");
            discovery.put("marathon_api_url", marathon.url());
            if (name.equals("api-admin")) {
                discovery.put("port_index", 1);
            }
            ObjectNode service = services.putObject(name);
            service.set("discovery", discovery);
            service.putObject("haproxy").put("port", FreePorts.next()).put("bind_address", "127.0.0.1");
        }
        try (Synapse synapse = synapse(config)) {
            // nginx2's task went to 10.0.1.1 (host port 31000), api's two to 10.0.1.2 and 10.0.1.3 (two host ports each)
            await().untilAsserted(() -> assertThat(cfg()).contains("backend api\n", "backend api-admin\n", "backend nginx2_10000\n",
                    "server 10.0.1.2_10.0.1.2:31001 ", "server 10.0.1.3_10.0.1.3:31003 ", "server 10.0.1.2_10.0.1.2:31002 ",
                    "server 10.0.1.3_10.0.1.3:31004 ", "server 10.0.1.1_10.0.1.1:31000 "));
            assertThat(marathon.openStreams()).isEqualTo(1);
            assertThat(marathon.streamConnects()).isEqualTo(1);
            marathon.scale("api", 3);
            marathon.scale("nginx2", 2);
            await().untilAsserted(() -> assertThat(cfg().split("\tserver ", -1)).hasSize(1 + 3 + 3 + 2));
            assertThat(marathon.fullReads()).isEqualTo(1);
            Haproxy.assertValid(dir.resolve("haproxy.cfg"));
        }
    }

    /** {@code GET /} with a Host header, over a plain socket (the JDK client will not set Host). */
    private static String get(int port, String host) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String status = response.substring(response.indexOf(' ') + 1, response.indexOf(' ') + 4);
            return status + " " + response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    void virtualHostsRouteRealRequestsThroughTheSharedFrontend() throws Exception {
        Path haproxy = Binaries.haproxy();
        int shared = FreePorts.next();
        int sitePort = FreePorts.next();
        Path cfg = dir.resolve("haproxy.cfg");
        Path pid = dir.resolve("haproxy.pid");
        try (HttpBackends a = HttpBackends.start("a"); HttpBackends b = HttpBackends.start("b"); HttpBackends c = HttpBackends.start("c")) {
            marathon.createApp("{\"id\": \"site\", \"instances\": 0, \"labels\": {\"HAPROXY_GROUP\": \"external\","
                    + " \"HAPROXY_0_VHOST\": \"www.example.com,example.com\"}, \"portDefinitions\": [{\"port\": " + sitePort + "}]}");
            marathon.createApp("{\"id\": \"blog\", \"instances\": 0, \"labels\": {\"HAPROXY_GROUP\": \"external\","
                    + " \"HAPROXY_0_VHOST\": \"blog.example.com\"}, \"portDefinitions\": [{\"port\": " + FreePorts.next() + "}]}");
            String siteTask = marathon.startTask("site", "127.0.0.1", a.port());
            marathon.startTask("blog", "127.0.0.1", b.port());

            ObjectNode config = seedConfig();
            config.with("catalogs").with("lb").set("haproxy", json("{'bind_address': '127.0.0.1', 'backend': ['balance roundrobin']}"));
            ObjectNode global = TestConfigs.haproxyGlobal(dir);
            global.put("do_reloads", true);
            global.put("reload_command", haproxy + " -D -f " + cfg + " -p " + pid + " $( [ -s " + pid + " ] && echo -sf $(cat " + pid + ") )");
            global.put("restart_interval", 0.2);
            global.put("do_checks", true);
            global.put("check_command", haproxy + " -c -q -f " + dir.resolve("haproxy.cfg.candidate"));
            global.set("shared_frontend", json("{'l': ['bind 127.0.0.1:" + shared + "', 'mode http']}").get("l"));
            config.set("haproxy", global);
            try (Synapse synapse = synapse(config)) {
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> get(shared, "www.example.com").equals("200 a"));
                assertThat(get(shared, "example.com:" + shared)).isEqualTo("200 a");
                assertThat(get(shared, "blog.example.com")).isEqualTo("200 b");
                assertThat(get(shared, "nobody.example.com")).startsWith("503 ");
                // the app's own frontend on its service port
                assertThat(get(sitePort, "anything")).isEqualTo("200 a");
                // the task moves: routing follows
                marathon.moveTask(siteTask, "127.0.0.1", c.port());
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> get(shared, "www.example.com").equals("200 c"));
                Haproxy.assertValid(cfg);
            }
        }
    }

    @Test
    void configProblemsAreListedWithTheirPaths() {
        ObjectNode config = json("{'services': {'api': {'discovery': {'method': 'marathon', 'marathon_api_url': 'marathon:8080',"
                + " 'application_name': 'my app', 'port_index': -1, 'check_interval': 'soon'}, 'haproxy': {'port': 3000}}},"
                + " 'catalogs': {'lb': {'method': 'marathon', 'marathon_api_url': ['http://m1:8080', 'http://admin@m2:8080'], 'groups': 'external'}}}");
        config.set("haproxy", TestConfigs.haproxyGlobal(dir));
        assertThatThrownBy(() -> Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "services.api.discovery.check_interval: expected a number, got \"soon\"",
                        "catalogs.lb.groups: unknown key for catalog method \"marathon\" (did you mean \"group\"?);"
                                + " known keys: marathon_api_url, credentials, group, check_interval",
                        "catalogs.lb.marathon_api_url[1]: user info in \"http://m2:8080\": expected user:password@",
                        "catalogs.lb.group: is required (the HAPROXY_GROUP of the apps to serve, or \"*\" for every app)"));
        ObjectNode fixed = config.deepCopy();
        fixed.with("services").with("api").with("discovery").put("check_interval", 5);
        fixed.remove("catalogs");
        assertThatThrownBy(() -> Synapse.fromFile(TestConfigs.write(dir, fixed), Plugins.fromClasspath()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "services.api.discovery.marathon_api_url: expected an http:// or https:// URL, got \"marathon:8080\"",
                        "services.api.discovery.application_name: expected a Marathon app id like /group/app"
                                + " (letters, digits, . _ - and /), got \"my app\"",
                        "services.api.discovery.port_index: expected 0 or more, got -1"));
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }
}
