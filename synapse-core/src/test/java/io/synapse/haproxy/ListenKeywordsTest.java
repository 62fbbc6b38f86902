package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.spi.Backend;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The listen keyword table against the real HAProxy 2.6: a config with one service per supported
 * {@code listen} keyword passes {@code haproxy -c} without a single warning (so no keyword is
 * copied where HAProxy ignores it), and each line is in the sections the table names.
 */
class ListenKeywordsTest {
    /** keyword -> listen lines: what it needs first (an acl, a check type...), then a line using it. */
    private static final Map<String, List<String>> SAMPLES = Map.ofEntries(
            Map.entry("acl", List.of("acl is_local src 127.0.0.1")),
            Map.entry("backlog", List.of("backlog 1024")),
            Map.entry("balance", List.of("balance roundrobin")),
            Map.entry("bind", List.of("bind 127.0.0.1:$PORT2")),
            Map.entry("capture cookie", List.of("capture cookie SESSID len 32")),
            Map.entry("capture request header", List.of("capture request header Host len 64")),
            Map.entry("capture response header", List.of("capture response header Content-Length len 10")),
            Map.entry("clitcpka-cnt", List.of("clitcpka-cnt 3")),
            Map.entry("clitcpka-idle", List.of("clitcpka-idle 30s")),
            Map.entry("clitcpka-intvl", List.of("clitcpka-intvl 5s")),
            Map.entry("compression", List.of("compression algo gzip")),
            Map.entry("cookie", List.of("cookie SRV insert indirect nocache")),
            Map.entry("declare capture", List.of("declare capture request len 32")),
            Map.entry("default-server", List.of("default-server inter 3s")),
            Map.entry("default_backend", List.of("default_backend $SELF")),
            Map.entry("description", List.of("description the api service")),
            Map.entry("disabled", List.of("disabled")),
            Map.entry("dynamic-cookie-key", List.of("dynamic-cookie-key s3cr3t")),
            Map.entry("dispatch", List.of("dispatch 127.0.0.1:9")),
            Map.entry("email-alert from", List.of("email-alert mailers m1", "email-alert to ops@example.com", "email-alert from haproxy@example.com")),
            Map.entry("email-alert level", List.of("email-alert mailers m1", "email-alert from h@example.com", "email-alert to ops@example.com", "email-alert level alert")),
            Map.entry("email-alert mailers", List.of("email-alert from h@example.com", "email-alert to ops@example.com", "email-alert mailers m1")),
            Map.entry("email-alert myhostname", List.of("email-alert mailers m1", "email-alert from h@example.com", "email-alert to ops@example.com", "email-alert myhostname lb1")),
            Map.entry("email-alert to", List.of("email-alert mailers m1", "email-alert from h@example.com", "email-alert to ops@example.com")),
            Map.entry("enabled", List.of("enabled")),
            Map.entry("errorfile", List.of("errorfile 503 $DIR/503.http")),
            Map.entry("errorfiles", List.of("errorfiles myerrors")),
            Map.entry("errorloc", List.of("errorloc 503 http://example.com/503")),
            Map.entry("errorloc302", List.of("errorloc302 503 http://example.com/503")),
            Map.entry("errorloc303", List.of("errorloc303 503 http://example.com/503")),
            Map.entry("error-log-format", List.of("error-log-format %ci:%cp")),
            Map.entry("force-persist", List.of("acl is_local src 127.0.0.1", "force-persist if is_local")),
            Map.entry("filter", List.of("filter cache mycache")),
            Map.entry("fullconn", List.of("fullconn 1000")),
            Map.entry("hash-type", List.of("hash-type consistent")),
            Map.entry("http-after-response", List.of("http-after-response set-header X-After 1")),
            Map.entry("http-check comment", List.of("option httpchk", "http-check comment probe")),
            Map.entry("http-check connect", List.of("option httpchk", "http-check connect")),
            Map.entry("http-check disable-on-404", List.of("option httpchk", "http-check disable-on-404")),
            Map.entry("http-check expect", List.of("option httpchk", "http-check expect status 200")),
            Map.entry("http-check send", List.of("option httpchk", "http-check send meth GET uri /health")),
            Map.entry("http-check send-state", List.of("option httpchk", "http-check send-state")),
            Map.entry("http-check set-var", List.of("option httpchk", "http-check set-var(check.x) str(a)")),
            Map.entry("http-check unset-var", List.of("option httpchk", "http-check unset-var(check.x)")),
            Map.entry("http-error", List.of("http-error status 503 content-type text/plain string down")),
            Map.entry("http-request", List.of("http-request set-header X-Forwarded-Proto http")),
            Map.entry("http-response", List.of("http-response set-header X-Served-By lb1")),
            Map.entry("http-reuse", List.of("http-reuse safe")),
            Map.entry("http-send-name-header", List.of("http-send-name-header X-Server")),
            Map.entry("ignore-persist", List.of("acl is_local src 127.0.0.1", "ignore-persist if is_local")),
            Map.entry("load-server-state-from-file", List.of("load-server-state-from-file none")),
            Map.entry("log", List.of("log global")),
            Map.entry("log-format", List.of("log-format %ci:%cp")),
            Map.entry("log-format-sd", List.of("log-format-sd [exampleSDID@1234]")),
            Map.entry("log-tag", List.of("log-tag api")),
            Map.entry("max-keep-alive-queue", List.of("max-keep-alive-queue 10")),
            Map.entry("maxconn", List.of("maxconn 100")),
            Map.entry("mode", List.of("mode http")),
            Map.entry("monitor fail", List.of("acl is_local src 127.0.0.1", "monitor-uri /mon", "monitor fail if is_local")),
            Map.entry("monitor-uri", List.of("monitor-uri /mon")),
            Map.entry("option abortonclose", List.of("option abortonclose")),
            Map.entry("option accept-invalid-http-request", List.of("option accept-invalid-http-request")),
            Map.entry("option accept-invalid-http-response", List.of("option accept-invalid-http-response")),
            Map.entry("option allbackups", List.of("option allbackups")),
            Map.entry("option checkcache", List.of("option checkcache")),
            Map.entry("option clitcpka", List.of("option clitcpka")),
            Map.entry("option contstats", List.of("option contstats")),
            Map.entry("option disable-h2-upgrade", List.of("option disable-h2-upgrade")),
            Map.entry("option dontlog-normal", List.of("option dontlog-normal")),
            Map.entry("option dontlognull", List.of("option dontlognull")),
            Map.entry("option forwardfor", List.of("option forwardfor")),
            Map.entry("option h1-case-adjust-bogus-client", List.of("option h1-case-adjust-bogus-client")),
            Map.entry("option h1-case-adjust-bogus-server", List.of("option h1-case-adjust-bogus-server")),
            Map.entry("option http-buffer-request", List.of("option http-buffer-request")),
            Map.entry("option http-ignore-probes", List.of("option http-ignore-probes")),
            Map.entry("option http-keep-alive", List.of("option http-keep-alive")),
            Map.entry("option http-no-delay", List.of("option http-no-delay")),
            Map.entry("option http-pretend-keepalive", List.of("option http-pretend-keepalive")),
            Map.entry("option http-restrict-req-hdr-names", List.of("option http-restrict-req-hdr-names delete")),
            Map.entry("option http-server-close", List.of("option http-server-close")),
            Map.entry("option http-use-proxy-header", List.of("option http-use-proxy-header")),
            Map.entry("option httpchk", List.of("option httpchk GET /health")),
            Map.entry("option httpclose", List.of("option httpclose")),
            Map.entry("option httplog", List.of("option httplog")),
            Map.entry("option httpslog", List.of("option httpslog")),
            Map.entry("option independent-streams", List.of("option independent-streams")),
            Map.entry("option ldap-check", List.of("option ldap-check")),
            Map.entry("option external-check", List.of("external-check command /bin/true", "option external-check")),
            Map.entry("option log-health-checks", List.of("option log-health-checks")),
            Map.entry("option log-separate-errors", List.of("option log-separate-errors")),
            Map.entry("option logasap", List.of("option logasap")),
            Map.entry("option mysql-check", List.of("option mysql-check user haproxy")),
            Map.entry("option nolinger", List.of("option nolinger")),
            Map.entry("option originalto", List.of("option originalto")),
            Map.entry("option persist", List.of("option persist")),
            Map.entry("option pgsql-check", List.of("option pgsql-check user haproxy")),
            Map.entry("option prefer-last-server", List.of("option prefer-last-server")),
            Map.entry("option redispatch", List.of("option redispatch")),
            Map.entry("option redis-check", List.of("option redis-check")),
            Map.entry("option smtpchk", List.of("option smtpchk")),
            Map.entry("option socket-stats", List.of("option socket-stats")),
            Map.entry("option splice-auto", List.of("option splice-auto")),
            Map.entry("option splice-request", List.of("option splice-request")),
            Map.entry("option splice-response", List.of("option splice-response")),
            Map.entry("option spop-check", List.of("option spop-check")),
            Map.entry("option srvtcpka", List.of("option srvtcpka")),
            Map.entry("option ssl-hello-chk", List.of("option ssl-hello-chk")),
            Map.entry("option tcp-check", List.of("option tcp-check")),
            Map.entry("option tcp-smart-accept", List.of("option tcp-smart-accept")),
            Map.entry("option tcp-smart-connect", List.of("option tcp-smart-connect")),
            Map.entry("option tcpka", List.of("option tcpka")),
            Map.entry("option tcplog", List.of("option tcplog")),
            Map.entry("option transparent", List.of("option transparent")),
            Map.entry("option idle-close-on-response", List.of("option idle-close-on-response")),
            Map.entry("external-check command", List.of("option external-check", "external-check command /bin/true")),
            Map.entry("external-check path", List.of("option external-check", "external-check command /bin/true", "external-check path /usr/bin:/bin")),
            Map.entry("persist rdp-cookie", List.of("persist rdp-cookie")),
            Map.entry("rate-limit sessions", List.of("rate-limit sessions 100")),
            Map.entry("redirect", List.of("acl is_local src 127.0.0.1", "redirect location http://example.com/ if is_local")),
            Map.entry("retries", List.of("retries 3")),
            Map.entry("retry-on", List.of("retry-on conn-failure")),
            Map.entry("server", List.of("server extra 127.0.0.1:10")),
            Map.entry("server-state-file-name", List.of("server-state-file-name api")),
            Map.entry("server-template", List.of("server-template tpl 2 127.0.0.1:11")),
            Map.entry("source", List.of("source 0.0.0.0")),
            Map.entry("srvtcpka-cnt", List.of("srvtcpka-cnt 3")),
            Map.entry("srvtcpka-idle", List.of("srvtcpka-idle 30s")),
            Map.entry("srvtcpka-intvl", List.of("srvtcpka-intvl 5s")),
            Map.entry("stats admin", List.of("acl is_local src 127.0.0.1", "stats enable", "stats admin if is_local")),
            Map.entry("stats auth", List.of("stats auth admin:secret")),
            Map.entry("stats enable", List.of("stats enable")),
            Map.entry("stats hide-version", List.of("stats hide-version")),
            Map.entry("stats http-request", List.of("acl is_local src 127.0.0.1", "stats enable", "stats http-request auth unless is_local")),
            Map.entry("stats realm", List.of("stats realm HAProxy")),
            Map.entry("stats refresh", List.of("stats refresh 10s")),
            Map.entry("stats scope", List.of("stats scope .")),
            Map.entry("stats show-desc", List.of("stats show-desc lb1")),
            Map.entry("stats show-legends", List.of("stats show-legends")),
            Map.entry("stats show-node", List.of("stats show-node")),
            Map.entry("stats uri", List.of("stats uri /stats")),
            Map.entry("stick match", List.of("stick-table type ip size 1k", "stick match src")),
            Map.entry("stick on", List.of("stick-table type ip size 1k", "stick on src")),
            Map.entry("stick store-request", List.of("stick-table type ip size 1k", "stick store-request src")),
            Map.entry("stick store-response", List.of("stick-table type string size 1k", "stick store-response res.hdr(X-Sess)")),
            Map.entry("stick-table", List.of("stick-table type ip size 1k")),
            Map.entry("tcp-check comment", List.of("option tcp-check", "tcp-check comment probe")),
            Map.entry("tcp-check connect", List.of("option tcp-check", "tcp-check connect")),
            Map.entry("tcp-check expect", List.of("option tcp-check", "tcp-check expect string OK")),
            Map.entry("tcp-check send", List.of("option tcp-check", "tcp-check send PING")),
            Map.entry("tcp-check send-lf", List.of("option tcp-check", "tcp-check send-lf %[src]")),
            Map.entry("tcp-check send-binary", List.of("option tcp-check", "tcp-check send-binary 50494e47")),
            Map.entry("tcp-check send-binary-lf", List.of("option tcp-check", "tcp-check send-binary-lf %[str(50)]")),
            Map.entry("tcp-check set-var", List.of("option tcp-check", "tcp-check set-var(check.x) str(a)")),
            Map.entry("tcp-check unset-var", List.of("option tcp-check", "tcp-check unset-var(check.x)")),
            Map.entry("tcp-request connection", List.of("acl is_local src 127.0.0.1", "tcp-request connection accept if is_local")),
            Map.entry("tcp-request content", List.of("acl is_local src 127.0.0.1", "tcp-request content accept if is_local")),
            Map.entry("tcp-request inspect-delay", List.of("tcp-request inspect-delay 5s")),
            Map.entry("tcp-request session", List.of("acl is_local src 127.0.0.1", "tcp-request session accept if is_local")),
            Map.entry("tcp-response content", List.of("tcp-response content accept")),
            Map.entry("tcp-response inspect-delay", List.of("tcp-response inspect-delay 5s")),
            Map.entry("timeout check", List.of("timeout check 2s")),
            Map.entry("timeout client", List.of("timeout client 30s")),
            Map.entry("timeout client-fin", List.of("timeout client-fin 5s")),
            Map.entry("timeout connect", List.of("timeout connect 5s")),
            Map.entry("timeout http-keep-alive", List.of("timeout http-keep-alive 2s")),
            Map.entry("timeout http-request", List.of("timeout http-request 5s")),
            Map.entry("timeout queue", List.of("timeout queue 5s")),
            Map.entry("timeout server", List.of("timeout server 30s")),
            Map.entry("timeout server-fin", List.of("timeout server-fin 5s")),
            Map.entry("timeout tarpit", List.of("timeout tarpit 2s")),
            Map.entry("timeout tunnel", List.of("timeout tunnel 1h")),
            Map.entry("transparent", List.of("transparent")),
            Map.entry("unique-id-format", List.of("unique-id-format %{+X}o\\ %ci:%cp")),
            Map.entry("unique-id-header", List.of("unique-id-format %{+X}o\\ %ci:%cp", "unique-id-header X-Unique-ID")),
            Map.entry("use_backend", List.of("acl is_local src 127.0.0.1", "use_backend $SELF if is_local")),
            Map.entry("use-fcgi-app", List.of("server fcgi1 127.0.0.1:9000 proto fcgi", "use-fcgi-app php")),
            Map.entry("use-server", List.of("acl is_local src 127.0.0.1", "server s1 127.0.0.1:9", "use-server s1 if is_local")));

