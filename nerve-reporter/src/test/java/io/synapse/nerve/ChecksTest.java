package io.synapse.nerve;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.synapse.testing.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChecksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static ScriptedHttpServer http;

    @BeforeAll
    static void startServer() {
        http = new ScriptedHttpServer();
    }

    @AfterAll
    static void stopServer() {
        http.close();
    }

    private static CheckConfig.Http spec(String uri, String expect, Map<String, String> headers, Duration read) {
        return new CheckConfig.Http(uri, expect, headers, TIMEOUT, read, false, TIMEOUT, true, null);
    }

    private static Check httpCheck(int port, CheckConfig.Http spec) {
        return Check.of(new CheckConfig("http", "127.0.0.1", port, TIMEOUT, 1, 1, spec));
    }

    @Test
    void httpPassesOn2xxAnd3xxAndFailsOtherwise() throws Exception {
        Check check = httpCheck(http.port(), spec("/health", null, Map.of(), TIMEOUT));
        http.script(200, 302, 500, 404);
        check.run();
        check.run();
        assertThatThrownBy(check::run).hasMessage("HTTP 500");
        assertThatThrownBy(check::run).hasMessage("HTTP 404");
    }

    @Test
    void httpExpectAndHeaders() throws Exception {
        http.body("status: healthy");
        Check good = httpCheck(http.port(), spec("/health", "healthy", Map.of("Host", "web.local", "X-Probe", "nerve"), TIMEOUT));
        good.run();
        assertThat(http.header("Host")).isEqualTo("web.local");
        assertThat(http.header("X-Probe")).isEqualTo("nerve");
        Check bad = httpCheck(http.port(), spec("/health", "ready", Map.of(), TIMEOUT));
        assertThatThrownBy(bad::run).hasMessage("HTTP 200 but the body does not contain \"ready\"");
        http.body("ok");
    }

    @Test
    void httpReadTimeoutAndRefusedConnection() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket s = silent.accept()) {
                    release.await(10, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // test server
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Check check = httpCheck(silent.getLocalPort(), spec("/", null, Map.of(), Duration.ofMillis(200)));
            long start = System.nanoTime();
            assertThatThrownBy(check::run).hasMessage("Read timed out");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        } finally {
            release.countDown();
        }
        Check refused = httpCheck(FreePorts.next(), spec("/", null, Map.of(), TIMEOUT));
        assertThatThrownBy(refused::run).hasMessage("Connection refused");
    }

    @Test
    void httpsVerifiesCertificatesUnlessOptedOut(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("server.p12");
        run("keytool", "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", "secret", "-keypass", "secret");
        Path ca = dir.resolve("server.pem");
        run("keytool", "-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(), "-storepass", "secret",
                "-file", ca.toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "secret".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 5);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(200, 2);
            try (OutputStream out = ex.getResponseBody()) {
                out.write("ok".getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            Duration t = Duration.ofSeconds(3);
            Check verifying = httpCheck(port, new CheckConfig.Http("/", "ok", Map.of(), t, t, true, t, true, null));
            assertThatThrownBy(verifying::run).hasMessageContaining("PKIX path building failed");
            Check optOut = httpCheck(port, new CheckConfig.Http("/", "ok", Map.of(), t, t, true, t, false, null));
            optOut.run();
            Check withCa = httpCheck(port, new CheckConfig.Http("/", "ok", Map.of(), t, t, true, t, true, ca));
            withCa.run();
        } finally {
            server.stop(0);
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void tcpConnects() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Check.of(new CheckConfig("tcp", "127.0.0.1", listener.getLocalPort(), TIMEOUT, 1, 1, new CheckConfig.Tcp())).run();
        }
        Check closed = Check.of(new CheckConfig("tcp", "127.0.0.1", FreePorts.next(), TIMEOUT, 1, 1, new CheckConfig.Tcp()));
        assertThatThrownBy(closed::run).hasMessage("Connection refused");
    }

    @Test
    void redisPingsThenReadsAHarmlessKey() throws Exception {
        try (FakeRedis redis = new FakeRedis("+PONG", ":0")) {
            Check.of(new CheckConfig("redis", "127.0.0.1", redis.port(), TIMEOUT, 1, 1, new CheckConfig.Redis())).run();
            assertThat(redis.received()).isEqualTo(new String(RedisCheck.command("PING"), StandardCharsets.UTF_8)
                    + new String(RedisCheck.command("EXISTS", RedisCheck.PROBE_KEY), StandardCharsets.UTF_8));
        }
        try (FakeRedis loading = new FakeRedis("-LOADING Redis is loading the dataset in memory")) {
            Check check = Check.of(new CheckConfig("redis", "127.0.0.1", loading.port(), TIMEOUT, 1, 1, new CheckConfig.Redis()));
            assertThatThrownBy(check::run).hasMessage("PING replied \"-LOADING Redis is loading the dataset in memory\"");
        }
        try (FakeRedis auth = new FakeRedis("+PONG", "-NOAUTH Authentication required.")) {
            Check check = Check.of(new CheckConfig("redis", "127.0.0.1", auth.port(), TIMEOUT, 1, 1, new CheckConfig.Redis()));
            assertThatThrownBy(check::run).hasMessage("EXISTS replied \"-NOAUTH Authentication required.\"");
        }
    }

    @Test
    void execPassesOnExitZeroAndKillsOnTimeout() throws Exception {
        Check.of(new CheckConfig("exec", "127.0.0.1", 1, TIMEOUT, 1, 1, new CheckConfig.Exec(List.of("true")))).run();
        Check failing = Check.of(new CheckConfig("exec", "127.0.0.1", 1, TIMEOUT, 1, 1,
                new CheckConfig.Exec(List.of("/bin/sh", "-c", "exit 3"))));
        assertThatThrownBy(failing::run).hasMessage("exit code 3");
        Check slow = Check.of(new CheckConfig("exec", "127.0.0.1", 1, Duration.ofMillis(300), 1, 1,
                new CheckConfig.Exec(List.of("/bin/sh", "-c", "sleep 30"))));
        long start = System.nanoTime();
        assertThatThrownBy(slow::run).hasMessage("timed out after 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void noopAlwaysPasses() throws Exception {
        Check noop = Check.of(new CheckConfig("noop", "127.0.0.1", 1, TIMEOUT, 1, 1, new CheckConfig.Noop()));
        noop.run();
        assertThat(noop.name()).isEqualTo("noop");
    }

    /** A real TCP server speaking just enough RESP: answers each command with the next scripted line. */
    private static final class FakeRedis implements AutoCloseable {
        private final ServerSocket server;
        private final StringBuilder received = new StringBuilder();
        private final CountDownLatch done = new CountDownLatch(1);

        FakeRedis(String... replies) throws Exception {
            server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    for (String reply : replies) {
                        readCommand(in);
                        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                    readCommand(in);
                } catch (Exception ignored) {
                    // the client closed
                } finally {
                    done.countDown();
                }
            });
            t.setDaemon(true);
            t.start();
        }

        private void readCommand(InputStream in) throws Exception {
            String header = line(in);
            int args = Integer.parseInt(header.substring(1));
            synchronized (received) {
                received.append(header).append("\r\n");
            }
            for (int i = 0; i < args * 2; i++) {
                String l = line(in);
                synchronized (received) {
                    received.append(l).append("\r\n");
                }
            }
        }

        private static String line(InputStream in) throws Exception {
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new java.io.EOFException();
                }
                if (b != '\r') {
                    sb.append((char) b);
                }
            }
            return sb.toString();
        }

        int port() {
            return server.getLocalPort();
        }

        String received() throws InterruptedException {
            done.await(5, TimeUnit.SECONDS);
            synchronized (received) {
                return received.toString();
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }
}
