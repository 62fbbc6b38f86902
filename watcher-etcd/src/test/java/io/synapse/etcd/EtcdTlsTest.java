package io.synapse.etcd;

import io.synapse.common.etcd.EtcdClients;
import io.synapse.common.tls.TlsFiles;
import io.etcd.jetcd.Client;
import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.Binaries;
import io.synapse.testing.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.synapse.etcd.EtcdTesting.json;
import static io.synapse.etcd.EtcdTesting.nerve;
import static io.synapse.etcd.EtcdTesting.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * etcd serving TLS and requiring client certificates (certificates made with the {@code openssl}
 * binary): client keys in the three PEM forms people have, and a client without a certificate.
 */
class EtcdTlsTest {
    private static Path dir;
    private static Process etcd;
    private static String endpoint;
    private static Client client;

    @BeforeAll
    static void startEtcdWithTls() throws Exception {
        dir = Files.createTempDirectory("etcd-tls");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=synapse-test-ca");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem",
                "-days", "2", "-subj", "/CN=someone-else");
        Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                + "extendedKeyUsage=serverAuth,clientAuth\n");
        openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "server.key");
        sign("server", "/CN=etcd");
        // client keys: PKCS#1 RSA, SEC1 EC (what cfssl writes), PKCS#8 (what OpenSSL 3 writes)
        openssl("genrsa", "-traditional", "-out", "pkcs1.key", "2048");
        sign("pkcs1", "/CN=synapse");
        openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "sec1.key");
        sign("sec1", "/CN=synapse");
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "pkcs8.key");
        sign("pkcs8", "/CN=synapse");

        int clientPort = FreePorts.next();
        int peerPort = FreePorts.next();
        endpoint = "https://127.0.0.1:" + clientPort;
        etcd = new ProcessBuilder(Binaries.etcd().toString(),
                "--name", "tls", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
                "--listen-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-cluster", "tls=http://127.0.0.1:" + peerPort,
                "--cert-file", file("server.pem"), "--key-file", file("server.key"),
                "--client-cert-auth", "--trusted-ca-file", file("ca.pem"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        client = Client.builder().endpoints(endpoint)
                .sslContext(EtcdClients.sslContext(new TlsFiles(file("ca.pem"), file("pkcs8.pem"), file("pkcs8.key")))).build();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> put(client, "/tls/api/i-1", nerve("10.0.0.1", 80, "i-1")) > 0);
    }

    @AfterAll
    static void stop() throws IOException {
        if (client != null) {
            client.close();
        }
        if (etcd != null) {
            etcd.destroyForcibly();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static String file(String name) {
        return dir.resolve(name).toString();
    }

    private static void sign(String name, String subject) throws Exception {
        openssl("req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", subject);
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", "ext.cnf");
    }

    private static void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Binaries.require("openssl", "openssl").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("openssl %s: %s", cmd, out).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"pkcs1", "sec1", "pkcs8"})
    void watchesOverTlsWithAClientCertificate(String keyForm) throws IOException {
        assertThat(Files.readAllLines(dir.resolve(keyForm + ".key")).get(0)).isEqualTo(Map.of("pkcs1", "-----BEGIN RSA PRIVATE KEY-----", "sec1", "-----BEGIN EC PRIVATE KEY-----",
                "pkcs8", "-----BEGIN PRIVATE KEY-----").get(keyForm));
        RecordingListener listener = new RecordingListener();
        String discovery = "{\"endpoints\": " + json(List.of(endpoint)) + ", \"path\": \"/tls/api\", "
                + "\"ca_file\": \"" + file("ca.pem") + "\", \"cert_file\": \"" + file(keyForm + ".pem") + "\", "
                + "\"key_file\": \"" + file(keyForm + ".key") + "\"}";
        try (ServiceWatcher watcher = EtcdTesting.watcher("api-" + keyForm, discovery, listener)) {
            watcher.start();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(listener.lastAddresses()).containsExactly("i-1@10.0.0.1:80"));
            put(client, "/tls/api/" + keyForm, nerve("10.0.0.2", 80, keyForm));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(listener.lastAddresses()).containsExactly("i-1@10.0.0.1:80", keyForm + "@10.0.0.2:80"));
            assertThat(listener.failures).isEmpty();
        } finally {
            EtcdTesting.delete(client, "/tls/api/" + keyForm);
        }
    }

    @Test
    void withoutAClientCertificateOrWithTheWrongCaItFailsAndPublishesNothing() {
        for (String discovery : List.of(
                "{\"endpoints\": " + json(List.of(endpoint)) + ", \"path\": \"/tls/api\", \"ca_file\": \"" + file("ca.pem") + "\"}",
                "{\"endpoints\": " + json(List.of(endpoint)) + ", \"path\": \"/tls/api\", \"ca_file\": \"" + file("other-ca.pem")
                        + "\", \"cert_file\": \"" + file("pkcs8.pem") + "\", \"key_file\": \"" + file("pkcs8.key") + "\"}")) {
            RecordingListener listener = new RecordingListener();
            try (ServiceWatcher watcher = EtcdTesting.watcher("api", discovery, listener)) {
                watcher.start();
                await().atMost(Duration.ofSeconds(15)).until(() -> !listener.failures.isEmpty());
                assertThat(listener.failures.get(0)).startsWith("cannot read prefix \"/tls/api/\" from etcd " + endpoint + ": ");
                assertThat(listener.snapshots).isEmpty();
            }
        }
    }

    @Test
    void aKeyFileThatIsNotAKeyIsAConfigProblem() {
        ConfigProblemsAssert.problems("{\"endpoints\": [\"" + endpoint + "\"], \"path\": \"/x\", \"ca_file\": \"" + file("ca.pem")
                + "\", \"cert_file\": \"" + file("pkcs8.pem") + "\", \"key_file\": \"" + file("pkcs8.pem") + "\"}",
                "services.api.discovery.key_file: " + file("pkcs8.pem") + ": no PEM private key found");
        ConfigProblemsAssert.problems("{\"endpoints\": [\"" + endpoint + "\"], \"path\": \"/x\", \"ca_file\": \"" + file("sec1.key") + "\"}",
                "services.api.discovery.ca_file: " + file("sec1.key") + ": no PEM certificate found");
        assertThatThrownBy(() -> TlsFiles.privateKey(file("ext.cnf"))).hasMessage(file("ext.cnf") + ": no PEM private key found");
    }

    /** Validation as the engine runs it. */
    private static final class ConfigProblemsAssert {
        static void problems(String json, String... expected) {
            io.synapse.common.config.ConfigProblems problems = new io.synapse.common.config.ConfigProblems().at("services.api.discovery");
            new EtcdWatcherFactory().validate(EtcdTesting.config(json), problems);
            assertThat(problems.messages()).containsExactly(expected);
        }
    }
}
