package io.synapse.haproxy;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.Synapse;
import io.synapse.config.Plugins;
import io.synapse.spi.Backend;
import io.synapse.testing.Binaries;
import io.synapse.testing.FakeWatcherFactory;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import io.synapse.testing.HttpBackends;
import io.synapse.testing.HttpLoad;
import io.synapse.testing.LogCapture;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Server churn through a real master-worker HAProxy ({@code haproxy -W -S}) in front of real HTTP
 * servers: changes go through the runtime API with no reload, the file always says what HAProxy
 * runs, and a change HAProxy 2.6 cannot take live costs exactly one hitless reload that keeps the
 * servers' run-time state.
 */
class LiveServersTest {
    private static final Pattern SERVER_LINE = Pattern.compile("^\\tserver (\\S+) (\\S+):(\\d+) id (\\d+)(.*)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    /** The synapse config: one service fed by the fake watcher {@code id}, HAProxy reloaded through its master socket. */
    private ObjectNode config(String id, int port, List<String> listen, boolean statsSocketForCommands) {
        ObjectNode config = json("{'services': {'web': {'discovery': {'method': 'fake', 'id': '" + id + "'},"
                + " 'haproxy': {'bind_address': '127.0.0.1', 'server_options': 'check inter 2s'}}}}");
        ObjectNode web = config.with("services").with("web").with("haproxy");
        web.put("port", port);
        ArrayNode l = web.putArray("listen");
        listen.forEach(l::add);
        ObjectNode global = TestConfigs.haproxyGlobal(dir);
        global.put("do_reloads", true);
        global.put("master_socket_path", dir.resolve("master.sock").toString());
        global.put("restart_interval", 0.5);
        global.put("use_nerve_weights", true);
        global.put("do_socket", true);
        if (statsSocketForCommands) {
            global.put("socket_file_path", dir.resolve("haproxy.sock").toString());
        }
        global.set("global", json("{'l': ['stats socket " + dir.resolve("haproxy.sock") + " mode 600 level admin expose-fd listeners',"
                + " 'server-state-file " + dir.resolve("haproxy.state") + "', 'hard-stop-after 10s']}").get("l"));
        global.set("defaults", json("{'l': ['mode http', 'timeout connect 2s', 'timeout client 10s', 'timeout server 10s',"
                + " 'option redispatch', 'retries 3', 'option idle-close-on-response', 'load-server-state-from-file global']}").get("l"));
        config.set("haproxy", global);
        return config;
    }

    /** HAProxy in master-worker mode on a placeholder config; synapse's first write reloads it. */
    private Haproxy.MasterWorker haproxy() throws Exception {
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, "global\n\tstats socket " + dir.resolve("haproxy.sock") + " mode 600 level admin expose-fd listeners\n"
                + "defaults\n\tmode http\n\ttimeout connect 2s\n\ttimeout client 10s\n\ttimeout server 10s\n");
        return closeLater(Haproxy.startMasterWorker(cfg, dir.resolve("master.sock")));
    }

    private Synapse synapse(ObjectNode config) throws Exception {
        Synapse synapse = closeLater(Synapse.fromFile(TestConfigs.write(dir, config), Plugins.fromClasspath()));
        synapse.start();
        return synapse;
    }

    /** A server as HAProxy runs it ({@code show servers state}) or as the file has it. */
    record Server(String name, int id, String address, int port, int weight, boolean maintenance, boolean backup, boolean checked) {}

