package io.synapse.multi;

import io.synapse.spi.ServiceWatcher;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A child's registry stopped and started again: the child's failure is the child's. */
class ChildOutageTest {
    static {
        MultiTesting.init();
    }

    @Test
    void aStoppedRegistryIsOneChildsFailureUntilEveryChildFails() throws Exception {
        try (Registries r = Registries.start()) {
            String path = Registries.path("outage");
            r.zkRegister(path, "zk-1", "10.1.0.1", 8080);
            r.etcdPut(path, "etcd-1", "10.2.0.1", 8080);
            String watchers = "{\"zookeeper\": " + r.zookeeperChild(path) + ", \"etcd\": " + r.etcdChild(path) + "}";
            RecordingListener union = new RecordingListener();
            RecordingListener sequential = new RecordingListener();
            try (ServiceWatcher u = MultiTesting.watcher("union", "{\"method\": \"multi\", \"watchers\": " + watchers
                    + ", \"resolver\": {\"method\": \"union\"}}", union);
                    ServiceWatcher s = MultiTesting.watcher("sequential", "{\"method\": \"multi\", \"watchers\": " + watchers
                            + ", \"resolver\": {\"method\": \"sequential\", \"sequential_order\": [\"zookeeper\", \"etcd\"]}}", sequential)) {
                u.start();
                s.start();
                await().until(() -> List.of("zk-1@10.1.0.1:8080", "etcd-1@10.2.0.1:8080").equals(union.last()));
                await().until(() -> List.of("zk-1@10.1.0.1:8080").equals(sequential.last()));

                // etcd stopped: ZooKeeper's changes still arrive, with etcd's last set, and nothing is reported
                r.etcd.kill(0);
                r.zkRegister(path, "zk-2", "10.1.0.2", 8080);
                await().until(() -> List.of("zk-1@10.1.0.1:8080", "zk-2@10.1.0.2:8080", "etcd-1@10.2.0.1:8080").equals(union.last()));
                await().until(() -> List.of("zk-1@10.1.0.1:8080", "zk-2@10.1.0.2:8080").equals(sequential.last()));
                assertThat(union.failures).isEmpty();
                assertThat(sequential.failures).isEmpty();

                // ZooKeeper stopped too: now the resolvers cannot produce a set
                r.zk.stop();
                await().until(() -> union.failing() && sequential.failing());
                assertThat(union.lastFailure()).startsWith("every watcher is failing: zookeeper: ").contains("; etcd: ");
                assertThat(sequential.lastFailure()).startsWith("every watcher is failing: zookeeper: ");

                // etcd back: sequential moves on to etcd, union publishes again (ZooKeeper's last set kept)
                r.etcd.restart(0);
                await().until(() -> List.of("etcd-1@10.2.0.1:8080").equals(sequential.last()) && !sequential.failing());
                await().until(() -> !union.failing()
                        && List.of("zk-1@10.1.0.1:8080", "zk-2@10.1.0.2:8080", "etcd-1@10.2.0.1:8080").equals(union.last()));

                // ZooKeeper back: sequential returns to it
                r.zk.restart();
                await().until(() -> List.of("zk-1@10.1.0.1:8080", "zk-2@10.1.0.2:8080").equals(sequential.last()));
            }
        }
    }
}
