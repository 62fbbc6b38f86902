package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.spi.Backend;
import io.synapse.testing.Binaries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CheckAndReloadTest {
    @TempDir
    Path dir;

    private ObjectNode global(boolean checks, String reload) {
        ObjectNode g = json("{'do_socket': false, 'global': ['maxconn 100'],"
                + " 'defaults': ['mode http', 'timeout connect 5s', 'timeout client 30s', 'timeout server 30s'],"
                + " 'restart_interval': 0.3}");
        g.put("config_file_path", dir.resolve("haproxy.cfg").toString());
        g.put("do_checks", checks);
        g.put("check_command", Binaries.haproxy() + " -c -q -f " + dir.resolve("haproxy.cfg.candidate"));
        if (reload == null) {
            g.put("do_reloads", false);
        } else {
            g.put("reload_command", reload);
        }
        return g;
    }

    @Test
    void aCandidateThatFailsTheCheckIsNeverInstalled() throws Exception {
        Map<String, JsonNode> ok = new LinkedHashMap<>();
        ok.put("api", json("{'port': 3400}"));
        HaproxyGenerator good = Generators.create(global(true, null), ok);
        good.update(Generators.all(ok, Map.of("api", List.of(Backend.of("10.0.0.1", 80)))));
        String installed = Files.readString(dir.resolve("haproxy.cfg"));
        assertThat(installed).contains("server 10.0.0.1:80");

        // a directive HAProxy does not know: the check fails, the installed file stays
        Map<String, JsonNode> bad = new LinkedHashMap<>();
        bad.put("api", json("{'port': 3400, 'backend': ['frobnicate yes']}"));
        HaproxyGenerator rejecting = Generators.create(global(true, null), bad);
        assertThatThrownBy(() -> rejecting.update(Generators.all(bad, Map.of("api", List.of(Backend.of("10.0.0.2", 80))))))
                .isInstanceOf(HaproxyGenerator.CandidateRejectedException.class)
                .hasMessageStartingWith("check_command rejected the new config (exit 1): ")
                .hasMessageEndingWith("; " + dir.resolve("haproxy.cfg") + " was left as it was");
        assertThat(Files.readString(dir.resolve("haproxy.cfg"))).isEqualTo(installed);
    }

    @Test
    void reloadsAreRateLimitedCoalescedAndRetried() throws Exception {
        Path log = dir.resolve("reloads.log");
        Path fail = dir.resolve("fail");
        // the command fails while the file "fail" exists, else appends a line
        String reload = "test ! -e " + fail + " && echo reload >> " + log;
        Map<String, JsonNode> services = new LinkedHashMap<>();
        services.put("api", json("{'port': 3401}"));
        HaproxyGenerator g = Generators.create(global(false, reload), services);
        Files.createFile(fail);
        g.update(Generators.all(services, Map.of("api", List.of(Backend.of("10.0.0.1", 80)))));
        // the first reload fails and is retried; meanwhile more changes arrive and are coalesced
        for (int i = 2; i < 30; i++) {
            g.update(Generators.all(services, Map.of("api", List.of(Backend.of("10.0.0." + i, 80)))));
        }
        assertThat(log).doesNotExist();
        Files.delete(fail);
        await().until(() -> Files.exists(log));
        await().during(java.time.Duration.ofMillis(800)).until(() -> Files.readAllLines(log).size() == 1);
        g.close();
    }

    @Test
    void identicalContentIsNotRewrittenNorReloaded() throws Exception {
        Path log = dir.resolve("reloads.log");
        Map<String, JsonNode> services = new LinkedHashMap<>();
        services.put("api", json("{'port': 3402}"));
        HaproxyGenerator g = Generators.create(global(false, "echo reload >> " + log), services);
        Map<String, List<Backend>> backends = Map.of("api", List.of(Backend.of("10.0.0.1", 80)));
        g.update(Generators.all(services, backends));
        await().until(() -> Files.exists(log));
        g.update(Generators.all(services, backends));
        g.update(Generators.all(services, backends));
        assertThat(g.writes()).isEqualTo(1);
        g.close();
        // a new process finding the same file on disk does not rewrite it either
        HaproxyGenerator restarted = Generators.create(global(false, null), services);
        restarted.update(Generators.all(services, backends));
        assertThat(restarted.writes()).isZero();
    }
}
