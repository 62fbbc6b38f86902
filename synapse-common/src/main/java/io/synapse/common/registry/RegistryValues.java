package io.synapse.common.registry;

import java.util.Locale;

/**
 * Checks for values that come from a registry (or a config file) before they may reach a generated
 * config. Each check returns {@code null} when the value is fine, else a message that names the
 * field and quotes the value (escaped, so a hostile value cannot forge a log line).
 */
public final class RegistryValues {
    public static final int MAX_HOST_LENGTH = 253;
    public static final int MAX_NAME_LENGTH = 200;
    public static final int MAX_OPTIONS_LENGTH = 1024;
    public static final int MAX_LABEL_LENGTH = 256;

    private RegistryValues() {}

    /** Throws {@link IllegalArgumentException} with {@code problem} unless it is null. */
    public static void requireValid(String problem) {
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    public static String checkHost(String host) {
        if (host == null || host.isEmpty()) {
            return "host: must not be empty";
        }
        if (host.length() > MAX_HOST_LENGTH) {
            return "host " + quote(host) + ": longer than " + MAX_HOST_LENGTH + " characters";
        }
        if (isIpv4(host) || isIpv6(host) || isDnsName(host)) {
            return null;
        }
        return "host " + quote(host) + ": expected an IP address or a DNS name";
    }

    public static String checkPort(long port) {
        if (port < 1 || port > 65535) {
            return "port " + port + ": expected an integer 1-65535";
        }
        return null;
    }

    /** Names become part of HAProxy server names, which allow letters, digits and {@code . _ - :}. */
    public static String checkName(String name) {
        if (name.isEmpty()) {
            return "name: must not be empty";
        }
        if (name.length() > MAX_NAME_LENGTH) {
            return "name " + quote(name) + ": longer than " + MAX_NAME_LENGTH + " characters";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(isAsciiAlnum(c) || c == '.' || c == '_' || c == '-' || c == ':')) {
                return "name " + quote(name) + ": only letters, digits and . _ - : are allowed";
            }
        }
        return null;
    }

    public static String checkWeight(long weight) {
        if (weight < 0 || weight > 256) {
            return "weight " + weight + ": expected an integer 0-256";
        }
        return null;
    }

