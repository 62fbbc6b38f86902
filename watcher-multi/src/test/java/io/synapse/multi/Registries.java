package io.synapse.multi;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.testing.EtcdCluster;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real ZooKeeper (Curator's TestingServer) and a real etcd (the binary) on 127.0.0.1, with an
 * admin client for each, for children of multi watchers. Registrations are nerve JSON.
 */
final class Registries implements AutoCloseable {
    private static final AtomicInteger PATHS = new AtomicInteger();

    final TestingServer zk;
    final EtcdCluster etcd;
    private final CuratorFramework admin;
    private final Client client;

    private Registries(TestingServer zk, EtcdCluster etcd, CuratorFramework admin, Client client) {
        this.zk = zk;
        this.etcd = etcd;
        this.admin = admin;
        this.client = client;
    }

    static Registries start() throws Exception {
        return start(true);
    }

    /** @param withEtcd false for tests that need ZooKeeper only */
    static Registries start(boolean withEtcd) throws Exception {
        // short ticks so that a stopped server is noticed quickly; sessions still long enough for a loaded machine
        TestingServer zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 500, -1), true);
        EtcdCluster etcd = withEtcd ? EtcdCluster.start(1) : null;
        CuratorFramework admin = CuratorFrameworkFactory.builder().connectString(zk.getConnectString())
                .sessionTimeoutMs(30_000).connectionTimeoutMs(10_000).retryPolicy(new ExponentialBackoffRetry(100, 20, 1_000)).build();
        admin.start();
        if (!admin.blockUntilConnected(30, TimeUnit.SECONDS)) {
            throw new AssertionError("cannot connect to ZooKeeper " + zk.getConnectString());
        }
        Client client = etcd == null ? null : Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
        return new Registries(zk, etcd, admin, client);
    }

    /** A fresh path (ZooKeeper node and etcd prefix) for one test. */
    static String path(String name) {
        return "/services/" + name + "-" + PATHS.incrementAndGet();
    }

    String zookeeperChild(String path) {
        return "{\"method\": \"zookeeper\", \"hosts\": [\"" + zk.getConnectString() + "\"], \"path\": \"" + path + "\"}";
    }

    String etcdChild(String path) {
        return "{\"method\": \"etcd\", \"endpoints\": [\"" + etcd.endpoint(0) + "\"], \"path\": \"" + path + "\"}";
    }

    /** Registers like nerve: {@code path/name_<seq>} holding the registration. */
    String zkRegister(String path, String name, String host, int port) throws Exception {
        return admin.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                .forPath(path + "/" + name + "_", NerveRegistration.of(host, port, name).toJson());
    }

    void zkDelete(String node) throws Exception {
        admin.delete().forPath(node);
    }

    void zkSetData(String path, String json) throws Exception {
        if (admin.checkExists().forPath(path) == null) {
            admin.create().creatingParentsIfNeeded().forPath(path, json.getBytes(StandardCharsets.UTF_8));
        } else {
            admin.setData().forPath(path, json.getBytes(StandardCharsets.UTF_8));
        }
    }

    void etcdPut(String path, String name, String host, int port) throws Exception {
        client.getKVClient().put(bytes(path + "/" + name), ByteSequence.from(NerveRegistration.of(host, port, name).toJson()))
                .get(30, TimeUnit.SECONDS);
    }

    void etcdDelete(String path, String name) throws Exception {
        client.getKVClient().delete(bytes(path + "/" + name)).get(30, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        if (client != null) {
            client.close();
        }
        admin.close();
        zk.close();
        if (etcd != null) {
            etcd.close();
        }
    }
}
