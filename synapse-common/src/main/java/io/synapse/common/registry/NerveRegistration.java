package io.synapse.common.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.json.JsonIntegers;
import io.synapse.common.json.JsonObjects;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The registration JSON that nerve writes and the watchers read (the "nerve format"), in one
 * place: {@code {"host": "10.0.0.5", "port": 8080, "name": "i-1", "weight": 10,
 * "haproxy_server_options": "backup", "labels": {"az": "a"}}}. {@code host} and {@code port} are
 * required; unknown keys are ignored.
 *
 * <p>Also the ZooKeeper child-name conventions: ephemeral-sequential children end in {@code
 * _<10 digits>}, and path-encoded children are named {@code base64_<len>_<urlsafe b64>_<seq>}
 * where {@code len} is the length of the base64 text.
 */
public record NerveRegistration(
        String host,
        int port,
        String name,
        Integer weight,
        String haproxyServerOptions,
        Map<String, String> labels,
        Integer haproxyServerId) {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String PATH_PREFIX = "base64_";

    public NerveRegistration {
        requireNonNull(host, "host is null");
        labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    public static NerveRegistration of(String host, int port, String name) {
        return new NerveRegistration(host, port, name, null, null, Map.of(), null);
    }

    /** The JSON text, keys in the order nerve writes them. */
    public byte[] toJson() {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("host", host);
        node.put("port", port);
        if (name != null) {
            node.put("name", name);
        }
        if (weight != null) {
            node.put("weight", weight);
        }
        if (haproxyServerOptions != null) {
            node.put("haproxy_server_options", haproxyServerOptions);
        }
        if (!labels.isEmpty()) {
            ObjectNode l = node.putObject("labels");
            labels.forEach(l::put);
        }
        if (haproxyServerId != null) {
            node.put("haproxy_server_id", haproxyServerId);
        }
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses registration JSON. Throws {@link IllegalArgumentException} with a short reason when
     * it is not JSON, not an object, or lacks a usable host or port. Values are not validated here;
     * {@link #validate} does that.
     */
    public static NerveRegistration parse(byte[] json) {
        JsonNode node = JsonObjects.parse(json);
        String host = JsonObjects.requiredString(node, "host");
        int port = JsonIntegers.required(node, "port");
        Integer weight = JsonIntegers.optional(node, "weight");
        JsonNode name = node.get("name");
        JsonNode options = node.get("haproxy_server_options");
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode l = node.get("labels");
        if (l != null && l.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                    labels.put(e.getKey(), e.getValue().asText());
                }
            }
        } else if (l != null && !l.isNull()) {
            throw new IllegalArgumentException("\"labels\" must be an object");
        }
        Integer serverId = JsonIntegers.optional(node, "haproxy_server_id");
        return new NerveRegistration(
                host,
                port,
                name != null && name.isTextual() ? name.asText() : (name != null && name.isNumber() ? name.asText() : null),
                weight,
                options != null && options.isTextual() ? options.asText() : null,
                labels,
                serverId);
    }

    /**
     * Checks every field with {@link RegistryValues} (the same checks a backend gets); throws
     * {@link IllegalArgumentException} naming the first bad field. Returns {@code this}.
     */
    public NerveRegistration validate() {
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
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            RegistryValues.requireValid(RegistryValues.checkLabel(label.getKey(), label.getValue()));
        }
        if (haproxyServerId != null && haproxyServerId < 1) {
            throw new IllegalArgumentException("haproxy_server_id " + haproxyServerId + ": expected a positive integer");
        }
        return this;
    }

    /** The child-name prefix for path encoding: {@code base64_<len>_<b64>_} (ZooKeeper adds the sequence). */
    public static String pathEncodedPrefix(byte[] json) {
        String b64 = Base64.getUrlEncoder().encodeToString(json);
        return PATH_PREFIX + b64.length() + "_" + b64 + "_";
    }

    /** The JSON carried by a path-encoded child name, if the name is one and decodes cleanly. */
    public static Optional<byte[]> decodePathEncoded(String childName) {
        if (!childName.startsWith(PATH_PREFIX)) {
            return Optional.empty();
        }
        int lenEnd = childName.indexOf('_', PATH_PREFIX.length());
        if (lenEnd < 0) {
            return Optional.empty();
        }
        int len;
        try {
            len = Integer.parseInt(childName.substring(PATH_PREFIX.length(), lenEnd));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        int start = lenEnd + 1;
        if (len <= 0 || start + len > childName.length()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Base64.getUrlDecoder().decode(childName.substring(start, start + len)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The integer after the last {@code _} of a sequential child name, or {@code null}. */
    public static Long sequenceOf(String childName) {
        int us = childName.lastIndexOf('_');
        String tail = childName.substring(us + 1);
        if (tail.isEmpty() || tail.length() > 18) {
            return null;
        }
        for (int i = 0; i < tail.length(); i++) {
            if (tail.charAt(i) < '0' || tail.charAt(i) > '9') {
                return null;
            }
        }
        return Long.parseLong(tail);
    }

    @Override
    public String toString() {
        return new String(toJson(), StandardCharsets.UTF_8);
    }
}
