package io.synapse.multi;

import io.synapse.Synapse;
import io.synapse.dns.testing.Knot;
import io.synapse.testing.FreePorts;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** zookeeper_dns: host names from a real ZooKeeper, resolved by a real Knot DNS server, into haproxy.cfg. */
class ZookeeperDnsTest {
    static {
        MultiTesting.init();
    }

    @TempDir
    Path dir;

    @Test
    void namesFromZookeeperAreResolvedAndResolvedAgain() throws Exception {
        try (Registries r = Registries.start(false);
                Knot knot = Knot.start("dev.kw", """
                        api1 2 IN A 10.3.0.1
                        api2 2 IN A 10.3.0.2
                        api2 2 IN A 10.3.0.3
                        """)) {
            String path = Registries.path("zkdns");
            String api1 = r.zkRegister(path, "api1", "api1.dev.kw", 8080);
            r.zkRegister(path, "api2", "api2.dev.kw", 8081);
            int overridePort = FreePorts.next();
            r.zkSetData(path, "{\"haproxy\": {\"port\": " + overridePort + ", \"server_options\": \"check inter 9s\"}}");
            String discovery = """
                    {"method": "zookeeper_dns", "hosts": ["%s"], "path": "%s", "nameserver": "%s", "check_interval": 1}
                    """.formatted(r.zk.getConnectString(), path, knot.address());
            Path cfg = dir.resolve("haproxy.cfg");
            try (Synapse synapse = Synapse.fromFile(MultiTesting.synapseConfig(dir, "api", discovery, FreePorts.next()), MultiTesting.PLUGINS)) {
                synapse.start();
                assertThat(synapse.awaitInitialized(MultiTesting.WAIT)).isTrue();
                String text = awaitCfg(cfg, c -> c.contains("10.3.0.1:8080") && c.contains("10.3.0.2:8081") && c.contains("10.3.0.3:8081"));
                assertThat(text).contains("server api1_10.3.0.1:8080 10.3.0.1:8080", "check inter 9s", "bind localhost:" + overridePort)
                        .doesNotContain("dev.kw");

                // DNS changes are seen without any change in ZooKeeper
                knot.update("update delete api2.dev.kw. A 10.3.0.3", "update add api1.dev.kw. 2 A 10.3.0.9");
                awaitCfg(cfg, c -> c.contains("10.3.0.9:8080") && !c.contains("10.3.0.3:8081") && c.contains("10.3.0.1:8080"));

                // ZooKeeper changes: a name leaves, an IP address is used as is
                r.zkDelete(api1);
                r.zkRegister(path, "direct", "10.3.0.50", 9000);
                awaitCfg(cfg, c -> !c.contains("10.3.0.1:8080") && !c.contains("10.3.0.9:8080")
                        && c.contains("10.3.0.50:9000") && c.contains("10.3.0.2:8081"));
            }
        }
    }

    private static String awaitCfg(Path cfg, Predicate<String> condition) {
        await().until(() -> condition.test(MultiTesting.read(cfg)));
        Haproxy.assertValid(cfg);
        return MultiTesting.read(cfg);
    }
}
