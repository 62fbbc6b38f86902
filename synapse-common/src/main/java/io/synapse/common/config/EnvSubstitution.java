package io.synapse.common.config;

import io.synapse.common.registry.RegistryValues;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.synapse.common.config.ConfigProblems;

import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code ${VAR}} and {@code ${VAR:-default}} in string values (the Ruby tools used ERB for this).
 * {@code $${} } stands for a literal {@code ${}. An unset variable without a default is an error.
 */
public final class EnvSubstitution {
    private EnvSubstitution() {}

    public static void apply(JsonNode root, Function<String, String> env, ConfigProblems problems) {
        walk(root, env, problems);
    }

    private static void walk(JsonNode node, Function<String, String> env, ConfigProblems problems) {
        if (node instanceof ObjectNode object) {
            // replacing the value of an existing key does not disturb the iteration
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode child = e.getValue();
                if (child.isTextual()) {
                    String text = child.asText();
                    if (text.indexOf('$') >= 0) {
                        String s = substitute(text, env, problems.at(e.getKey()));
                        if (!s.equals(text)) {
                            e.setValue(TextNode.valueOf(s));
                        }
                    }
                } else if (child.isContainerNode()) {
                    walk(child, env, problems.at(e.getKey()));
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode child = array.get(i);
                if (child.isTextual()) {
                    String text = child.asText();
                    if (text.indexOf('$') >= 0) {
                        String s = substitute(text, env, problems.at("[" + i + "]"));
                        if (!s.equals(text)) {
                            array.set(i, TextNode.valueOf(s));
                        }
                    }
                } else if (child.isContainerNode()) {
                    walk(child, env, problems.at("[" + i + "]"));
                }
            }
        }
    }

    static String substitute(String s, Function<String, String> env, ConfigProblems problems) {
        try {
            return substitute(s, env);
        } catch (IllegalArgumentException e) {
            problems.add("", e.getMessage());
            return s;
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
                    throw new IllegalArgumentException("unterminated ${ in " + io.synapse.common.registry.RegistryValues.quote(s));
                }
                String expr = s.substring(i + 2, end);
                int sep = expr.indexOf(":-");
                String name = sep < 0 ? expr : expr.substring(0, sep);
                String def = sep < 0 ? null : expr.substring(sep + 2);
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new IllegalArgumentException("bad variable name " + io.synapse.common.registry.RegistryValues.quote(name)
                            + " in " + io.synapse.common.registry.RegistryValues.quote(s));
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
