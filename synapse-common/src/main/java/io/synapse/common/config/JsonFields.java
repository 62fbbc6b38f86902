package io.synapse.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.json.JsonIntegers;
import io.synapse.common.registry.RegistryValues;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Typed, strict reads of one JSON object of a config, reporting every problem with its path into
 * {@link ConfigProblems} and carrying on, so that a user sees all problems at once.
 */
public final class JsonFields {
    private final JsonNode node;
    private final ConfigProblems problems;

    private JsonFields(JsonNode node, ConfigProblems problems) {
        this.node = node;
        this.problems = problems;
    }

    /**
     * Reads {@code node} (expected to be an object; reports it otherwise) whose problems go to
     * {@code problems} (already positioned at the object's path).
     */
    public static JsonFields of(JsonNode node, ConfigProblems problems) {
        requireNonNull(problems, "problems is null");
        if (node == null || node.isMissingNode() || node.isNull()) {
            return new JsonFields(JsonNodeFactory.instance.objectNode(), problems);
        }
        if (!node.isObject()) {
            problems.add("", "expected an object, got " + describe(node));
            return new JsonFields(JsonNodeFactory.instance.objectNode(), problems);
        }
        return new JsonFields(node, problems);
    }

    public ConfigProblems problems() {
        return problems;
    }

    public JsonNode node() {
        return node;
    }

    public boolean has(String key) {
        return node.has(key);
    }

    /** Reports every key not in {@code known}, with a suggestion. */
    public void rejectUnknown(Collection<String> known) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                problems.add(key, "unknown key" + DidYouMean.suggest(key, known));
            }
        }
    }

    public String string(String key, String defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isTextual()) {
            problems.add(key, "expected a string, got " + describe(v));
            return defaultValue;
        }
        return v.asText();
    }

    public String requiredString(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            problems.add(key, "is required");
            return null;
        }
        String s = string(key, null);
        if (s != null && s.isEmpty()) {
            problems.add(key, "must not be empty");
            return null;
        }
        return s;
    }

    /** A single-line string: no control characters (newlines could inject directives). */
    public String line(String key, String defaultValue) {
        String s = string(key, defaultValue);
        if (s != null && RegistryValues.hasControl(s)) {
            problems.add(key, "must be a single line without control characters, got " + RegistryValues.quote(s));
            return defaultValue;
        }
        return s;
    }

    public boolean bool(String key, boolean defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        problems.add(key, "expected true or false, got " + describe(v));
        return defaultValue;
    }

    /** An integer in [min, max]; a string of digits is accepted (Ruby configs often quote ports). */
    public Long integer(String key, long min, long max, Long defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        Long parsed = JsonIntegers.toLong(v);
        if (parsed == null || parsed < min || parsed > max) {
            problems.add(key, "expected an integer " + min + "-" + max + ", got " + describe(v));
            return defaultValue;
        }
        return parsed;
    }

    public Integer port(String key) {
        Long p = integer(key, 1, 65535, null);
        return p == null ? null : p.intValue();
    }

    /** A non-negative number of seconds (integer or decimal). */
    public Double seconds(String key, double defaultValue) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        double d;
        if (v.isNumber()) {
            d = v.asDouble();
        } else if (v.isTextual() && v.asText().matches("[0-9]+(\\.[0-9]+)?")) {
            d = Double.parseDouble(v.asText());
        } else {
            problems.add(key, "expected a number of seconds, got " + describe(v));
            return defaultValue;
        }
        if (d < 0 || Double.isNaN(d) || Double.isInfinite(d)) {
            problems.add(key, "expected a non-negative number of seconds, got " + describe(v));
            return defaultValue;
        }
        return d;
    }

    /** A list of single-line strings (a lone string is accepted as a list of one). */
    public List<String> lines(String key) {
        JsonNode v = node.get(key);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            addLine(key, v, out);
            return out;
        }
        if (!v.isArray()) {
            problems.add(key, "expected a list of strings, got " + describe(v));
            return out;
        }
        for (int i = 0; i < v.size(); i++) {
            addLine(key + "[" + i + "]", v.get(i), out);
        }
        return out;
    }

    private void addLine(String path, JsonNode v, List<String> out) {
        if (!v.isTextual()) {
            problems.add(path, "expected a string, got " + describe(v));
        } else if (RegistryValues.hasControl(v.asText())) {
            problems.add(path, "must be a single line without control characters, got " + RegistryValues.quote(v.asText()));
        } else {
            out.add(v.asText());
        }
    }

    public JsonNode get(String key) {
        return node.get(key);
    }

    public JsonFields object(String key) {
        return of(node.get(key), problems.at(key));
    }

    public ObjectNode objectOrEmpty(String key) {
        JsonNode v = node.get(key);
        if (v != null && v.isObject()) {
            return (ObjectNode) v;
        }
        if (v != null && !v.isNull()) {
            problems.add(key, "expected an object, got " + describe(v));
        }
        return JsonNodeFactory.instance.objectNode();
    }

    public Iterator<Map.Entry<String, JsonNode>> fields() {
        return node.fields();
    }

    /** A short description of a JSON value for messages: {@code "80a"}, {@code 3.5}, {@code a list}. */
    public static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        if (v.isTextual()) {
            return RegistryValues.quote(v.asText());
        }
        if (v.isArray()) {
            return "a list";
        }
        if (v.isObject()) {
            return "an object";
        }
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