    /** The servers of backend {@code web} as the current worker has them. */
    private static Map<String, Server> running(Haproxy.MasterWorker haproxy) throws Exception {
        // show stat: "bck" is 1 for a backup server (show servers state has no such column)
        Map<String, Boolean> backup = new TreeMap<>();
        String[] stat = haproxy.command("@1 show stat").split("\n");
        List<String> header = List.of(stat[0].substring(2).split(","));
        for (String line : stat) {
            String[] c = line.split(",", -1);
            if (c.length > header.indexOf("bck") && c[0].equals("web")) {
                backup.put(c[1], "1".equals(c[header.indexOf("bck")]));
            }
        }
        Map<String, Server> out = new TreeMap<>();
        for (String line : haproxy.command("@1 show servers state web").split("\n")) {
            String[] w = line.split(" ");
            if (w.length > 18 && w[1].equals("web")) {
                // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight ... srv_port (18)
                out.put(w[3], new Server(w[3], Integer.parseInt(w[2]), w[4], Integer.parseInt(w[18]), Integer.parseInt(w[7]),
                        (Integer.parseInt(w[6]) & 0x1) != 0, backup.get(w[3]),
                        // srv_check_state (13): configured (0x2) and enabled (0x4), what "check" on a line gives
                        (Integer.parseInt(w[13]) & 0x6) == 0x6));
            }
        }
        return out;
    }

    /** The servers of backend {@code web} as haproxy.cfg has them. */
    private Map<String, Server> inFile() throws Exception {
        String cfg = Files.readString(dir.resolve("haproxy.cfg"));
        String backend = cfg.substring(cfg.indexOf("\nbackend web\n"));
        Map<String, Server> out = new TreeMap<>();
        Matcher m = SERVER_LINE.matcher(backend);
        while (m.find()) {
            Matcher weight = Pattern.compile(" weight (\\d+)").matcher(m.group(5));
            int w = 1;
            while (weight.find()) {
                w = Integer.parseInt(weight.group(1));
            }
            out.put(m.group(1), new Server(m.group(1), Integer.parseInt(m.group(4)), m.group(2), Integer.parseInt(m.group(3)), w,
                    m.group(5).endsWith(" disabled"), (m.group(5) + " ").contains(" backup "), (m.group(5) + " ").contains(" check ")));
        }
        return out;
    }

    private static List<Backend> snapshot(Map<String, Backend> current) {
        return List.copyOf(current.values());
    }

    @Test
    void twoHundredChangesGoLiveWithoutAReloadOrAFailedRequest() throws Exception {
        List<HttpBackends> pool = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pool.add(closeLater(HttpBackends.start("b" + i)));
        }
        int port = FreePorts.next();
        Haproxy.MasterWorker haproxy = haproxy();
        synapse(config("churn", port, List.of("mode http", "balance roundrobin"), false));
        await().until(() -> FakeWatcherFactory.started("churn"));

