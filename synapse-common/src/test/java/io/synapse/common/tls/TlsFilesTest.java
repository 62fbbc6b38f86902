package io.synapse.common.tls;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.tls.TlsFiles.Role;
import io.synapse.common.tls.TlsFiles.TlsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TlsFilesTest {
    private static String file(String name) {
        try {
            return Path.of(TlsFilesTest.class.getResource("/tls/" + name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pkcs1", "sec1", "pkcs8", "ed25519"})
    void readsEveryKeyFormWithItsCertificate(String form) throws TlsException {
        TlsFiles.Material material = new TlsFiles(file("ca.pem"), file(form + ".pem"), file(form + ".key")).load();
        assertThat(material.trusted()).extracting(c -> c.getSubjectX500Principal().getName()).containsExactly("CN=synapse-test-ca");
        assertThat(material.chain()).extracting(c -> c.getSubjectX500Principal().getName()).containsExactly("CN=synapse");
        assertThat(material.key().getAlgorithm()).isEqualTo(switch (form) {
            case "pkcs1" -> "RSA";
            case "ed25519" -> "EdDSA";
            default -> "EC";
        });
        ConfigProblems problems = new ConfigProblems();
        assertThat(new TlsFiles(file("ca.pem"), file(form + ".pem"), file(form + ".key")).check(problems, TlsFiles.Keys.PLAIN)).isTrue();
        assertThat(problems.messages()).isEmpty();
    }

    @Test
    void readsBundlesChainsAndDerCertificates() throws TlsException {
        assertThat(TlsFiles.certificates(Role.CA_FILE, file("bundle.pem")))
                .extracting(c -> c.getSubjectX500Principal().getName()).containsExactly("CN=synapse-test-ca", "CN=other-ca");
        assertThat(TlsFiles.certificates(Role.CERT_FILE, file("chain.pem"))).hasSize(2);
        X509Certificate der = TlsFiles.certificates(Role.CA_FILE, file("ca.der")).get(0);
        assertThat(der).isEqualTo(TlsFiles.certificates(Role.CA_FILE, file("ca.pem")).get(0));
        TlsFiles.Material onlyCa = new TlsFiles(file("ca.pem"), null, null).load();
        assertThat(onlyCa.chain()).isEmpty();
        assertThat(onlyCa.key()).isNull();
        assertThat(TlsFiles.NONE.isEmpty()).isTrue();
    }

    @Test
    void everyProblemIsReportedUnderTheKeyOfItsFile(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        ConfigProblems problems = new ConfigProblems().at("services.api.discovery");
        TlsFiles files = new TlsFiles(dir.resolve("missing.pem").toString(), empty.toString(), file("ca.pem"));
        assertThat(files.check(problems, TlsFiles.Keys.PLAIN)).isFalse();
        assertThat(problems.messages()).containsExactly(
                "services.api.discovery.ca_file: " + dir.resolve("missing.pem") + ": no such file",
                "services.api.discovery.cert_file: " + empty + ": no PEM certificate found",
                "services.api.discovery.key_file: " + file("ca.pem") + ": no PEM private key found");

        ConfigProblems nerve = new ConfigProblems().at("services.web");
        new TlsFiles(dir.toString(), file("pkcs8.pem"), file("pkcs1.key"))
                .check(nerve, new TlsFiles.Keys("etcd_ca_file", "etcd_cert_file", "etcd_key_file"));
        assertThat(nerve.messages()).containsExactly(
                "services.web.etcd_ca_file: " + dir + ": cannot read (Is a directory)",
                "services.web.etcd_key_file: " + file("pkcs1.key") + ": not the private key of the certificate in " + file("pkcs8.pem"));
    }

    @Test
    void aKeyOfAnotherCertificateOrAnEncryptedKeyIsRefused() {
        assertThatThrownBy(() -> new TlsFiles(null, file("sec1.pem"), file("pkcs8.key")).load())
                .isInstanceOfSatisfying(TlsException.class, e -> assertThat(e.role()).isEqualTo(Role.KEY_FILE))
                .hasMessage(file("pkcs8.key") + ": not the private key of the certificate in " + file("sec1.pem"));
        assertThatThrownBy(() -> TlsFiles.privateKey(file("encrypted.key")))
                .hasMessage(file("encrypted.key") + ": encrypted keys are not supported; "
                        + "decrypt it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
        assertThatThrownBy(() -> new TlsFiles(null, file("pkcs1.pem"), null))
                .hasMessage("a certificate file and a key file go together");
    }

    @Test
    void aDamagedCertificateSaysWhichOne(@TempDir Path dir) throws Exception {
        String pem = Files.readString(Path.of(file("ca.pem")));
        String broken = pem.replace(pem.substring(100, 140), "A".repeat(40));
        Path both = Files.writeString(dir.resolve("both.pem"), pem + broken);
        assertThatThrownBy(() -> TlsFiles.certificates(Role.CA_FILE, both.toString()))
                .isInstanceOfSatisfying(TlsException.class, e -> assertThat(e.role()).isEqualTo(Role.CA_FILE))
                .hasMessageStartingWith(both + ": certificate 2 is not valid (");
    }
}