    @TempDir
    Path dir;

    @Test
    void everySupportedListenKeywordIsSampled() {
        assertThat(new java.util.TreeSet<>(SAMPLES.keySet())).isEqualTo(Keywords.listenKeywords());
    }

    @Test
    void aConfigUsingEverySupportedListenKeywordPassesHaproxyWithoutAWarning() throws Exception {
        Files.writeString(dir.resolve("503.http"), "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\ndown\n");
        ObjectNode global = json("{'do_reloads': false, 'do_socket': false, 'bind_address': '127.0.0.1',"
                + " 'global': ['maxconn 1000', 'log stdout format raw local0', 'external-check', 'insecure-fork-wanted'],"
                + " 'defaults': ['mode http', 'log global', 'timeout connect 5s', 'timeout client 30s', 'timeout server 30s'],"
                + " 'extra_sections': {'mailers m1': ['mailer smtp1 127.0.0.1:25'], 'cache mycache': ['total-max-size 4'],"
                + " 'fcgi-app php': ['docroot /var/www']}}");
        global.put("config_file_path", dir.resolve("haproxy.cfg").toString());
        ((ObjectNode) global.get("extra_sections")).putArray("http-errors myerrors").add("errorfile 503 " + dir.resolve("503.http"));
        Map<String, JsonNode> services = new LinkedHashMap<>();
        Map<String, List<Backend>> backends = new LinkedHashMap<>();
        Map<String, String> keywordOf = new LinkedHashMap<>();
        int i = 0;
        for (String keyword : Keywords.listenKeywords()) {
            String service = "k" + i;
            ObjectNode section = json("{'port': " + (21000 + i) + "}");
            ArrayNode listen = section.putArray("listen");
            for (String line : SAMPLES.get(keyword)) {
                listen.add(line.replace("$SELF", service).replace("$PORT2", String.valueOf(22000 + i)).replace("$DIR", dir.toString()));
            }
            services.put(service, section);
            backends.put(service, List.of(Backend.of("10.0.0.1", 80)));
            keywordOf.put(service, keyword);
            i++;
        }
        // "no" before the keywords the matrix marks (*)
        for (String negated : List.of("no option http-keep-alive", "no log", "no option dontlognull", "no option redispatch")) {
            services.put("k" + i, json("{'port': " + (21000 + i) + ", 'listen': ['" + negated + "']}"));
            backends.put("k" + i, List.of(Backend.of("10.0.0.1", 80)));
            i++;
        }
        HaproxyGenerator generator = Generators.create(global, services);
        generator.update(Generators.all(services, backends));
        Path cfg = dir.resolve("haproxy.cfg");
        String text = Files.readString(cfg);

        Haproxy.CheckResult check = Haproxy.check(cfg);
        List<String> warnings = new ArrayList<>();
        for (String line : check.output().split("\n")) {
            if (line.contains("[WARNING]") || line.contains("[ALERT]") || line.contains("ignored")) {
                warnings.add(line);
            }
        }
        assertThat(check.ok()).as(check.output()).isTrue();
        assertThat(warnings).as("haproxy -c warnings for %s", cfg).isEmpty();

        // each sample line is in exactly the sections the table names
        keywordOf.forEach((service, keyword) -> {
            Keywords.Keyword row = Keywords.keyword(keyword);
            String line = "\t" + SAMPLES.get(keyword).get(SAMPLES.get(keyword).size() - 1)
                    .replace("$SELF", service).replace("$PORT2", "").replace("$DIR", dir.toString());
            String frontend = Generators.section(text, "frontend " + service);
            String backend = Generators.section(text, "backend " + service);
            assertThat(frontend.contains(line)).as("%s in the frontend of %s", keyword, service).isEqualTo(row.frontend());
            assertThat(backend.contains(line)).as("%s in the backend of %s", keyword, service).isEqualTo(row.backend());
        });
    }
}
