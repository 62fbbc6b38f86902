package io.synapse.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import io.synapse.common.registry.RegistryValues;

import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code ${VAR}} and {@code ${VAR:-default}} in string values (the Ruby tools used ERB for this).
 * {@code $${} } stands for a literal {@code ${}. An unset variable without a default is an error.
 *
 * <p>Substitution happens in strings only, over the whole tree, before any value is read; a value
 * that is a whole number or boolean after substitution reads as one ({@link JsonFields}). A string
 * that cannot be substituted is reported once and left {@link #isUnresolved unresolved}, so that
 * reading it does not report it a second time.
 */
public final class EnvSubstitution {
    private EnvSubstitution() {}

    /** A string whose substitution failed (already reported): it reads as absent. */
    private static final class Unresolved extends TextNode {
        Unresolved(String v) {
            super(v);
        }
    }

    /** Whether {@code node} is a string whose substitution failed and was reported. */
    public static boolean isUnresolved(JsonNode node) {
        return node instanceof Unresolved;
    }

    public static void apply(JsonNode root, Function<String, String> env, ConfigProblems problems) {
        walk(root, env, problems);
    }

    private static void walk(JsonNode node, Function<String, String> env, ConfigProblems problems) {
        // only strings with a '$' can change: a large config has a hundred thousand without one
        if (node instanceof ObjectNode object) {
            // replacing the value of an existing key does not disturb the iteration
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode child = e.getValue();
                if (child.isTextual()) {
                    if (child.asText().indexOf('$') >= 0) {
                        e.setValue(substituted(child.asText(), env, problems.at(e.getKey())));
                    }
                } else if (child.isContainerNode()) {
                    walk(child, env, problems.at(e.getKey()));
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode child = array.get(i);
                if (child.isTextual()) {
                    if (child.asText().indexOf('$') >= 0) {
                        array.set(i, substituted(child.asText(), env, problems.at("[" + i + "]")));
                    }
                } else if (child.isContainerNode()) {
                    walk(child, env, problems.at("[" + i + "]"));
                }
            }
        }
    }

    private static TextNode substituted(String s, Function<String, String> env, ConfigProblems problems) {
        try {
            return TextNode.valueOf(substitute(s, env));
        } catch (IllegalArgumentException e) {
            problems.add("", e.getMessage());
            return new Unresolved(s);
        }
    }

    /**
     * Substitutes one string; throws {@link IllegalArgumentException} saying what is wrong (an
     * unset variable without a default, an unterminated or invalid reference).
     */
    public static String substitute(String s, Function<String, String> env) {
        if (s.indexOf('$') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '$' && s.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (c == '$' && s.startsWith("${", i)) {
                int end = s.indexOf('}', i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated ${ in " + RegistryValues.quote(s));
                }
                String expr = s.substring(i + 2, end);
                int sep = expr.indexOf(":-");
                String name = sep < 0 ? expr : expr.substring(0, sep);
                String def = sep < 0 ? null : expr.substring(sep + 2);
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new IllegalArgumentException("bad variable name " + RegistryValues.quote(name)
                            + " in " + RegistryValues.quote(s));
                }
                String value = env.apply(name);
                if (value == null || (value.isEmpty() && def != null)) {
                    if (def == null) {
                        throw new IllegalArgumentException("environment variable " + name
                                + " is not set (use ${" + name + ":-default} for a default)");
                    }
                    value = def;
                }
                out.append(value);
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }


}
