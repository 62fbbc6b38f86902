package io.synapse.dns;

import com.fasterxml.jackson.annotation.JsonFormat;

import java.util.List;
import java.util.Map;

/**
 * The {@code discovery} section of a service using {@code "method": "dns"} (without {@code method}
 * and the label filters, which the engine handles). Absent keys are {@code null}; {@link
 * DnsWatcherFactory} applies the defaults and checks the rest.
 *
 * @param servers the Ruby watcher's host list: every address (A and AAAA) a {@code host} resolves
 *     to becomes a backend with the entry's {@code name}, {@code port} and {@code labels}; exclusive
 *     with {@code srv}
 * @param srv SRV names (one, or a list), e.g. {@code _grounduser._tcp.dev.kw}: every SRV answer
 *     becomes backends on the target's addresses and the SRV port; exclusive with {@code servers}
 * @param nameserver the server(s) to ask: an IP address, {@code IP:port} or {@code [IPv6]:port}, or
 *     a list of them tried in order; absent: the system's ({@code /etc/resolv.conf})
 * @param checkInterval Ruby's key: the longest time between two resolutions, in seconds (default 30);
 *     the same setting as {@code maxInterval}
 * @param minInterval the shortest time between two resolutions of a name, whatever its TTL (default 1)
 * @param maxInterval the longest time between two resolutions of a name, whatever its TTL (default 30)
 * @param timeout seconds to wait for one nameserver's answer before trying the next (default 5)
 */
public record DnsConfig(
        List<Server> servers,
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> srv,
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> nameserver,
        Double checkInterval,
        Double minInterval,
        Double maxInterval,
        Double timeout) {

    /**
     * One entry of {@code servers}, as in the Ruby watcher.
     *
     * @param name the backends' name (every address of the host gets it)
     * @param host a DNS name (resolved) or an IP address (used as is)
     * @param port the backends' port; absent: the service must set {@code backend_port_override}
     *     (or {@code haproxy.server_port_override})
     * @param labels labels for label filters
     */
    public record Server(String name, String host, Integer port, Map<String, String> labels) {}
}
