package io.synapse.docker;

import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.Binaries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.synapse.docker.DockerTesting.watcher;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * TLS to a TCP engine ({@code dockerd --tlsverify}): the real engine behind a TLS endpoint that
 * requires a client certificate signed by the test CA (certificates made with the real {@code
 * openssl}); client keys in the formats users have (PKCS#1 RSA, SEC1 EC, PKCS#8).
 */
class DockerTlsTest {
    @TempDir
    static Path certs;

    private static DockerFixture docker;
    private static EngineProxy tls;
    private static String container;
    private static String expected;

    private static void openssl(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(Binaries.require("openssl", "openssl").toString()));
        cmd.addAll(List.of(args));
        DockerFixture.check(DockerFixture.exec(cmd, 60));
    }

    private static String path(String file) {
        return certs.resolve(file).toString();
    }

    /** A certificate for {@code key} signed by the CA {@code ca}, with the given extensions. */
    private static void sign(String name, String key, String ca, String extensions) throws Exception {
        Files.writeString(certs.resolve(name + ".ext"), extensions + "\n");
        openssl("req", "-new", "-key", path(key), "-out", path(name + ".csr"), "-subj", "/CN=" + name);
        openssl("x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
                "-CAcreateserial", "-out", path(name + ".pem"), "-days", "1", "-extfile", path(name + ".ext"));
    }

    @BeforeAll
    static void start() throws Exception {
        for (String ca : List.of("ca", "other-ca")) {
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path(ca + ".key"),
                    "-out", path(ca + ".pem"), "-days", "1", "-subj", "/CN=" + ca);
        }
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", path("server.key"));
        sign("server", "server.key", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
        openssl("genrsa", "-traditional", "-out", path("client-rsa.key"), "2048");
        sign("client-rsa", "client-rsa.key", "ca", "extendedKeyUsage=clientAuth");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path("client-ec.key"));
        sign("client-ec", "client-ec.key", "ca", "extendedKeyUsage=clientAuth");
        assertThat(Files.readString(certs.resolve("client-rsa.key"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(Files.readString(certs.resolve("client-ec.key"))).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(Files.readString(certs.resolve("server.key"))).startsWith("-----BEGIN PRIVATE KEY-----");

        docker = DockerFixture.start();
        tls = new EngineProxy(Path.of(DockerFixture.SOCKET),
                new io.synapse.common.tls.TlsFiles(path("ca.pem"), path("server.pem"), path("server.key")).sslContext());
        container = docker.runHttpd("-p", "127.0.0.1::80", "-l", "io.synapse.test.service=tls");
        expected = "engine@127.0.0.1:" + docker.publishedPort(container);
    }

    @AfterAll
    static void stop() {
        tls.close();
        docker.close();
    }

    private DockerTesting.Recorder watch(String tlsJson) {
        DockerTesting.Recorder r = new DockerTesting.Recorder();
        try (ServiceWatcher w = watcher("web", "{'servers': [{'name': 'engine', 'host': '127.0.0.1', 'port': " + tls.port() + "}],"
                + " 'tls': " + tlsJson + ", 'container_port': 80, 'labels': ['" + docker.label() + "', 'io.synapse.test.service=tls']}", r)) {
            w.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> r.last() != null || !r.failures.isEmpty());
        }
        return r;
    }

    @Test
    void clientCertificatesWithRsaAndEcKeys() {
        for (String client : List.of("client-rsa", "client-ec")) {
            DockerTesting.Recorder r = watch("{'ca': '" + path("ca.pem") + "', 'cert': '" + path(client + ".pem") + "', 'key': '"
                    + path(client + ".key") + "'}");
            assertThat(r.failures).as(client).isEmpty();
            assertThat(r.lastAddresses()).as(client).containsExactly(expected);
        }
    }

    @Test
    void anEngineCertificateFromAnotherCaIsRefused() {
        DockerTesting.Recorder r = watch("{'ca': '" + path("other-ca.pem") + "', 'cert': '" + path("client-ec.pem") + "', 'key': '"
                + path("client-ec.key") + "'}");
        assertThat(r.snapshots).isEmpty();
        assertThat(r.failures.get(0)).startsWith("cannot read docker engine tcp://127.0.0.1:" + tls.port() + ": ")
                .contains("unable to find valid certification path");
    }

    @Test
    void withoutAClientCertificateTheEngineRefuses() {
        DockerTesting.Recorder r = watch("{'ca': '" + path("ca.pem") + "'}");
        assertThat(r.snapshots).isEmpty();
        assertThat(r.failures.get(0)).startsWith("cannot read docker engine tcp://127.0.0.1:" + tls.port() + ": ");
    }
}
