package io.synapse.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.json.JsonIntegers;
import io.synapse.common.json.JsonObjects;
import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.common.registry.RegistryValues;


import static java.util.Objects.requireNonNull;

/**
 * Turns one etcd key/value pair into a validated backend, or throws {@link
 * IllegalArgumentException} with a short reason (the caller names the key). The backend's {@code
 * id} is the key's create revision: the oldest registration has the smallest id, as in etcd's own
 * election recipe, which is what {@code leader_election} wants.
 */
interface Decoder {
    Backend decode(String key, byte[] value, long createRevision);

    /** {@code nerve}: the value is the registration JSON nerve writes ({@link NerveRegistration}). */
    static Decoder nerve() {
        return (key, value, createRevision) -> Backend.decode(value, createRevision);
    }

    /** {@code key}: the key's last segment is {@code host:port} or {@code [ipv6]:port}; the value is ignored. */
    static Decoder key() {
        return (key, value, createRevision) -> {
            String segment = key.substring(key.lastIndexOf('/') + 1);
            String host;
            String port;
            if (segment.startsWith("[")) {
                int close = segment.indexOf("]:");
                if (close < 0) {
                    throw new IllegalArgumentException("last key segment " + RegistryValues.quote(segment)
                            + ": expected host:port or [ipv6]:port");
                }
                host = segment.substring(1, close);
                port = segment.substring(close + 2);
            } else {
                int colon = segment.lastIndexOf(':');
                if (colon <= 0 || segment.indexOf(':') != colon) {
                    throw new IllegalArgumentException("last key segment " + RegistryValues.quote(segment)
                            + ": expected host:port or [ipv6]:port");
                }
                host = segment.substring(0, colon);
                port = segment.substring(colon + 1);
            }
            return new Backend(null, host, parsePort(port, segment), null, null, null, createRevision, null);
        };
    }

    /** {@code json}: the value is a JSON object; the host, port, name and weight are read from the named fields. */
    static Decoder json(String hostField, String portField, String nameField, String weightField) {
        requireNonNull(hostField, "hostField is null");
        requireNonNull(portField, "portField is null");
        return (key, value, createRevision) -> {
            JsonNode node = JsonObjects.parse(value);
            String host = JsonObjects.requiredString(node, hostField);
            Integer port = JsonIntegers.optional(node, portField);
            if (port == null) {
                throw new IllegalArgumentException("missing \"" + portField + "\"");
            }
            String name = null;
            if (nameField != null) {
                JsonNode n = node.get(nameField);
                if (n != null && (n.isTextual() || n.isIntegralNumber())) {
                    name = n.asText();
                }
            }
            Integer weight = weightField == null ? null : JsonIntegers.optional(node, weightField);
            return new Backend(name, host, port, weight, null, null, createRevision, null);
        };
    }

    private static int parsePort(String port, String segment) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("last key segment " + RegistryValues.quote(segment)
                    + ": port " + RegistryValues.quote(port) + " is not an integer 1-65535");
        }
        return Integer.parseInt(port);
    }
}
