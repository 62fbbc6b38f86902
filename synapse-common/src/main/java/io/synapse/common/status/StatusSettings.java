package io.synapse.common.status;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.config.JsonFields;
import io.synapse.common.registry.RegistryValues;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Where a daemon serves its status endpoint: {@code "status": {"port": 9090, "bind_address":
 * "127.0.0.1"}}. Loopback unless an address is configured; the address must be an IP literal
 * (never a name to resolve: what it binds to must not depend on DNS) or {@code localhost}.
 *
 * @param bindAddress the IP literal to listen on ({@code localhost} is stored as {@code 127.0.0.1})
 * @param port the TCP port; 0 picks a free one (only through the API, for tests)
 */
public record StatusSettings(String bindAddress, int port) {
    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
    public static final List<String> KEYS = List.of("port", "bind_address");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    public StatusSettings {
        requireNonNull(bindAddress, "bindAddress is null");
        if (addressProblem(bindAddress) != null) {
            throw new IllegalArgumentException("bindAddress " + addressProblem(bindAddress));
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535, got " + port);
        }
        if (bindAddress.equals("localhost")) {
            bindAddress = DEFAULT_BIND_ADDRESS;
        }
    }

    /** The socket address to bind (no name lookup: the address is a literal). */
    public InetSocketAddress socketAddress() {
        try {
            return new InetSocketAddress(InetAddress.getByName(bindAddress.contains(":") ? "[" + bindAddress + "]" : bindAddress), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an IP literal: " + bindAddress, e); // checked in the constructor
        }
    }

    /** {@code host:port}, IPv6 in brackets. */
    public String describe() {
        return (bindAddress.contains(":") ? "[" + bindAddress + "]" : bindAddress) + ":" + port;
    }

    /**
     * Reads a {@code status} section ({@code fields} positioned at it): {@code port} (required,
     * 1-65535) and {@code bind_address} (default 127.0.0.1). Problems go to the section's path;
     * returns {@code null} when there is one.
     */
    public static StatusSettings parse(JsonFields fields) {
        requireNonNull(fields, "fields is null");
        ConfigProblems problems = fields.problems();
        int before = problems.size();
        fields.rejectUnknown(KEYS);
        Integer port = fields.port("port");
        if (!fields.has("port")) {
            problems.add("port", "is required (the TCP port of /metrics, /status, /healthz and the status page)");
        }
        String address = fields.string("bind_address", DEFAULT_BIND_ADDRESS);
        String problem = addressProblem(address);
        if (problem != null) {
            problems.add("bind_address", problem);
        }
        if (problems.size() > before || port == null) {
            return null;
        }
        return new StatusSettings(address, port);
    }

    /**
     * Reads {@code host:port} (a command line's {@code --status-address}): {@code 127.0.0.1:9090},
     * {@code [::1]:9090}, {@code localhost:9090}, or {@code :9090} for loopback. Problems go to
     * {@code problems} under {@code key}; returns {@code null} when there is one.
     */
    public static StatusSettings parseAddress(String text, String key, ConfigProblems problems) {
        requireNonNull(key, "key is null");
        requireNonNull(problems, "problems is null");
        String expected = "expected ADDRESS:PORT like 127.0.0.1:9090 or [::1]:9090, got " + RegistryValues.quote(String.valueOf(text));
        if (text == null || text.isBlank()) {
            problems.add(key, expected);
            return null;
        }
        String t = text.strip();
        String host;
        String portText;
        if (t.startsWith("[")) {
            int close = t.indexOf("]:");
            if (close < 0) {
                problems.add(key, expected);
                return null;
            }
            host = t.substring(1, close);
            portText = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon < 0 || t.indexOf(':') != colon) {
                problems.add(key, expected);
                return null;
            }
            host = colon == 0 ? DEFAULT_BIND_ADDRESS : t.substring(0, colon);
            portText = t.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            problems.add(key, "expected a port 1-65535 after the address, got " + RegistryValues.quote(t));
            return null;
        }
        String problem = addressProblem(host);
        if (problem != null) {
            problems.add(key, problem);
            return null;
        }
        return new StatusSettings(host, port);
    }

    /** {@code null} when {@code address} can be bound without a name lookup, else why not. */
    static String addressProblem(String address) {
        String expected = "expected an IP address (127.0.0.1 for this host only, 0.0.0.0 for every interface, or ::1 / ::) "
                + "or \"localhost\", got " + RegistryValues.quote(String.valueOf(address));
        if (address == null || address.isEmpty()) {
            return expected;
        }
        if (address.equals("localhost") || IPV4.matcher(address).matches()) {
            return null;
        }
        if (address.contains(":") && IPV6_CHARS.matcher(address).matches()) {
            try {
                // in brackets the text must be an IPv6 literal: an invalid one fails without a name lookup
                InetAddress.getByName("[" + address + "]");
                return null;
            } catch (UnknownHostException e) {
                return expected;
            }
        }
        return expected;
    }
}
