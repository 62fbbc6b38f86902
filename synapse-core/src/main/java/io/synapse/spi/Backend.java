package io.synapse.spi;

import io.synapse.common.registry.NerveRegistration;
import io.synapse.common.registry.RegistryValues;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * One discovered server: an immutable, validated value.
 *
 * <p>Every field may come from the network, so the constructor checks each one with {@link
 * RegistryValues} and throws {@link IllegalArgumentException} with a message naming the field and
 * the bad value. A watcher catches that, logs one warning naming the registration, and skips it:
 * nothing invalid can reach a generated config.
 *
 * @param name the registration's name (nerve: the instance id), or {@code null} (an empty name is {@code null})
 * @param host an IP address or a DNS name
 * @param port 1-65535
 * @param weight 0-256, or {@code null}
 * @param haproxyServerOptions extra options for the HAProxy server line, or {@code null}
 * @param labels free-form labels used by label filters (never {@code null})
 * @param id the discovery id (ZooKeeper sequence number, shard...), or {@code null}; the smallest
 *     wins under leader election
 * @param haproxyServerId an explicit HAProxy server id from the registration, or {@code null}
 */
public record Backend(
        String name,
        String host,
        int port,
        Integer weight,
        String haproxyServerOptions,
        Map<String, String> labels,
        Long id,
        Integer haproxyServerId) {

    public Backend {
        requireNonNull(host, "host is null");
        // sorted, so that every output listing labels is the same from one run to the next
        labels = labels == null ? Map.of() : Collections.unmodifiableSortedMap(new TreeMap<>(labels));
        if (name != null && name.isEmpty()) {
            name = null; // an empty name is no name (as in Ruby)
        }
        RegistryValues.requireValid(RegistryValues.checkHost(host));
        RegistryValues.requireValid(RegistryValues.checkPort(port));
        if (name != null) {
            RegistryValues.requireValid(RegistryValues.checkName(name));
        }
        if (weight != null) {
            RegistryValues.requireValid(RegistryValues.checkWeight(weight));
        }
        if (haproxyServerOptions != null) {
            RegistryValues.requireValid(RegistryValues.checkServerOptions(haproxyServerOptions));
            if (haproxyServerOptions.isBlank()) {
                haproxyServerOptions = null;
            }
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            RegistryValues.requireValid(RegistryValues.checkLabel(label.getKey(), label.getValue()));
        }
        if (haproxyServerId != null && haproxyServerId < 1) {
            throw new IllegalArgumentException("haproxy_server_id " + haproxyServerId + ": expected a positive integer");
        }
    }

    /** The validated backend for a registration; throws {@link IllegalArgumentException} naming the bad field. */
    public static Backend fromRegistration(NerveRegistration registration, Long id) {
        requireNonNull(registration, "registration is null");
        return new Backend(registration.name(), registration.host(), registration.port(), registration.weight(),
                registration.haproxyServerOptions(), registration.labels(), id, registration.haproxyServerId());
    }

    /** Decodes registration JSON (the nerve format) straight into a validated backend. */
    public static Backend decode(byte[] json, Long id) {
        return fromRegistration(NerveRegistration.parse(json), id);
    }

    public static Backend of(String host, int port) {
        return new Backend(null, host, port, null, null, Map.of(), null, null);
    }

    public static Backend of(String name, String host, int port) {
        return new Backend(name, host, port, null, null, Map.of(), null, null);
    }

    public static Builder builder(String host, int port) {
        return new Builder(host, port);
    }

    public Builder toBuilder() {
        return new Builder(host, port).name(name).weight(weight).haproxyServerOptions(haproxyServerOptions)
                .labels(labels).id(id).haproxyServerId(haproxyServerId);
    }

    public Backend withPort(int newPort) {
        return newPort == port ? this : toBuilder().port(newPort).build();
    }

    /** {@code host:port}, the address HAProxy connects to. */
    public String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** The de-duplication key of the reference: host, port and name. */
    public String identity() {
        return name == null ? host + ":" + port : host + ":" + port + "/" + name;
    }

    /** Human-readable form used in log lines: {@code name@host:port} or {@code host:port}. */
    @Override
    public String toString() {
        return (name == null ? "" : name + "@") + host + ":" + port;
    }

    public static final class Builder {
        private String name;
        private String host;
        private int port;
        private Integer weight;
        private String haproxyServerOptions;
        private Map<String, String> labels = Map.of();
        private Long id;
        private Integer haproxyServerId;

        private Builder(String host, int port) {
            this.host = host;
            this.port = port;
        }

        public Builder name(String name) { this.name = name; return this; }
        public Builder host(String host) { this.host = host; return this; }
        public Builder port(int port) { this.port = port; return this; }
        public Builder weight(Integer weight) { this.weight = weight; return this; }
        public Builder haproxyServerOptions(String options) { this.haproxyServerOptions = options; return this; }
        public Builder labels(Map<String, String> labels) { this.labels = labels; return this; }
        public Builder id(Long id) { this.id = id; return this; }
        public Builder haproxyServerId(Integer id) { this.haproxyServerId = id; return this; }

        /** Builds and validates; throws {@link IllegalArgumentException} naming the bad field. */
        public Backend build() {
            return new Backend(name, host, port, weight, haproxyServerOptions, labels, id, haproxyServerId);
        }
    }
}
