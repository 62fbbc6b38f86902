package io.synapse.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.json.JsonIntegers;
import io.synapse.common.registry.RegistryValues;

import java.math.BigDecimal;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Typed, strict reads of one JSON object of a config, reporting every problem with its path into
 * {@link ConfigProblems} and carrying on (a bad value reads as the default), so that a user sees
 * all problems at once. The one config kit of synapse and nerve: the same problem gets the same
 * message in both.
 *
 * <p>Scalars may be given as strings, since {@code ${VAR}} substitution (see {@link
 * EnvSubstitution}) only happens in strings and the Ruby tools' ERB produced bare values: {@code
 * "port": "${PORT}"}, {@code "ssl": "${USE_SSL}"} and {@code "check_interval": "0.5"} read as the
 * integer, boolean and number they spell. Nothing else is coerced: {@code "yes"} is not a boolean.
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
        if (node == null || node.isMissingNode() || node.isNull() || EnvSubstitution.isUnresolved(node)) {
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

    /**
     * The value of {@code key}, or {@code null} when it is absent, JSON null, or a string whose
     * {@code ${VAR}} could not be substituted (reported already: reported once is enough).
     */
    private JsonNode value(String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() || EnvSubstitution.isUnresolved(v) ? null : v;
    }

    /** Whether {@code key} is present with a value other than JSON null. */
    public boolean hasValue(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
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

    /**
     * Reports every key not in {@code known} of an object whose keys depend on its kind:
     * {@code unknown key for check type "tcp" (did you mean "port"?); known keys: type, port}.
     *
     * @param owner what the keys belong to, e.g. {@code check type "tcp"}
     */
    public void rejectUnknown(Collection<String> known, String owner) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                problems.add(key, "unknown key for " + owner + DidYouMean.suggest(key, known)
                        + (known.isEmpty() ? "" : "; known keys: " + String.join(", ", known)));
            }
        }
    }

    public String string(String key, String defaultValue) {
        JsonNode v = value(key);
        if (v == null) {
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

    /** {@code true} or {@code false}, also as the strings {@code "true"} and {@code "false"}. */
    public boolean bool(String key, boolean defaultValue) {
        JsonNode v = value(key);
        if (v == null) {
            return defaultValue;
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isTextual() && (v.asText().equals("true") || v.asText().equals("false"))) {
            return Boolean.parseBoolean(v.asText());
        }
        problems.add(key, "expected true or false, got " + describe(v));
        return defaultValue;
    }

    /** One of {@code choices}; anything else is reported with a suggestion. */
    public String choice(String key, List<String> choices, String defaultValue) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        if (!choices.contains(value)) {
            problems.add(key, "expected one of " + String.join(", ", choices) + ", got " + RegistryValues.quote(value)
                    + DidYouMean.suggest(value, choices));
            return defaultValue;
        }
        return value;
    }

    /** An IP address or a DNS name. */
    public String host(String key, String defaultValue) {
        String host = string(key, null);
        if (host == null) {
            return defaultValue;
        }
        if (RegistryValues.checkHost(host) != null) {
            problems.add(key, "expected an IP address or a DNS name, got " + RegistryValues.quote(host));
            return defaultValue;
        }
        return host;
    }

    /** A file system path (not checked for existence). */
    public Path path(String key) {
        String text = string(key, null);
        if (text == null) {
            return null;
        }
        if (text.isEmpty()) {
            problems.add(key, "must not be empty");
            return null;
        }
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            problems.add(key, "not a valid path: " + RegistryValues.quote(text));
            return null;
        }
    }

    /** An integer in [min, max]; a string of digits is accepted (Ruby configs often quote ports). */
    public Long integer(String key, long min, long max, Long defaultValue) {
        JsonNode v = value(key);
        if (v == null) {
            return defaultValue;
        }
        Long parsed = JsonIntegers.toLong(v);
        if (parsed == null || parsed < min || parsed > max) {
            String range = max >= Integer.MAX_VALUE ? " >= " + min : " " + min + "-" + max;
            problems.add(key, "expected an integer" + range + ", got " + describe(v));
            return defaultValue;
        }
        return parsed;
    }

    /** A number (or a numeric string) greater than 0. */
    public Double positiveNumber(String key, Double defaultValue) {
        JsonNode v = value(key);
        if (v == null) {
            return defaultValue;
        }
        Double d = number(v);
        if (d == null || d.isInfinite() || d.isNaN() || d <= 0) {
            problems.add(key, "expected a positive number, got " + describe(v));
            return defaultValue;
        }
        return d;
    }

    /** A number of seconds (integer or decimal, or such a string) in {@code [min, max]}. */
    public Duration duration(String key, Duration min, Duration max, Duration defaultValue) {
        JsonNode v = value(key);
        if (v == null) {
            return defaultValue;
        }
        Double d = number(v);
        if (d == null || d.isInfinite() || d.isNaN() || d * 1e9 < min.toNanos() || d * 1e9 > max.toNanos()) {
            problems.add(key, "expected a number of seconds (" + seconds(min) + "-" + seconds(max) + "), got " + describe(v));
            return defaultValue;
        }
        return Duration.ofNanos(Math.round(d * 1e9));
    }

    private static Double number(JsonNode v) {
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText().strip());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
    }

    public Integer port(String key) {
        Long p = integer(key, 1, 65535, null);
        return p == null ? null : p.intValue();
    }

    /** A non-negative number of seconds (integer or decimal). */
    public Double seconds(String key, double defaultValue) {
        JsonNode v = value(key);
        if (v == null) {
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
        JsonNode v = value(key);
        List<String> out = new ArrayList<>();
        if (v == null) {
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

    /**
     * A list of strings, or {@code null} when absent; with {@code splitCommas} a single string
     * {@code "a,b"} is accepted too (as the Ruby tools accept {@code "zk1:2181,zk2:2181"}).
     */
    public List<String> strings(String key, boolean splitCommas) {
        JsonNode v = value(key);
        if (v == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (v.isTextual() && splitCommas) {
            for (String part : v.asText().split(",")) {
                if (!part.isBlank()) {
                    out.add(part.strip());
                }
            }
            return out;
        }
        if (!v.isArray()) {
            problems.add(key, "expected a list of strings, got " + describe(v));
            return null;
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            if (EnvSubstitution.isUnresolved(item)) {
                continue; // reported
            }
            if (item.isTextual()) {
                out.add(item.asText());
            } else {
                problems.add(key + "[" + i + "]", "expected a string, got " + describe(item));
            }
        }
        return out;
    }

    /** An object of names to scalars (labels, headers), each value as text; {@code null} when absent. */
    public Map<String, String> stringMap(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            problems.add(key, "expected an object of names to strings, got " + describe(v));
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode value = e.getValue();
            if (EnvSubstitution.isUnresolved(value)) {
                continue; // reported
            }
            if (value.isTextual() || value.isNumber() || value.isBoolean()) {
                out.put(e.getKey(), value.asText());
            } else {
                problems.at(key).add(e.getKey(), "expected a string, number or boolean, got " + describe(value));
            }
        }
        return out;
    }

    private void addLine(String path, JsonNode v, List<String> out) {
        if (EnvSubstitution.isUnresolved(v)) {
            return; // reported
        }
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
