package io.synapse.dns;

import io.synapse.common.registry.RegistryValues;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * What makes two services share one {@link DnsClient}: the nameservers (in the order they are
 * tried) and the time one of them is given to answer.
 */
record ResolverKey(List<InetSocketAddress> nameservers, Duration timeout) {
    static final int DNS_PORT = 53;

    ResolverKey {
        nameservers = List.copyOf(requireNonNull(nameservers, "nameservers is null"));
        requireNonNull(timeout, "timeout is null");
        if (nameservers.isEmpty()) {
            throw new IllegalArgumentException("no nameserver");
        }
    }

    /** {@code 127.0.0.1:53,[fd00::1]:5353}: for log lines. */
    String describe() {
        return nameservers.stream().map(ResolverKey::describe).collect(Collectors.joining(","));
    }

    static String describe(InetSocketAddress a) {
        String host = Addresses.text(a.getAddress());
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * Parses {@code 10.0.0.2}, {@code 10.0.0.2:5353}, {@code fd00::2}, {@code [fd00::2]:5353}; throws
     * {@link IllegalArgumentException} with the message for the config problem.
     */
    static InetSocketAddress parse(String text) {
        String expected = "expected an IP address, IP:port or [IPv6]:port, got " + RegistryValues.quote(String.valueOf(text));
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        String host = text.strip();
        int port = DNS_PORT;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException(expected);
            }
            String rest = host.substring(close + 1);
            host = host.substring(1, close);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException(expected);
                }
                port = parsePort(rest.substring(1), expected);
            }
            if (!RegistryValues.isIpAddress(host) || host.indexOf(':') < 0) {
                throw new IllegalArgumentException(expected);
            }
        } else if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            port = parsePort(host.substring(host.indexOf(':') + 1), expected);
            host = host.substring(0, host.indexOf(':'));
        }
        if (!RegistryValues.isIpAddress(host)) {
            throw new IllegalArgumentException(expected);
        }
        try {
            // a literal: no lookup happens
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(expected);
        }
    }

    private static int parsePort(String s, String expected) {
        if (!s.matches("[0-9]{1,5}") || Integer.parseInt(s) < 1 || Integer.parseInt(s) > 65535) {
            throw new IllegalArgumentException(expected);
        }
        return Integer.parseInt(s);
    }
}
