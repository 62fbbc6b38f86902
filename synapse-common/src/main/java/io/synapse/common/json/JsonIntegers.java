package io.synapse.common.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.registry.RegistryValues;

import java.util.regex.Pattern;

/**
 * The one reading of an integer in JSON, for configs and for registrations alike: a JSON integer,
 * or a string of digits ({@code "8080"}: the Ruby tools wrote and read ports as strings as often
 * as numbers, and {@code "port": "${PORT}"} is how a config takes one from the environment).
 * Surrounding blanks are ignored; {@code 8080.0}, {@code "8e3"} and {@code "0x1f"} are not integers.
 */
public final class JsonIntegers {
    private static final Pattern DIGITS = Pattern.compile("-?[0-9]{1,18}");

    private JsonIntegers() {}

    /** The value as a long, or {@code null} when it is not an integer (absent, null, another type, too large). */
    public static Long toLong(JsonNode v) {
        if (v == null) {
            return null;
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToLong() ? v.longValue() : null;
        }
        if (v.isTextual()) {
            String text = v.asText().strip();
            return DIGITS.matcher(text).matches() ? Long.parseLong(text) : null;
        }
        return null;
    }

    /** The value as an int, or {@code null} when it is not an integer that fits. */
    public static Integer toInt(JsonNode v) {
        Long l = toLong(v);
        return l == null || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE ? null : l.intValue();
    }

    /**
     * Field {@code field} of {@code object} as an int; throws {@link IllegalArgumentException}
     * ({@code missing "port"}, {@code "port" is not an integer: "80a"}) when it is absent or not one.
     */
    public static int required(JsonNode object, String field) {
        Integer value = optional(object, field);
        if (value == null) {
            throw new IllegalArgumentException("missing \"" + field + "\"");
        }
        return value;
    }

    /** Field {@code field} of {@code object} as an int, {@code null} when absent or JSON null; throws when it is not an integer. */
    public static Integer optional(JsonNode object, String field) {
        JsonNode v = object == null ? null : object.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        Integer value = toInt(v);
        if (value == null) {
            throw new IllegalArgumentException("\"" + field + "\" is not an integer: " + RegistryValues.quote(v.toString()));
        }
        return value;
    }
}
