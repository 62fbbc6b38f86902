package io.synapse.dns;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A validated {@code dns} discovery section with its defaults applied.
 *
 * @param resolver the nameservers and their timeout
 * @param srv the SRV questions (SRV mode), in config order, each once; empty in host-list mode
 * @param servers the host list (host-list mode); empty in SRV mode
 * @param minInterval the shortest time between two queries of a name
 * @param maxInterval the longest time between two queries of a name
 */
record Settings(ResolverKey resolver, List<Question> srv, List<Host> servers, Duration minInterval, Duration maxInterval) {
    /** The port backends carry when a host-list entry has none: the service's port override replaces it. */
    static final int PLACEHOLDER_PORT = 65535;

    Settings {
        requireNonNull(resolver, "resolver is null");
        srv = List.copyOf(srv);
        servers = List.copyOf(servers);
        requireNonNull(minInterval, "minInterval is null");
        requireNonNull(maxInterval, "maxInterval is null");
    }

    /**
     * One host-list entry.
     *
     * @param name the backends' name, or null
     * @param host as configured
     * @param address true when {@code host} is an IP address (used as is, never resolved)
     * @param port the port, or {@link #PLACEHOLDER_PORT}
     */
    record Host(String name, String host, boolean address, int port, Map<String, String> labels) {
        Host {
            requireNonNull(host, "host is null");
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }

        List<Question> questions() {
            return address ? List.of() : List.of(Question.of(host, org.xbill.DNS.Type.A), Question.of(host, org.xbill.DNS.Type.AAAA));
        }
    }
}