        Map<String, Backend> current = new LinkedHashMap<>();
        current.put("s0", Backend.builder("127.0.0.1", pool.get(0).port()).name("s0").weight(100).build());
        current.put("s1", Backend.builder("127.0.0.1", pool.get(1).port()).name("s1").weight(100).build());
        FakeWatcherFactory.listener("churn").onBackends(snapshot(current));
        // synapse's first file replaces the placeholder: one reload, then no more
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> haproxy.reloads() == 1 && running(haproxy).size() == 2);
        long worker = haproxy.workerPid();

        Random random = new Random(11);
        int nextName = 2;
        Map<String, Integer> done = new TreeMap<>();
        try (HttpLoad load = HttpLoad.start(port, 1, 1)) {
            await().until(() -> load.ok() > 20);
            for (int step = 0; step < 200; step++) {
                List<Integer> free = new ArrayList<>();
                for (HttpBackends b : pool) {
                    if (current.values().stream().noneMatch(x -> x.port() == b.port())) {
                        free.add(b.port());
                    }
                }
                List<String> names = new ArrayList<>(current.keySet());
                int op = random.nextInt(5);
                if (op == 0 && current.size() >= 6 || op == 1 && current.size() <= 2 || (op == 0 || op == 2) && free.isEmpty()) {
                    op = 3;
                }
                String what;
                switch (op) {
                    case 0 -> { // a new server
                        String name = "s" + nextName++;
                        current.put(name, Backend.builder("127.0.0.1", free.get(random.nextInt(free.size()))).name(name).weight(100).build());
                        what = "add";
                    }
                    case 1 -> { // a server leaves
                        current.remove(names.get(random.nextInt(names.size())));
                        what = "remove";
                    }
                    case 2 -> { // a server moves to another port: a new server name, the same registration name
                        String name = names.get(random.nextInt(names.size()));
                        current.put(name, current.get(name).toBuilder().port(free.get(random.nextInt(free.size()))).build());
                        what = "re-address";
                    }
                    case 3 -> { // a new weight
                        String name = names.get(random.nextInt(names.size()));
                        current.put(name, current.get(name).toBuilder().weight(1 + random.nextInt(256)).build());
                        what = "re-weight";
                    }
                    default -> { // the registration's haproxy_server_options: backup, or not (the server is added again under its name)
                        String name = names.get(random.nextInt(names.size()));
                        Backend b = current.get(name);
                        current.put(name, b.toBuilder().haproxyServerOptions(b.haproxyServerOptions() == null ? "backup" : null).build());
                        what = "backup";
                    }
                }
                done.merge(what, 1, Integer::sum);
                FakeWatcherFactory.listener("churn").onBackends(snapshot(current));
                Map<String, Server> wanted = new TreeMap<>();
                current.values().forEach(b -> wanted.put(b.name() + "_127.0.0.1:" + b.port(),
                        new Server(b.name() + "_127.0.0.1:" + b.port(), 0, "127.0.0.1", b.port(), b.weight(), false, b.haproxyServerOptions() != null, true)));
                await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(20)).until(() -> {
                    Map<String, Server> file = new TreeMap<>();
                    inFile().values().forEach(s -> file.put(s.name(), new Server(s.name(), 0, s.address(), s.port(), s.weight(), false, s.backup(), s.checked())));
                    return file.equals(wanted);
                });
            }
            long before = load.ok();
            await().until(() -> load.ok() > before + 20);
            load.close();
            assertThat(load.failed()).as("failed requests (of %s): %s", load.ok() + load.failed(), load.failures()).isZero();
        }
        assertThat(done).as("changes made").containsKeys("add", "remove", "re-address", "re-weight", "backup");
        // no reload: the same worker served everything
        assertThat(haproxy.workerPid()).isEqualTo(worker);
        assertThat(haproxy.reloads()).isEqualTo(1);
        // what HAProxy runs is what the file says (once the last deleted servers' requests are done),
        // servers added live included: their ids, weights, backup flags and health checks
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> running(haproxy).equals(inFile()));
        Haproxy.assertValid(dir.resolve("haproxy.cfg"));

        // and a reload of that file changes nothing visible
        Map<String, Server> beforeReload = running(haproxy);
        haproxy.command("reload");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> haproxy.workerPid() != worker && haproxy.reloads() == 2);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> running(haproxy).equals(beforeReload));
    }

    @Test
    void aChangeHaproxyCannotTakeLiveCostsOneReloadThatKeepsServerState() throws Exception {
        HttpBackends a = closeLater(HttpBackends.start("a"));
        HttpBackends b = closeLater(HttpBackends.start("b"));
        HttpBackends c = closeLater(HttpBackends.start("c"));
        HttpBackends d = closeLater(HttpBackends.start("d"));
        HttpBackends e = closeLater(HttpBackends.start("e"));
        int port = FreePorts.next();
        Haproxy.MasterWorker haproxy = haproxy();
        // static cookies: HAProxy 2.6 refuses "cookie" on add server, so a new server needs a reload
        ObjectNode config = config("sticky", port, List.of("mode http", "balance roundrobin", "cookie SRV insert indirect nocache"), true);
        config.with("haproxy").put("do_checks", true);
        config.with("haproxy").put("check_command", Binaries.haproxy() + " -c -q -f " + dir.resolve("haproxy.cfg.candidate"));
        synapse(config);
        await().until(() -> FakeWatcherFactory.started("sticky"));
        Backend ba = Backend.builder("127.0.0.1", a.port()).name("a").weight(100).build();
        Backend bb = Backend.builder("127.0.0.1", b.port()).name("b").weight(100).build();
        Backend bc = Backend.builder("127.0.0.1", c.port()).name("c").weight(100).build();
        FakeWatcherFactory.listener("sticky").onBackends(List.of(ba, bb, bc));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> haproxy.reloads() == 1 && running(haproxy).size() == 3);
        long worker = haproxy.workerPid();
        String na = "a_127.0.0.1:" + a.port();
        String nb = "b_127.0.0.1:" + b.port();
        String nc = "c_127.0.0.1:" + c.port();

        try (HttpLoad load = HttpLoad.start(port, 1, 1)) {
            // what an operator does at run time: a weight, and a server in maintenance
            assertThat(haproxy.command("@1 set server web/" + na + " weight 7")).isBlank();
            assertThat(haproxy.command("@1 set server web/" + nb + " state maint")).isBlank();
            // what synapse still does live in this backend: a weight
            FakeWatcherFactory.listener("sticky").onBackends(List.of(ba, bb, bc.toBuilder().weight(42).build()));
            await().ignoreExceptions().until(() -> running(haproxy).get(nc).weight() == 42);
            assertThat(haproxy.workerPid()).isEqualTo(worker);

            // two new servers at once: beyond what the runtime API can do here, one reload for both
            Backend bd = Backend.builder("127.0.0.1", d.port()).name("d").weight(100).build();
            Backend be = Backend.builder("127.0.0.1", e.port()).name("e").weight(100).build();
            FakeWatcherFactory.listener("sticky").onBackends(List.of(ba, bb, bc.toBuilder().weight(42).build(), bd, be));
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> running(haproxy).size() == 5);
            await().atMost(Duration.ofSeconds(10)).until(() -> load.answeredBy("d") > 0 && load.answeredBy("e") > 0);
            await().ignoreExceptions().untilAsserted(() -> assertThat(haproxy.reloads()).isEqualTo(2));
            assertThat(haproxy.workerPid()).isNotEqualTo(worker);
            load.close();
            assertThat(load.failed()).as("failed requests (of %s): %s", load.ok() + load.failed(), load.failures()).isZero();
        }
        Map<String, Server> after = running(haproxy);
        assertThat(after.get(na).weight()).as("operator's weight").isEqualTo(7);
        assertThat(after.get(nb).maintenance()).as("operator's maintenance").isTrue();
        assertThat(after.get(nc).weight()).isEqualTo(42);
        assertThat(Files.readString(dir.resolve("haproxy.cfg"))).contains("server d_127.0.0.1:" + d.port() + " 127.0.0.1:" + d.port()
                + " id 4 cookie d_127.0.0.1:" + d.port());
        // the state file was for that reload only: an operator's reload later loads the file as it is
        assertThat(Files.readString(dir.resolve("haproxy.state"))).isEqualTo(HaproxyControl.EMPTY_SERVER_STATE);
        assertThat(haproxy.reloads()).isEqualTo(2);
    }

    @Test
    void withoutItsSocketSynapseReloadsAndTrafficKeepsFlowing() throws Exception {
        HttpBackends a = closeLater(HttpBackends.start("a"));
        HttpBackends b = closeLater(HttpBackends.start("b"));
        HttpBackends c = closeLater(HttpBackends.start("c"));
        int port = FreePorts.next();
        Haproxy.MasterWorker haproxy = haproxy();
        synapse(config("gone", port, List.of("mode http", "balance roundrobin"), true));
        await().until(() -> FakeWatcherFactory.started("gone"));
        Backend ba = Backend.builder("127.0.0.1", a.port()).name("a").build();
        Backend bb = Backend.builder("127.0.0.1", b.port()).name("b").build();
        Backend bc = Backend.builder("127.0.0.1", c.port()).name("c").build();
        FakeWatcherFactory.listener("gone").onBackends(List.of(ba));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> haproxy.reloads() == 1 && running(haproxy).size() == 1);

        try (HttpLoad load = HttpLoad.start(port, 1, 1); LogCapture log = new LogCapture(HaproxyControl.class)) {
            Files.delete(dir.resolve("haproxy.sock")); // HAProxy keeps serving; its stats socket is gone
            FakeWatcherFactory.listener("gone").onBackends(List.of(ba, bb));
            await().atMost(Duration.ofSeconds(30)).until(() -> load.answeredBy("b") > 0);
            await().ignoreExceptions().untilAsserted(() -> assertThat(haproxy.reloads()).isEqualTo(2));
            // a reload does not bring the socket back (the new worker inherits it): each change reloads
            FakeWatcherFactory.listener("gone").onBackends(List.of(ba, bb, bc));
            await().atMost(Duration.ofSeconds(30)).until(() -> load.answeredBy("c") > 0);
            await().ignoreExceptions().untilAsserted(() -> assertThat(haproxy.reloads()).isEqualTo(3));
            long seen = load.ok();
            await().until(() -> load.ok() > seen + 20);
            load.close();
            assertThat(load.failed()).as("failed requests (of %s): %s", load.ok() + load.failed(), load.failures()).isZero();
            // one warning for the whole episode
            assertThat(log.messages(Level.WARN)).hasSize(1).allMatch(m -> m.startsWith("haproxy: the runtime API (stats socket "
                    + dir.resolve("haproxy.sock") + ") cannot be used (") && m.endsWith("; reloading instead (logged once until it works again)"));
        }
        await().ignoreExceptions().untilAsserted(() -> assertThat(running(haproxy)).isEqualTo(inFile()));
        Haproxy.assertValid(dir.resolve("haproxy.cfg"));
    }

    @Test
    void aServerAddedLiveGetsItsDynamicCookieAndKeepsItsClients() throws Exception {
        HttpBackends a = closeLater(HttpBackends.start("a"));
        HttpBackends b = closeLater(HttpBackends.start("b"));
        int port = FreePorts.next();
        Haproxy.MasterWorker haproxy = haproxy();
        // cookie values from hash(key, ip, port): HAProxy can give them to a server added live
        synapse(config("cookies", port, List.of("mode http", "balance roundrobin", "cookie SRV insert indirect nocache dynamic",
                "dynamic-cookie-key synapse-test"), true));
        await().until(() -> FakeWatcherFactory.started("cookies"));
        Backend ba = Backend.builder("127.0.0.1", a.port()).name("a").build();
        FakeWatcherFactory.listener("cookies").onBackends(List.of(ba));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> haproxy.reloads() == 1 && running(haproxy).size() == 1);
        long worker = haproxy.workerPid();

        FakeWatcherFactory.listener("cookies").onBackends(List.of(ba, Backend.builder("127.0.0.1", b.port()).name("b").build()));
        await().ignoreExceptions().until(() -> running(haproxy).size() == 2);
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + port + "/");
        // a new client lands on b (roundrobin) and gets b's cookie...
        HttpResponse<String> first = await().until(() -> client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()),
                r -> r.body().equals("b"));
        String cookie = first.headers().firstValue("set-cookie").orElseThrow();
        assertThat(cookie).matches("SRV=[0-9a-f]{16}; path=/");
        // ...and stays there
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> next = client.send(HttpRequest.newBuilder(uri).header("Cookie", cookie.substring(0, cookie.indexOf(';'))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(next.body()).isEqualTo("b");
        }
        assertThat(haproxy.workerPid()).as("no reload").isEqualTo(worker);
        assertThat(haproxy.reloads()).isEqualTo(1);
        Haproxy.assertValid(dir.resolve("haproxy.cfg"));
    }
}