    /**
     * Server options are copied onto a server line, so they must stay one line of plain words:
     * printable ASCII only, no comment mark, no quotes or backslashes (HAProxy would re-parse them).
     */
    public static String checkServerOptions(String options) {
        if (options.length() > MAX_OPTIONS_LENGTH) {
            return "haproxy_server_options " + quote(options) + ": longer than " + MAX_OPTIONS_LENGTH + " characters";
        }
        for (int i = 0; i < options.length(); i++) {
            char c = options.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return "haproxy_server_options " + quote(options) + ": control or non-ASCII characters are not allowed";
            }
            if (c == '#' || c == '"' || c == '\'' || c == '\\') {
                return "haproxy_server_options " + quote(options) + ": the characters # \" ' \\ are not allowed";
            }
        }
        String[] words = options.trim().split("\\s+");
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            if (w.isEmpty()) {
                continue;
            }
            if (SERVER_FLAGS.contains(w)) {
                continue;
            }
            if (!SERVER_KEYWORDS_WITH_VALUE.contains(w)) {
                return "haproxy_server_options " + quote(options) + ": unknown server keyword " + quote(w);
            }
            if (i + 1 >= words.length) {
                return "haproxy_server_options " + quote(options) + ": keyword " + quote(w) + " needs a value";
            }
            String value = words[++i];
            // "port %{port}": replaced by the server's port when the line is written
            boolean portTemplate = "%{port}".equals(value) && ("port".equals(w) || "agent-port".equals(w));
            if (NUMERIC_SERVER_KEYWORDS.contains(w) && !value.matches("[0-9]{1,9}") && !portTemplate) {
                return "haproxy_server_options " + quote(options) + ": keyword " + quote(w) + " needs a number, got " + quote(value);
            }
            if ("weight".equals(w) && Integer.parseInt(value) > 256) {
                return "haproxy_server_options " + quote(options) + ": weight " + value + " is above 256";
            }
        }
        return null;
    }

    /** HAProxy 2.6 server keywords that take no value. */
    static final java.util.Set<String> SERVER_FLAGS = java.util.Set.of(
            "backup", "no-backup", "check", "no-check", "check-ssl", "no-check-ssl", "check-send-proxy", "check-via-socks4",
            "agent-check", "no-agent-check", "disabled", "enabled", "send-proxy", "no-send-proxy", "send-proxy-v2",
            "no-send-proxy-v2", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "ssl", "no-ssl", "ssl-reuse", "no-ssl-reuse",
            "tls-tickets", "no-tls-tickets", "no-verifyhost", "non-stick", "stick", "tfo", "allow-0rtt", "no-sslv3",
            "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "force-sslv3", "force-tlsv10", "force-tlsv11",
            "force-tlsv12", "force-tlsv13");

    /** HAProxy 2.6 server keywords followed by one value. */
    static final java.util.Set<String> SERVER_KEYWORDS_WITH_VALUE = java.util.Set.of(
            "addr", "agent-addr", "agent-inter", "agent-port", "agent-send", "alpn", "ca-file", "check-alpn", "check-proto",
            "check-sni", "ciphers", "ciphersuites", "cookie", "crl-file", "crt", "downinter", "error-limit", "fall",
            "fastinter", "id", "init-addr", "inter", "log-proto", "max-reuse", "maxconn", "maxqueue", "minconn", "namespace",
            "npn", "observe", "on-error", "on-marked-down", "on-marked-up", "pool-low-conn", "pool-max-conn",
            "pool-purge-delay", "port", "proto", "proxy-v2-options", "redir", "resolve-net", "resolve-opts", "resolve-prefer",
            "resolvers", "rise", "shard", "slowstart", "sni", "socks4", "source", "ssl-max-ver", "ssl-min-ver", "tcp-ut",
            "track", "verify", "verifyhost", "weight", "ws");

    static final java.util.Set<String> NUMERIC_SERVER_KEYWORDS = java.util.Set.of(
            "weight", "maxconn", "maxqueue", "minconn", "id", "rise", "fall", "port", "agent-port", "error-limit",
            "max-reuse", "pool-low-conn", "pool-max-conn", "shard");

    public static String checkLabel(String key, String value) {
        if (key == null || key.isEmpty() || key.length() > MAX_LABEL_LENGTH || hasControl(key)) {
            return "label " + quote(String.valueOf(key)) + ": expected 1-" + MAX_LABEL_LENGTH + " characters without control characters";
        }
        if (value == null || value.length() > MAX_LABEL_LENGTH || hasControl(value)) {
            return "label " + quote(key) + " value " + quote(String.valueOf(value))
                    + ": expected at most " + MAX_LABEL_LENGTH + " characters without control characters";
        }
        return null;
    }

    /** Whether a string is safe on one config line: no control characters (newlines included). */
    public static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                return true;
            }
        }
        return false;
    }

    /** Quotes a value for a message: escapes control characters and cuts it to 80 characters. */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        int limit = Math.min(s.length(), 80);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (s.length() > limit) {
            out.append("...");
        }
        return out.append('"').toString();
    }

    /** Whether {@code host} is an IPv4 or IPv6 literal (not a DNS name). */
    public static boolean isIpAddress(String host) {
        return isIpv4(host) || isIpv6(host);
    }

    /** Dotted-quad IPv4 without leading zeros; reads the string in place (it runs for every backend). */
    static boolean isIpv4(String s) {
        int n = s.length();
        int parts = 0;
        int i = 0;
        while (true) {
            int start = i;
            int value = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                if (i - start == 3) {
                    return false;
                }
                value = value * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == start || value > 255 || (i - start > 1 && s.charAt(start) == '0')) {
                return false;
            }
            parts++;
            if (i == n) {
                return parts == 4;
            }
            if (s.charAt(i) != '.' || parts == 4) {
                return false;
            }
            i++;
        }
    }

    static boolean isIpv6(String s) {
        if (s.indexOf(':') < 0 || s.length() > 45) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        int doubleColon = s.indexOf("::");
        if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        String[] groups = s.split(":", -1);
        int count = 0;
        for (int i = 0; i < groups.length; i++) {
            String g = groups[i];
            if (g.isEmpty()) {
                continue;
            }
            if (g.indexOf('.') >= 0) {
                if (i != groups.length - 1 || !isIpv4(g)) {
                    return false;
                }
                count += 2;
            } else {
                if (g.length() > 4 || g.indexOf('.') >= 0) {
                    return false;
                }
                count++;
            }
        }
        if (s.startsWith(":") && !s.startsWith("::") || s.endsWith(":") && !s.endsWith("::")) {
            return false;
        }
        return doubleColon >= 0 ? count < 8 : count == 8;
    }

    /** Labels of letters, digits, {@code -} and {@code _}, not all numeric; reads the string in place. */
    static boolean isDnsName(String s) {
        int end = s.endsWith(".") ? s.length() - 1 : s.length();
        if (end == 0) {
            return false;
        }
        boolean allNumeric = true;
        int labelStart = 0;
        for (int i = 0; i <= end; i++) {
            if (i == end || s.charAt(i) == '.') {
                int length = i - labelStart;
                if (length == 0 || length > 63 || s.charAt(labelStart) == '-' || s.charAt(i - 1) == '-') {
                    return false;
                }
                labelStart = i + 1;
                continue;
            }
            char c = s.charAt(i);
            if (!(isAsciiAlnum(c) || c == '-' || c == '_')) {
                return false;
            }
            if (c < '0' || c > '9') {
                allNumeric = false;
            }
        }
        // "300.1.1.1" or "10.0.0" look like addresses but are not valid ones
        return !allNumeric;
    }

    private static boolean isAsciiAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
