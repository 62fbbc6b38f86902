package io.synapse.nerve;

import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.nerve.ReporterTarget.NodeType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigLoaderTest {
    private final ConfigLoader loader = new ConfigLoader(Map.of("WEB_PORT", "8080", "EMPTY", ""));

    private ConfigLoader.Result json(String text) {
        return loader.parse(text, false, null);
    }

    @Test
    void minimalServiceGetsTheReferenceDefaults() {
        ConfigLoader.Result r = json("""
                {"instance_id": "i-1", "services": {"web": {"host": "127.0.0.1", "port": 8080,
                  "zk_hosts": ["127.0.0.1:2181"], "zk_path": "/nerve/web/",
                  "checks": [{"type": "http", "uri": "/health"}, {"type": "tcp"}]}}}
                """);
        assertThat(r.problems()).isEmpty();
        ServiceConfig web = r.config().services().get("web");
        assertThat(web.checkInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(web.reporter()).isEqualTo(new ReporterTarget.ZooKeeper(ZooKeeperEnsemble.of("127.0.0.1:2181"), "/nerve/web",
                NodeType.EPHEMERAL_SEQUENTIAL, false));
        assertThat(web.maxRepeatedReportFailures()).isEqualTo(10);
        CheckConfig http = web.checks().get(0);
        assertThat(http.timeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(http.rise()).isEqualTo(1);
        assertThat(http.fall()).isEqualTo(1);
        assertThat(http.host()).isEqualTo("127.0.0.1");
        assertThat(http.port()).isEqualTo(8080);
        assertThat(http.name()).isEqualTo("http 127.0.0.1:8080/health");
        assertThat(http.spec()).isEqualTo(new CheckConfig.Http("/health", null, Map.of(), Duration.ofMillis(200),
                Duration.ofMillis(100), false, Duration.ofMillis(200), true, null));
        assertThat(web.checks().get(1).spec()).isEqualTo(new CheckConfig.Tcp());
        assertThat(r.config().verifyInterval()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void theStatusEndpointIsOffUnlessConfiguredAndABadAddressIsFatal() {
        String services = "\"services\": {\"web\": {\"host\": \"127.0.0.1\", \"port\": 8080, \"zk_hosts\": [\"z:2181\"], \"zk_path\": \"/w\"}}";
        assertThat(json("{\"instance_id\": \"i-1\", " + services + "}").config().status()).isNull();
        ConfigLoader.Result r = json("{\"instance_id\": \"i-1\", \"status\": {\"port\": \"${WEB_PORT}\", \"bind_address\": \"::\"}, "
                + services + "}");
        assertThat(r.problems()).isEmpty();
        assertThat(r.config().status()).isEqualTo(new io.synapse.common.status.StatusSettings("::", 8080));
        r = json("{\"instance_id\": \"i-1\", \"status\": {\"port\": 9091, \"bind_address\": \"nerve.local\"}, " + services + "}");
        assertThat(r.fatal()).isTrue();
        assertThat(r.problems()).containsExactly("status.bind_address: expected an IP address (127.0.0.1 for this host only, "
                + "0.0.0.0 for every interface, or ::1 / ::) or \"localhost\", got \"nerve.local\"");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsPathAndGoodServicesSurvive() {
        ConfigLoader.Result r = json("""
                {"instance_id": "i-1", "services": {
                  "web": {"host": "127.0.0.1", "port": "80a", "prot": 1, "zk_hosts": ["z:2181"], "zk_path": "/w",
                          "checks": [{"type": "htp", "uri": "/"}, {"type": "rabbitmq"}, {"type": "tcp", "rise": 0}]},
                  "api": {"host": "127.0.0.1", "port": 9000, "weight": 300, "zk_path": "/a"},
                  "ok": {"host": "10.0.0.5", "port": 8081, "reporter_type": "zookeeper", "zk_hosts": "z1:2181,z2:2181",
                         "zk_path": "/ok", "node_type": "ephemerl", "check_interval": "fast"},
                  "good": {"host": "10.0.0.6", "port": 8082, "zk_hosts": ["z:2181"], "zk_path": "/good"}}}
                """);
        assertThat(r.problems()).containsExactly(
                "services.web.prot: unknown key (did you mean \"port\"?)",
                "services.web.port: expected an integer 1-65535, got \"80a\"",
                "services.web.checks[0].type: unknown check type \"htp\" (did you mean \"http\"?) (supported: http, tcp, redis, exec, noop)",
                "services.web.checks[1].type: rabbitmq checks are not supported (supported: http, tcp, redis, exec, noop)",
                "services.web.checks[2].rise: expected an integer >= 1, got 0",
                "services.api.weight: expected an integer 0-256, got 300",
                "services.api.zk_hosts: is required for reporter_type zookeeper",
                "services.ok.check_interval: expected a number of seconds (0.001-86400), got \"fast\"",
                "services.ok.node_type: expected one of ephemeral_sequential, ephemeral, persistent, persistent_sequential, "
                        + "got \"ephemerl\" (did you mean \"ephemeral\"?)");
        assertThat(r.fatal()).isFalse();
        assertThat(r.badServices()).containsExactlyInAnyOrder("web", "api", "ok");
        assertThat(r.config().services()).containsOnlyKeys("good");
    }

    @Test
    void topLevelProblemsMakeTheConfigUnusable() {
        ConfigLoader.Result r = json("""
                {"heartbeat_pth": "/tmp/x", "services": [], "max_repeated_report_failures": -1}
                """);
        assertThat(r.fatal()).isTrue();
        assertThat(r.problems()).containsExactly(
                "heartbeat_pth: unknown key (did you mean \"heartbeat_path\"?)",
                "instance_id: is required",
                "max_repeated_report_failures: expected an integer >= 1, got -1",
                "services: expected an object of service name to service, got a list");
    }

    @Test
    void invalidInstanceIdAndSyntaxErrorsAreClear() {
        assertThat(json("{\"instance_id\": \"a b\", \"services\": {}}").problems()).containsExactly(
                "instance_id: expected letters, digits and . _ - : only (at most 200 characters), got \"a b\"");
        assertThat(json("{\"instance_id\": \"i-1\",\n \"services\": {,}}").problems()).singleElement()
                .asString().startsWith("not valid JSON (line 2, column 15): Unexpected character (',' (code 44))");
        assertThat(loader.parse("{\"instance_id\": \"i-1\", \"services\": {}}", false, "bad id").problems())
                .containsExactly("--instance-id: expected letters, digits and . _ - : only (at most 200 characters), got \"bad id\"");
    }

    @Test
    void instanceIdOverrideWins() {
        ConfigLoader.Result r = loader.parse("{\"instance_id\": \"i-1\", \"services\": {}}", false, "i-2");
        assertThat(r.config().instanceId()).isEqualTo("i-2");
    }

    @Test
    void environmentVariablesAreSubstitutedInStrings() {
        ConfigLoader.Result r = json("""
                {"instance_id": "i-1", "services": {
                  "web": {"host": "${WEB_HOST:-127.0.0.1}", "port": "${WEB_PORT}", "zk_hosts": ["z:2181"],
                          "zk_path": "/w", "labels": {"az": "${EMPTY:-us-1a}", "lit": "$${NOT_A_VAR}"}},
                  "bad": {"host": "${MISSING}", "port": 1, "zk_hosts": ["z:2181"], "zk_path": "/b"}}}
                """);
        assertThat(r.problems()).containsExactly(
                "services.bad.host: environment variable MISSING is not set (use ${MISSING:-default} for a default)");
        ServiceConfig web = r.config().services().get("web");
        assertThat(web.host()).isEqualTo("127.0.0.1");
        assertThat(web.port()).isEqualTo(8080);
        assertThat(web.labels()).containsExactly(Map.entry("az", "us-1a"), Map.entry("lit", "${NOT_A_VAR}"));
    }

    @Test
    void yamlAndJsonGiveTheSameConfig(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("nerve.yaml");
        Files.writeString(yaml, """
                instance_id: i-1
                services:
                  web:
                    host: 127.0.0.1
                    port: 8080
                    reporter_type: etcd
                    etcd_host: 127.0.0.1
                    etcd_path: /nerve/web
                    check_interval: 0.25
                    weight: 5
                    haproxy_server_options: backup
                    labels: {az: a, canary: true}
                    checks:
                      - {type: http, uri: /health, expect: ok, headers: {Host: web.local}, ssl: true, ssl_verify: false, rise: 3, fall: 2}
                      - {type: exec, command: "test -f /tmp/x", timeout: 2}
                      - {type: redis, port: 6379}
                      - {type: noop}
                """);
        Path json = dir.resolve("nerve.json");
        Files.writeString(json, """
                {"instance_id": "i-1", "services": {"web": {"host": "127.0.0.1", "port": 8080, "reporter_type": "etcd",
                  "etcd_host": "127.0.0.1", "etcd_path": "/nerve/web", "check_interval": 0.25, "weight": 5,
                  "haproxy_server_options": "backup", "labels": {"az": "a", "canary": true},
                  "checks": [
                    {"type": "http", "uri": "/health", "expect": "ok", "headers": {"Host": "web.local"}, "ssl": true,
                     "ssl_verify": false, "rise": 3, "fall": 2},
                    {"type": "exec", "command": "test -f /tmp/x", "timeout": 2},
                    {"type": "redis", "port": 6379},
                    {"type": "noop"}]}}}
                """);
        ConfigLoader.Result fromYaml = loader.load(yaml, null);
        ConfigLoader.Result fromJson = loader.load(json, null);
        assertThat(fromYaml.problems()).isEmpty();
        assertThat(fromYaml.config()).isEqualTo(fromJson.config());
        ServiceConfig web = fromYaml.config().services().get("web");
        assertThat(web.reporter()).isEqualTo(new ReporterTarget.Etcd(
                EtcdConnection.of(List.of(URI.create("http://127.0.0.1:4003"))), "/nerve/web"));
        assertThat(web.labels()).isEqualTo(Map.of("az", "a", "canary", "true"));
        CheckConfig.Http http = (CheckConfig.Http) web.checks().get(0).spec();
        assertThat(http.sslVerify()).isFalse();
        assertThat(http.headers()).isEqualTo(Map.of("Host", "web.local"));
        assertThat(web.checks().get(0).rise()).isEqualTo(3);
        assertThat(web.checks().get(1).spec()).isEqualTo(new CheckConfig.Exec(List.of("/bin/sh", "-c", "test -f /tmp/x")));
        assertThat(web.checks().get(1).timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(web.checks().get(2).port()).isEqualTo(6379);
    }

    @Test
    void etcdOptionsAreCheckedTogether() {
        ConfigLoader.Result r = json("""
                {"instance_id": "i-1", "services": {
                  "both": {"host": "127.0.0.1", "port": 1, "reporter_type": "etcd", "etcd_host": "e", "etcd_endpoints": ["http://e:2379"]},
                  "tls": {"host": "127.0.0.1", "port": 1, "reporter_type": "etcd", "etcd_endpoints": "https://e1:2379,https://e2",
                          "etcd_ca_file": "/nonexistent/ca.pem", "etcd_user": "u"},
                  "cluster": {"host": "127.0.0.1", "port": 1, "reporter_type": "etcd", "etcd_endpoints": "http://e1:2379,http://e2",
                              "etcd_user": "u", "etcd_password": "p"}}}
                """);
        assertThat(r.problems()).containsExactly(
                "services.both.etcd_endpoints: use either etcd_endpoints or etcd_host/etcd_port, not both",
                "services.tls.etcd_ca_file: /nonexistent/ca.pem: no such file",
                "services.tls.etcd_password: is required with etcd_user");
        ReporterTarget.Etcd cluster = (ReporterTarget.Etcd) r.config().services().get("cluster").reporter();
        assertThat(cluster.connection().endpoints())
                .containsExactly(URI.create("http://e1:2379"), URI.create("http://e2:2379"));
        assertThat(cluster.path()).isEmpty();
        assertThat(cluster.connection().toString()).isEqualTo("http://e1:2379,http://e2:2379 as u");
    }

    @Test
    void checkKeysDependOnTheType() {
        ConfigLoader.Result r = json("""
                {"instance_id": "i-1", "services": {"web": {"host": "127.0.0.1", "port": 1, "zk_hosts": ["z:2181"], "zk_path": "/w",
                  "checks": [{"type": "tcp", "uri": "/x"}, {"type": "http"}, {"type": "exec"}, {"type": "http", "uri": "health"}]}}}
                """);
        assertThat(r.problems()).containsExactly(
                "services.web.checks[0].uri: unknown key for check type \"tcp\"; known keys: type, name, timeout, rise, fall, host, port",
                "services.web.checks[1].uri: is required",
                "services.web.checks[2].command: is required (a shell command string, or a list: program and arguments)",
                "services.web.checks[3].uri: expected a path starting with / (no spaces or control characters), got \"health\"");
    }

    @Test
    void serviceConfDirAddsOneServicePerFile(@TempDir Path dir) throws Exception {
        Path conf = Files.createDirectory(dir.resolve("conf.d"));
        Files.writeString(conf.resolve("api.json"), """
                {"host": "127.0.0.1", "port": 9000, "zk_hosts": ["z:2181"], "zk_path": "/api"}
                """);
        Files.writeString(conf.resolve("db.yaml"), "host: 127.0.0.1\nport: 5432\nzk_hosts: [\"z:2181\"]\nzk_path: /db\n");
        Files.writeString(conf.resolve("web.json"), "{\"host\": \"127.0.0.1\", \"port\": 1}");
        Files.writeString(conf.resolve("broken.json"), "{\"host\": ");
        Files.writeString(conf.resolve("README.txt"), "ignored");
        Path main = dir.resolve("nerve.json");
        Files.writeString(main, """
                {"instance_id": "i-1", "service_conf_dir": "%s",
                 "services": {"web": {"host": "127.0.0.1", "port": 8080, "zk_hosts": ["z:2181"], "zk_path": "/web"}}}
                """.formatted(conf));
        ConfigLoader.Result r = loader.load(main, null);
        assertThat(r.config().services()).containsOnlyKeys("web", "api", "db");
        assertThat(r.config().services().get("db").port()).isEqualTo(5432);
        assertThat(r.problems()).hasSize(2);
        assertThat(r.problems().get(0)).startsWith("service_conf_dir[broken.json]: " + conf.resolve("broken.json")
                + ": not valid JSON (line 1");
        assertThat(r.problems().get(1)).isEqualTo(
                "service_conf_dir[web.json]: service \"web\" is already defined in services; this file is ignored");
    }

    @Test
    void registrationThatSynapseWouldRejectIsRejectedHere() {
        ConfigLoader.Result r = json("""
                {"instance_id": "i-1", "services": {"web": {"host": "bad host", "port": 1, "zk_hosts": ["z:2181"],
                  "zk_path": "/w", "haproxy_server_options": "check\\ninter 1", "labels": {"a": 1, "b": [1]}}}}
                """);
        assertThat(r.problems()).containsExactly(
                "services.web.host: expected an IP address or a DNS name, got \"bad host\"",
                "services.web.haproxy_server_options: control or non-ASCII characters are not allowed, got \"check\\u000ainter 1\"",
                "services.web.labels.b: expected a string, number or boolean, got a list");
    }

    @Test
    void suggestionsUseEditDistance() {
        assertThat(io.synapse.common.config.DidYouMean.closest("zk_host", ConfigLoader.SERVICE_KEYS)).isEqualTo("zk_hosts");
        assertThat(io.synapse.common.config.DidYouMean.closest("chekcs", ConfigLoader.SERVICE_KEYS)).isEqualTo("checks");
        assertThat(io.synapse.common.config.DidYouMean.closest("completely_different", ConfigLoader.SERVICE_KEYS)).isNull();
    }

    @Test
    void stringsFromTheEnvironmentReadAsNumbersAndBooleansExactlyAsInSynapse() {
        ConfigLoader env = new ConfigLoader(Map.of("ENC", "true", "EVERY", "0.25", "RISE", "3", "SSL", "yes"));
        ConfigLoader.Result r = env.parse("""
                {"instance_id": "i-1", "services": {
                  "web": {"host": "127.0.0.1", "port": 1, "zk_hosts": ["z:2181"], "zk_path": "/w", "use_path_encoding": "${ENC}",
                          "check_interval": "${EVERY}", "checks": [{"type": "tcp", "rise": "${RISE}"}]},
                  "bad": {"host": "127.0.0.1", "port": "${PORT}", "zk_hosts": ["z:2181"], "zk_path": "/b",
                          "checks": [{"type": "http", "uri": "/", "ssl": "${SSL}"}]}}}
                """, false, null);
        assertThat(r.problems()).containsExactly(
                "services.bad.port: environment variable PORT is not set (use ${PORT:-default} for a default)",
                "services.bad.checks[0].ssl: expected true or false, got \"yes\"");
        ServiceConfig web = r.config().services().get("web");
        assertThat(((ReporterTarget.ZooKeeper) web.reporter()).usePathEncoding()).isTrue();
        assertThat(web.checkInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(web.checks().get(0).rise()).isEqualTo(3);
    }

    @Test
    void zooKeeperHostsAreCheckedAndNormalisedAsTheWatcherDoesWithDigestAuth() {
        ConfigLoader.Result r = json("""
                {"instance_id": "i-1", "services": {
                  "web": {"host": "127.0.0.1", "port": 1, "zk_hosts": ["ZK2:2181", "zk1:2181/nerve"], "zk_path": "/w",
                          "zk_auth": {"scheme": "digest", "credentials": "nerve:secret"}},
                  "bad": {"host": "127.0.0.1", "port": 1, "zk_hosts": ["zk1", "[::1]:99999"], "zk_path": "/b",
                          "zk_auth": {"scheme": "sasl", "credentials": "nerve", "user": "x"}}}}
                """);
        assertThat(r.problems()).containsExactly(
                "services.bad.zk_hosts[0]: expected \"host:port\", got \"zk1\"",
                "services.bad.zk_hosts[1]: expected \"host:port\", got \"[::1]:99999\" (the port must be 1-65535)",
                "services.bad.zk_auth.user: unknown key",
                "services.bad.zk_auth.scheme: expected \"digest\", got \"sasl\"",
                "services.bad.zk_auth.credentials: expected \"user:password\"");
        ReporterTarget.ZooKeeper web = (ReporterTarget.ZooKeeper) r.config().services().get("web").reporter();
        assertThat(web.ensemble()).isEqualTo(ZooKeeperEnsemble.of(List.of("zk1:2181", "zk2:2181/nerve"),
                new io.synapse.common.zookeeper.ZooKeeperAuth("digest", "nerve:secret")));
        assertThat(web.describe()).isEqualTo("zookeeper zk1:2181,zk2:2181/nerve/w");
    }

    @Test
    void etcdTlsFilesInEveryKeyFormAreReadWhenTheConfigIsLoaded(@TempDir Path dir) throws Exception {
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=test-ca");
        openssl(dir, "genrsa", "-traditional", "-out", "pkcs1.key", "2048");
        openssl(dir, "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "sec1.key");
        openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "pkcs8.key");
        for (String form : List.of("pkcs1", "sec1", "pkcs8")) {
            openssl(dir, "req", "-new", "-key", form + ".key", "-out", form + ".csr", "-subj", "/CN=nerve");
            openssl(dir, "x509", "-req", "-in", form + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", form + ".pem", "-days", "2");
        }
        StringBuilder services = new StringBuilder();
        for (String form : List.of("pkcs1", "sec1", "pkcs8")) {
            services.append(tlsService(form, dir, form + ".pem", form + ".key")).append(", ");
        }
        services.append(tlsService("mismatch", dir, "sec1.pem", "pkcs8.key")).append(", ");
        services.append(tlsService("notakey", dir, "sec1.pem", "ca.pem"));
        ConfigLoader.Result r = json("{\"instance_id\": \"i-1\", \"services\": {" + services + "}}");
        assertThat(r.problems()).containsExactly(
                "services.mismatch.etcd_key_file: " + dir.resolve("pkcs8.key") + ": not the private key of the certificate in "
                        + dir.resolve("sec1.pem"),
                "services.notakey.etcd_key_file: " + dir.resolve("ca.pem") + ": no PEM private key found");
        assertThat(r.config().services()).containsOnlyKeys("pkcs1", "sec1", "pkcs8");
        ReporterTarget.Etcd sec1 = (ReporterTarget.Etcd) r.config().services().get("sec1").reporter();
        assertThat(sec1.connection().endpoints()).containsExactly(URI.create("https://127.0.0.1:4003"));
        assertThat(sec1.connection().tls()).isEqualTo(new io.synapse.common.tls.TlsFiles(dir.resolve("ca.pem").toString(),
                dir.resolve("sec1.pem").toString(), dir.resolve("sec1.key").toString()));
    }

    private static String tlsService(String name, Path dir, String cert, String key) {
        return """
                "%s": {"host": "127.0.0.1", "port": 1, "reporter_type": "etcd", "etcd_host": "127.0.0.1",
                       "etcd_ca_file": "%s", "etcd_cert_file": "%s", "etcd_key_file": "%s"}"""
                .formatted(name, dir.resolve("ca.pem"), dir.resolve(cert), dir.resolve(key));
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(io.synapse.testing.Binaries.require("openssl", "openssl").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("openssl %s: %s", command, out).isZero();
    }

    @Test
    void checkEnvironmentFindsWhatOnlyTheHostCanTell(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("plain"), "a file, not a directory");
        ConfigLoader withPath = new ConfigLoader(Map.of("PATH", "/usr/bin:/bin"));
        ConfigLoader.Result r = withPath.parse("""
                {"instance_id": "i-1", "heartbeat_path": "%s/plain/missing/heartbeat", "services": {
                  "web": {"host": "127.0.0.1", "port": 1, "zk_hosts": ["z:2181"], "zk_path": "/w", "checks": [
                    {"type": "exec", "command": ["test", "-f", "/x"]}, {"type": "exec", "command": ["no-such-program-x"]},
                    {"type": "exec", "command": ["%s/nothing"]}, {"type": "exec", "command": "anything at all"}]}}}
                """.formatted(dir, dir), false, null);
        assertThat(r.problems()).isEmpty();
        assertThat(withPath.checkEnvironment(r.config())).containsExactly(
                "heartbeat_path: the directory " + dir.resolve("plain/missing") + " cannot be created: " + dir.resolve("plain")
                        + " is not a directory",
                "services.web.checks[1].command: program \"no-such-program-x\" not found in PATH",
                "services.web.checks[2].command: program \"" + dir.resolve("nothing") + "\" is not an executable file");
    }
}
