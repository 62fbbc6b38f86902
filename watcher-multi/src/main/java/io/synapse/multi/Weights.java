package io.synapse.multi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.synapse.common.config.JsonFields;
import io.synapse.common.registry.RegistryValues;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A toggle file: YAML {@code watcher_name: weight}, weights non-negative integers (Ruby's
 * s3_toggle schema). One watcher is picked with a probability proportional to its weight, from a
 * hash of the host's name and the file's text: the same host picks the same watcher until the file
 * changes, and a fleet of hosts spreads over the watchers by weight.
 *
 * @param weights watcher name to weight, in the file's order
 * @param text the file's text, part of the pick
 */
record Weights(Map<String, Long> weights, String text) {
    private static final YAMLMapper YAML = new YAMLMapper();

    Weights {
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(weights, "weights is null")));
        requireNonNull(text, "text is null");
    }

    /** Parses the file's text; throws IllegalArgumentException saying what is wrong. */
    static Weights parse(String text) {
        requireNonNull(text, "text is null");
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid YAML: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new IllegalArgumentException("empty: expected watcher_name: weight lines");
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("expected watcher_name: weight lines, got " + JsonFields.describe(root));
        }
        Map<String, Long> weights = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new IllegalArgumentException("weight of " + RegistryValues.quote(e.getKey())
                        + ": expected a non-negative integer, got " + JsonFields.describe(v));
            }
            weights.put(e.getKey(), v.asLong());
        }
        if (weights.isEmpty()) {
            throw new IllegalArgumentException("names no watcher");
        }
        if (weights.values().stream().mapToLong(Long::longValue).sum() <= 0) {
            throw new IllegalArgumentException("every weight is 0");
        }
        return new Weights(weights, text);
    }

    /** The watcher this host picks: stable for a host and a text, spread by weight over hosts. */
    String pick(String host) {
        requireNonNull(host, "host is null");
        long total = 0;
        for (long w : weights.values()) {
            total = Math.addExact(total, w);
        }
        long point = Long.remainderUnsigned(hash(host + "\n" + text), total);
        for (Map.Entry<String, Long> e : weights.entrySet()) {
            if (point < e.getValue()) {
                return e.getKey();
            }
            point -= e.getValue();
        }
        throw new IllegalStateException("no pick for " + weights); // unreachable: point < total
    }

    private static long hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (d[i] & 0xff);
            }
            return h;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
