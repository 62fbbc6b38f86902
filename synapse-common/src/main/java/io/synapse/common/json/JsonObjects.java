package io.synapse.common.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

import static java.util.Objects.requireNonNull;

/**
 * Reading a JSON object that came from a registry (a registration, a serverset member, a value
 * under an etcd prefix), with the short reasons a skipped registration is logged with.
 */
public final class JsonObjects {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonObjects() {}

    /** The object in {@code json}; throws {@link IllegalArgumentException} ({@code not valid JSON}, {@code expected a JSON object}). */
    public static ObjectNode parse(byte[] json) {
        requireNonNull(json, "json is null");
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        return (ObjectNode) node;
    }

    /** String field {@code field}; throws {@link IllegalArgumentException} ({@code missing string "host"}) otherwise. */
    public static String requiredString(JsonNode object, String field) {
        JsonNode v = object.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("missing string \"" + field + "\"");
        }
        return v.asText();
    }
}
