package io.synapse.nerve;

import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;

import static java.util.Objects.requireNonNull;

/** Where a service is registered. */
sealed interface ReporterTarget {

    /** A short description for log lines, e.g. {@code zookeeper 127.0.0.1:2181/nerve/web}. */
    String describe();

    enum NodeType {
        EPHEMERAL_SEQUENTIAL("ephemeral_sequential", true, true),
        EPHEMERAL("ephemeral", true, false),
        PERSISTENT("persistent", false, false),
        PERSISTENT_SEQUENTIAL("persistent_sequential", false, true);

        final String key;
        final boolean ephemeral;
        final boolean sequential;

        NodeType(String key, boolean ephemeral, boolean sequential) {
            this.key = key;
            this.ephemeral = ephemeral;
            this.sequential = sequential;
        }
    }

    /**
     * ZooKeeper: child {@code <path>/<instance_id>_} (sequence appended for sequential node types) or,
     * with path encoding, {@code <path>/base64_<len>_<b64>_}. Services with equal ensembles (the
     * normalised hosts and the authentication) share one connection.
     */
    record ZooKeeper(ZooKeeperEnsemble ensemble, String path, NodeType nodeType, boolean usePathEncoding) implements ReporterTarget {
        public ZooKeeper {
            requireNonNull(ensemble, "ensemble is null");
            requireNonNull(path, "path is null");
            requireNonNull(nodeType, "nodeType is null");
        }

        String connectString() {
            return ensemble.connectString();
        }

        @Override
        public String describe() {
            return "zookeeper " + connectString() + path;
        }
    }

    /**
     * etcd v3: key {@code <path>/<instance_id>_<service>} attached to a kept-alive lease. Services
     * with equal connections share one client.
     */
    record Etcd(EtcdConnection connection, String path) implements ReporterTarget {
        public Etcd {
            requireNonNull(connection, "connection is null");
            requireNonNull(path, "path is null");
        }

        @Override
        public String describe() {
            return "etcd " + connection.endpoints().get(0).getAuthority() + path;
        }
    }
}
