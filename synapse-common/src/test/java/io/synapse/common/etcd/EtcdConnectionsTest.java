package io.synapse.common.etcd;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.tls.TlsFiles;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EtcdConnectionsTest {
    private static final EtcdConnections.Keys NERVE = new EtcdConnections.Keys("etcd_endpoints",
            new TlsFiles.Keys("etcd_ca_file", "etcd_cert_file", "etcd_key_file"), "etcd_user", "etcd_password");

    static String file(String name) {
        try {
            return Path.of(EtcdConnectionsTest.class.getResource("/tls/" + name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void endpointsAreNormalisedAndDeduplicated() {
        ConfigProblems problems = new ConfigProblems();
        EtcdConnection c = EtcdConnections.fromConfig(EtcdConnections.Keys.PLAIN,
                List.of("10.0.0.1:2379", "HTTP://10.0.0.2", "http://10.0.0.1:2379/", "[::1]:4001"),
                null, null, null, "synapse", "secret", problems);
        assertThat(problems.messages()).isEmpty();
        assertThat(c.endpoints()).containsExactly(URI.create("http://10.0.0.1:2379"), URI.create("http://10.0.0.2:2379"),
                URI.create("http://[::1]:4001"));
        assertThat(c.usesTls()).isFalse();
        assertThat(c.tls()).isEqualTo(TlsFiles.NONE);
        assertThat(c.toString()).isEqualTo("http://10.0.0.1:2379,http://10.0.0.2:2379,http://[::1]:4001 as synapse")
                .doesNotContain("secret");
    }

    @Test
    void tlsFilesInEveryKeyFormAreReadAndChecked() {
        for (String form : List.of("pkcs1", "sec1", "pkcs8")) {
            ConfigProblems problems = new ConfigProblems();
            EtcdConnection c = EtcdConnections.fromConfig(NERVE, List.of("https://e1:2379"),
                    file("ca.pem"), file(form + ".pem"), file(form + ".key"), null, null, problems);
            assertThat(problems.messages()).isEmpty();
            assertThat(c.usesTls()).isTrue();
            assertThat(c.tls()).isEqualTo(new TlsFiles(file("ca.pem"), file(form + ".pem"), file(form + ".key")));
        }
    }

    @Test
    void everyProblemIsReportedWithTheSectionsOwnKeys() {
        ConfigProblems problems = new ConfigProblems().at("services.web");
        assertThat(EtcdConnections.fromConfig(NERVE, List.of("ftp://e1", "http://e2:2379", "https://e3", "e4/x"),
                file("ca.pem"), file("pkcs8.pem"), null, null, "pw", problems)).isNull();
        assertThat(problems.messages()).containsExactly(
                "services.web.etcd_endpoints[0]: expected an http:// or https:// URL, got \"ftp://e1\"",
                "services.web.etcd_endpoints[3]: expected a URL like http://10.0.0.1:2379, got \"e4/x\"",
                "services.web.etcd_endpoints: mixes http:// and https:// endpoints; use one scheme",
                "services.web.etcd_key_file: is required with etcd_cert_file",
                "services.web.etcd_user: is required with etcd_password");

        ConfigProblems plain = new ConfigProblems();
        assertThat(EtcdConnections.fromConfig(EtcdConnections.Keys.PLAIN, List.of(), null, null, null, "", null, plain)).isNull();
        assertThat(plain.messages()).containsExactly("endpoints: must not be empty", "user: must not be empty",
                "password: is required with user");

        ConfigProblems http = new ConfigProblems();
        EtcdConnections.fromConfig(EtcdConnections.Keys.PLAIN, List.of("http://e1"), file("ca.pem"), file("sec1.pem"),
                file("pkcs8.key"), null, null, http);
        assertThat(http.messages()).containsExactly("ca_file: requires https:// endpoints", "cert_file: requires https:// endpoints",
                "key_file: requires https:// endpoints");

        ConfigProblems mismatch = new ConfigProblems();
        EtcdConnections.fromConfig(EtcdConnections.Keys.PLAIN, List.of("https://e1"), null, file("sec1.pem"),
                file("pkcs8.key"), null, null, mismatch);
        assertThat(mismatch.messages()).containsExactly(
                "key_file: " + file("pkcs8.key") + ": not the private key of the certificate in " + file("sec1.pem"));
    }
}
