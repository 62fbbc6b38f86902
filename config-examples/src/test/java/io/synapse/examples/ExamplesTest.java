package io.synapse.examples;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.synapse.Synapse;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.dns.testing.Knot;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.marathon.MarathonEmulator;
import io.synapse.testing.EtcdCluster;
import io.synapse.testing.Haproxy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every example synapse config renders, against real registries, a haproxy.cfg that the real haproxy accepts. */
class ExamplesTest {
    static final Path EXAMPLES = Path.of("src/main/resources/examples");
    /**
     * Examples tested elsewhere: nerve.conf.json by NerveToSynapseTest, clayio-ec2tag.json by watcher-ec2tag's
     * ClayIoExampleTest, the nginx and Prometheus ones (with templates/ and nginx/) by NginxTemplatesTest.
     */
    static final Set<String> TESTED_ELSEWHERE = Set.of("nerve.conf.json", "clayio-ec2tag.json",
            "nginx-etcd-ttl-keys.json", "nginx-servers.json", "templates", "nginx");
    static final Set<String> TESTED_HERE = Set.of("base.json", "zookeeper-nerve.json", "etcd-ttl-keys.json",
            "etcd-announce-host-routing.json", "etcd-nerve.json", "skydns-srv.json", "marathon-lb.json",
            "zookeeper-to-etcd-migration.json", "sequential-dns-fallback.json");

    static EtcdCluster etcd;
    static Client etcdClient;

