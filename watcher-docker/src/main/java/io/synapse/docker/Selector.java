package io.synapse.docker;

import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.Backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which containers are a service's backends, and at which address: the containers running {@code
 * image} and carrying every label of {@code labels}; the backend port is the host port published
 * for the container port, or, with {@code network}, the container's own address and port on that
 * network.
 *
 * @param image the image to match, or null for any
 * @param labels label key to required value (null: the key with any value)
 * @param containerPort the container port, or null when every container names it in {@code containerPortLabel}
 * @param containerPortLabel the label holding a container's port, or null
 * @param network the Docker network to take addresses from, or null for published ports
 */
record Selector(ImageName image, Map<String, String> labels, Integer containerPort, String containerPortLabel, String network) {
    Selector {
        labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    /** Told about a selected container that is not a backend. */
    interface Skipped {
        /**
         * @param warn true for a container that is probably meant to be a backend but is broken (a bad port
         *     label), false for one that simply is not reachable the configured way (no published port, not on
         *     the network), which the Ruby watcher skipped silently too
         */
        void skipped(ContainerInfo container, String reason, boolean warn);
    }

    /** Parses {@code "key"} and {@code "key=value"} selectors (validated by the factory). */
    static Map<String, String> parseLabels(List<String> selectors) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (selectors != null) {
            for (String s : selectors) {
                int eq = s.indexOf('=');
                labels.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? null : s.substring(eq + 1));
            }
        }
        return labels;
    }

    boolean selects(ContainerInfo c) {
        if (image != null && !image.matches(c.image())) {
            return false;
        }
        for (Map.Entry<String, String> l : labels.entrySet()) {
            String value = c.labels().get(l.getKey());
            if (value == null || (l.getValue() != null && !l.getValue().equals(value))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The backends among {@code containers}, oldest container first.
     *
     * @param name the backends' name (a Ruby {@code servers[].name}), or null for each container's name
     * @param engineHost the host of a tcp:// engine, or null for the local engine (unix socket)
     * @param skipped told about each selected container that cannot be a backend, with the reason
     */
    List<Backend> backends(Iterable<ContainerInfo> containers, String name, String engineHost, Skipped skipped) {
        List<ContainerInfo> selected = new ArrayList<>();
        for (ContainerInfo c : containers) {
            if (selects(c)) {
                selected.add(c);
            }
        }
        selected.sort(ContainerInfo.ORDER);
        List<Backend> backends = new ArrayList<>(selected.size());
        for (ContainerInfo c : selected) {
            Integer port = port(c, skipped);
            if (port == null) {
                continue;
            }
            String host;
            int backendPort;
            if (network != null) {
                host = c.networks().get(network);
                if (host == null || host.isEmpty()) {
                    skipped.skipped(c, host == null ? "not attached to network " + RegistryValues.quote(network)
                            : "no address on network " + RegistryValues.quote(network), false);
                    continue;
                }
                backendPort = port;
            } else {
                ContainerInfo.Port published = published(c, port);
                if (published == null) {
                    skipped.skipped(c, "does not publish port " + port, false);
                    continue;
                }
                backendPort = published.publicPort();
                host = engineHost != null ? engineHost : localAddress(published.ip());
            }
            try {
                backends.add(Backend.builder(host, backendPort)
                        .name(name != null ? name : c.name())
                        .labels(validLabels(c.labels()))
                        .id(c.created())
                        .build());
            } catch (IllegalArgumentException e) {
                skipped.skipped(c, e.getMessage(), true);
            }
        }
        return backends;
    }

    private Integer port(ContainerInfo c, Skipped skipped) {
        if (containerPortLabel != null) {
            String value = c.labels().get(containerPortLabel);
            if (value != null) {
                try {
                    int p = Integer.parseInt(value.strip());
                    if (p >= 1 && p <= 65535) {
                        return p;
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                skipped.skipped(c, "label " + containerPortLabel + "=" + RegistryValues.quote(value) + ": expected a port 1-65535", true);
                return null;
            }
            if (containerPort == null) {
                skipped.skipped(c, "no label " + containerPortLabel + " (the container port)", true);
                return null;
            }
        }
        return containerPort;
    }

    /** The TCP publication of {@code port}, an IPv4 one when there are several. */
    static ContainerInfo.Port published(ContainerInfo c, int port) {
        ContainerInfo.Port best = null;
        for (ContainerInfo.Port p : c.ports()) {
            if (p.privatePort() != port || p.publicPort() == null || p.publicPort() < 1 || !"tcp".equals(p.type())) {
                continue;
            }
            if (best == null || (best.ip() != null && best.ip().indexOf(':') >= 0 && (p.ip() == null || p.ip().indexOf(':') < 0))) {
                best = p;
            }
        }
        return best;
    }

    /** Where a port of the local engine is reached: its bound address, or loopback when bound to all. */
    static String localAddress(String boundIp) {
        if (boundIp == null || boundIp.isEmpty() || boundIp.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (boundIp.equals("::")) {
            return "::1";
        }
        return boundIp;
    }

    private static Map<String, String> validLabels(Map<String, String> labels) {
        Map<String, String> valid = new LinkedHashMap<>();
        for (Map.Entry<String, String> l : labels.entrySet()) {
            if (RegistryValues.checkLabel(l.getKey(), l.getValue()) == null) {
                valid.put(l.getKey(), l.getValue());
            }
        }
        return valid;
    }
}
