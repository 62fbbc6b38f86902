package io.synapse.nerve;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code ${VAR}} and {@code ${VAR:-default}} in string values; {@code $${} is a literal {@code ${}.
 * A variable that is unset (or empty, for the {@code :-} form) and has no default is an error.
 */
final class EnvSubstitution {
    private final Map<String, String> env;

    EnvSubstitution(Map<String, String> env) {
        this.env = Map.copyOf(requireNonNull(env, "env is null"));
    }

    /** The substituted text; throws {@link IllegalArgumentException} with a message for the config error. */
    String apply(String text) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '$' && text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (c == '$' && text.startsWith("${", i)) {
                int end = text.indexOf('}', i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated ${ in " + io.synapse.spi.RegistryValues.quote(text));
                }
                String expr = text.substring(i + 2, end);
                int sep = expr.indexOf(":-");
                String name = sep < 0 ? expr : expr.substring(0, sep);
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new IllegalArgumentException("bad variable name " + io.synapse.spi.RegistryValues.quote(name)
                            + " in " + io.synapse.spi.RegistryValues.quote(text));
                }
                String value = env.get(name);
                if (sep >= 0) {
                    out.append(value == null || value.isEmpty() ? expr.substring(sep + 2) : value);
                } else if (value == null) {
                    throw new IllegalArgumentException("environment variable " + name + " is not set (write ${" + name
                            + ":-default} for a default)");
                } else {
                    out.append(value);
                }
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