    @TempDir
    Path out;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(1);
        etcdClient = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
    }

    @AfterAll
    static void stopEtcd() {
        etcdClient.close();
        etcd.close();
    }

    /** Loads an example with {@code SYNAPSE_OUT} (and {@code extra}) set, runs it once, checks the result. */
    static String renderOnce(Path example, Path out, Map<String, String> extra) throws Exception {
        Map<String, String> env = new HashMap<>(extra);
        env.put("SYNAPSE_OUT", out.toString());
        var config = new ConfigLoader(Plugins.fromClasspath(), env::get).load(example);
        try (Synapse synapse = Synapse.fromConfig(config)) {
            synapse.start();
            assertThat(synapse.awaitInitialized(Duration.ofSeconds(30)))
                    .as("first snapshots of %s (missing: %s)", example, synapse.uninitializedServices()).isTrue();
        }
        Path cfg = out.resolve("haproxy.cfg");
        Haproxy.assertValid(cfg);
        return Files.readString(cfg);
    }

    private static void put(String key, String value) throws Exception {
        etcdClient.getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8), ByteSequence.from(value, StandardCharsets.UTF_8)).get();
    }

    @Test
    void everyExampleIsTested() throws Exception {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            Set<String> names = files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
            Set<String> covered = new java.util.HashSet<>(TESTED_HERE);
            covered.addAll(TESTED_ELSEWHERE);
            assertThat(names).containsExactlyInAnyOrderElementsOf(covered);
        }
    }

    @Test
    void base() throws Exception {
        String cfg = renderOnce(EXAMPLES.resolve("base.json"), out, Map.of());
        assertThat(cfg).contains("server api1_127.0.0.1:8081 127.0.0.1:8081 id 1 cookie api1_127.0.0.1:8081 check inter 2s rise 2 fall 3",
                "server search1_localhost:9200 localhost:9200 id 1 init-addr last,libc,none");
        assertThat(Files.readString(out.resolve("services/api.json"))).contains("\"host\" : \"127.0.0.1\"");
    }

    @Test
    void zookeeperNerveAndServerset() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
            client.start();
            client.create().creatingParentsIfNeeded().forPath("/nerve/services/api/i-1_0000000004",
                    new NerveRegistration("10.0.0.4", 8080, "i-1", 50, null, Map.of(), null).toJson());
            client.create().creatingParentsIfNeeded().forPath("/aurora/billing/member_0000000001", ("{\"serviceEndpoint\":"
                    + " {\"host\": \"10.1.0.1\", \"port\": 9000}, \"additionalEndpoints\": {\"http\": {\"host\": \"10.1.0.1\", \"port\": 9080}},"
                    + " \"status\": \"ALIVE\", \"shard\": 3}").getBytes(StandardCharsets.UTF_8));
            String cfg = renderOnce(EXAMPLES.resolve("zookeeper-nerve.json"), out, Map.of("ZK_HOSTS", zk.getConnectString()));
            assertThat(cfg).contains("server i-1_10.0.0.4:8080 10.0.0.4:8080 id 1 cookie i-1_10.0.0.4:8080 check inter 2s rise 3 fall 2 weight 50",
                    "server 3_10.1.0.1:9080 10.1.0.1:9080 id 1 cookie 3_10.1.0.1:9080");
            assertThat(out.resolve("haproxy.cfg.candidate")).exists();
        }
    }

    @Test
    void etcdTtlKeys() throws Exception {
        put("/service_dis/192.168.1.4:9001", "ok");
        put("/service_dis/192.168.1.5:9001", "ok");
        String cfg = renderOnce(EXAMPLES.resolve("etcd-ttl-keys.json"), out, Map.of("ETCD_ENDPOINT", etcd.endpoint(0)));
        assertThat(cfg).contains("server 192.168.1.4:9001 192.168.1.4:9001", "server 192.168.1.5:9001 192.168.1.5:9001");
    }

    @Test
    void etcdAnnouncementsWithHostRouting() throws Exception {
        put("/services/web/0ce60d000eac", "{\"ID\": \"0ce60d000eac\", \"SERVICE\": \"web\", \"IP\": \"10.250.136.243\", \"EXT_PORT\": \"49178\"}");
        put("/services/blog/1a2b3c4d5e6f", "{\"ID\": \"1a2b3c4d5e6f\", \"SERVICE\": \"blog\", \"IP\": \"10.250.136.244\", \"EXT_PORT\": \"49179\"}");
        put("/services/redis/9f8e7d6c5b4a", "{\"ID\": \"9f8e7d6c5b4a\", \"SERVICE\": \"redis\", \"IP\": \"10.250.136.245\", \"EXT_PORT\": \"49180\"}");
        String cfg = renderOnce(EXAMPLES.resolve("etcd-announce-host-routing.json"), out, Map.of("ETCD_ENDPOINT", etcd.endpoint(0)));
        assertThat(cfg).contains("server 0ce60d000eac_10.250.136.243:49178 10.250.136.243:49178",
                "frontend shared-frontend\n\tbind 127.0.0.1:8080\n\tmode http\n\tacl is_web hdr_beg(host) -i web.",
                "server 9f8e7d6c5b4a_10.250.136.245:49180 10.250.136.245:49180 id 1\n");
    }

    @Test
    void etcdNerve() throws Exception {
        put("/nerve/services/api/host1_api", new String(new NerveRegistration("10.2.0.1", 8080, "host1", 7, "backup",
                Map.of(), null).toJson(), StandardCharsets.UTF_8));
        String cfg = renderOnce(EXAMPLES.resolve("etcd-nerve.json"), out, Map.of("ETCD_ENDPOINT", etcd.endpoint(0)));
        assertThat(cfg).contains("server host1_10.2.0.1:8080 10.2.0.1:8080 id 1 cookie host1_10.2.0.1:8080 check inter 2s backup weight 7");
        assertThat(Files.readString(out.resolve("services/api.json"))).contains("\"name\" : \"host1\"");
    }

    @Test
    void skydnsSrvRecords() throws Exception {
        // the seed's layout: skydock registers each container of fabware/grounduser in SkyDNS (-domain=kw) for environment dev
        try (Knot skydns = Knot.start("dev.kw", """
                3f2a9c1d.grounduser 5 IN A 172.17.0.5
                8b7e6d5c.grounduser 5 IN A 172.17.0.6
                0a1b2c3d.grounduser 5 IN A 172.17.0.7
                _grounduser._tcp 5 IN SRV 10 60 49153 3f2a9c1d.grounduser
                _grounduser._tcp 5 IN SRV 10 20 49154 8b7e6d5c.grounduser
                _grounduser._tcp 5 IN SRV 20 10 49155 0a1b2c3d.grounduser
                9f8e7d6c.redis 5 IN A 172.17.0.9
                _redis._tcp 5 IN SRV 10 10 6379 9f8e7d6c.redis
                """)) {
            String cfg = renderOnce(EXAMPLES.resolve("skydns-srv.json"), out, Map.of("SKYDNS_NAMESERVER", skydns.address()));
            assertThat(cfg).contains(
                    "server 3f2a9c1d.grounduser.dev.kw_172.17.0.5:49153 172.17.0.5:49153 ",
                    "server 9f8e7d6c.redis.dev.kw_172.17.0.9:6379 172.17.0.9:6379 id 1 weight 256\n")
                    .containsPattern("172.17.0.5:49153 .*check inter 2s weight 256\n")
                    .containsPattern("172.17.0.6:49154 .*check inter 2s weight 85\n")
                    .containsPattern("172.17.0.7:49155 .*check inter 2s weight 256 backup\n");
            assertThat(Files.readString(out.resolve("services/grounduser.json"))).contains("\"srv_priority\" : \"20\"");
        }
    }

    @Test
    void marathonAppsAndAMarathonLbGroup() throws Exception {
        try (MarathonEmulator marathon = MarathonEmulator.start()) {
            // the seed's nginx2.json: group external, service port 10000, one task on 192.168.59.2:31270
            marathon.createApp("""
                    {"id": "nginx2", "labels": {"HAPROXY_GROUP": "external"}, "cpus": 0.2, "mem": 20.0, "instances": 0,
                     "healthChecks": [{"path": "/"}],
                     "container": {"type": "DOCKER", "docker": {"image": "nginx:1.10", "network": "BRIDGE",
                       "portMappings": [{"containerPort": 80, "hostPort": 0, "servicePort": 10000, "protocol": "tcp"}]}}}""");
            marathon.startTask("nginx2", "192.168.59.2", 31270);
            marathon.createApp("{\"id\": \"api\", \"instances\": 0, \"portDefinitions\": [{\"port\": 0}]}");
            marathon.startTask("api", "10.3.0.1", 31001);
            String cfg = renderOnce(EXAMPLES.resolve("marathon-lb.json"), out, Map.of("MARATHON_URL", marathon.url()));
            assertThat(cfg).contains("frontend nginx2_10000\n\tmode http\n\tbind *:10000\n\tdefault_backend nginx2_10000\n",
                    "backend nginx2_10000\n\tbalance roundrobin\n\tmode http\n"
                            + "\tserver 192.168.59.2_192.168.59.2:31270 192.168.59.2:31270 id 1 cookie 192.168.59.2_192.168.59.2:31270"
                            + " check inter 60s fall 4\n",
                    "server 10.3.0.1_10.3.0.1:31001 10.3.0.1:31001 id 1 cookie 10.3.0.1_10.3.0.1:31001 check inter 2s rise 2 fall 3");
            // one event stream for the service and the catalog
            assertThat(marathon.streamConnects()).isEqualTo(1);
        }
    }

    @Test
    void zookeeperToEtcdMigration() throws Exception {
        // during the move, nerve registers api in both registries; billing has moved to etcd, ZooKeeper is its fallback
        put("/nerve/services/api/host2_api", new String(NerveRegistration.of("10.0.2.2", 8080, "host2").toJson(), StandardCharsets.UTF_8));
        put("/nerve/services/billing/host3_billing", new String(NerveRegistration.of("10.0.3.3", 9000, "host3").toJson(), StandardCharsets.UTF_8));
        try (TestingServer zk = new TestingServer(true);
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
            client.start();
            client.create().creatingParentsIfNeeded().forPath("/nerve/services/api/host1_0000000001",
                    NerveRegistration.of("10.0.1.1", 8080, "host1").toJson());
            client.create().creatingParentsIfNeeded().forPath("/nerve/services/billing/host1_0000000001",
                    NerveRegistration.of("10.0.1.1", 9000, "host1").toJson());
            String cfg = renderOnce(EXAMPLES.resolve("zookeeper-to-etcd-migration.json"), out,
                    Map.of("ZK_HOSTS", zk.getConnectString(), "ETCD_ENDPOINT", etcd.endpoint(0)));
            assertThat(cfg).contains("server host1_10.0.1.1:8080 10.0.1.1:8080", "server host2_10.0.2.2:8080 10.0.2.2:8080",
                    "server host3_10.0.3.3:9000 10.0.3.3:9000").doesNotContain("10.0.1.1:9000");
        }
    }

    @Test
    void sequentialFallbackToDns() throws Exception {
        try (Knot dns = Knot.start("legacy.kw", """
                search 5 IN A 10.9.0.1
                search 5 IN A 10.9.0.2
                """);
             TestingServer zk = new TestingServer(true);
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
            client.start();
            client.create().creatingParentsIfNeeded().forPath("/nerve/services/search");
            Map<String, String> env = Map.of("ZK_HOSTS", zk.getConnectString(), "DNS_NAMESERVER", dns.address());
            // nothing registered yet: DNS serves
            String cfg = renderOnce(EXAMPLES.resolve("sequential-dns-fallback.json"), out, env);
            assertThat(cfg).contains("server search-legacy_10.9.0.1:9200 10.9.0.1:9200", "server search-legacy_10.9.0.2:9200 10.9.0.2:9200");
            // registered: the registry wins
            client.create().forPath("/nerve/services/search/host1_0000000001", NerveRegistration.of("10.0.1.1", 9200, "host1").toJson());
            cfg = renderOnce(EXAMPLES.resolve("sequential-dns-fallback.json"), out, env);
            assertThat(cfg).contains("server host1_10.0.1.1:9200 10.0.1.1:9200").doesNotContain("10.9.0.1");
        }
    }
}
