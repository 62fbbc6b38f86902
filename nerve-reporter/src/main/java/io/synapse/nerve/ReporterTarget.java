package io.synapse.nerve;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

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
     * with path encoding, {@code <path>/base64_<len>_<b64>_}.
     */
    record ZooKeeper(List<String> hosts, String path, NodeType nodeType, boolean usePathEncoding) implements ReporterTarget {
        public ZooKeeper {
            hosts = List.copyOf(requireNonNull(hosts, "hosts is null"));
            requireNonNull(path, "path is null");
            requireNonNull(nodeType, "nodeType is null");
        }

        String connectString() {
            return String.join(",", hosts);
        }

        @Override
        public String describe() {
            return "zookeeper " + connectString() + path;
        }
    }

    /** etcd v3: key {@code <path>/<instance_id>_<service>} attached to a kept-alive lease. */
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

    /** What one etcd client is built from; services with equal connections share the client. */
    record EtcdConnection(List<URI> endpoints, Path caFile, Path certFile, Path keyFile, String user, String password) {
        public EtcdConnection {
            endpoints = List.copyOf(requireNonNull(endpoints, "endpoints is null"));
        }

        boolean tls() {
            return caFile != null || certFile != null
                    || endpoints.stream().anyMatch(u -> "https".equalsIgnoreCase(u.getScheme()));
        }

        @Override
        public String toString() {
            return "EtcdConnection" + endpoints + (user == null ? "" : " user " + user) + (tls() ? " tls" : "");
        }
    }
}
