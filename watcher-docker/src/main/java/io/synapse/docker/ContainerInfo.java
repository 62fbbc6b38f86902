package io.synapse.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ContainerPort;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * What the watcher keeps of one eligible container (running, not paused, and healthy when it has a
 * health check), decoded from the engine's container list.
 *
 * @param id the full container id
 * @param name the container name without the leading {@code /}
 * @param image the image as the container was started ({@code repo:tag}, {@code repo}, or an id)
 * @param created creation time, seconds since the epoch
 * @param labels the container's labels
 * @param ports the published ports (and exposed, unpublished ones with a null public port)
 * @param networks the container's address on each network it is attached to ({@code ""} when none)
 */
record ContainerInfo(String id, String name, String image, long created, Map<String, String> labels,
                     List<Port> ports, Map<String, String> networks) {

    /** The order backends are published in: oldest first, then by name (stable across re-reads). */
    static final Comparator<ContainerInfo> ORDER = Comparator.comparingLong(ContainerInfo::created)
            .thenComparing(ContainerInfo::name).thenComparing(ContainerInfo::id);

    private static final Comparator<Port> PORT_ORDER = Comparator.comparingInt(Port::privatePort)
            .thenComparing(Port::type)
            .thenComparing(Port::ip, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(Port::publicPort, Comparator.nullsFirst(Comparator.naturalOrder()));

    ContainerInfo {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(image, "image is null");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        ports = ports == null ? List.of() : ports.stream().sorted(PORT_ORDER).toList();
        networks = networks == null ? Map.of() : Map.copyOf(networks);
    }

    /**
     * One entry of the container's {@code Ports}.
     *
     * @param ip the host address it is published on ({@code 0.0.0.0}, {@code ::}, {@code 127.0.0.1}...) or null
     * @param privatePort the container's port
     * @param publicPort the host port, or null when not published
     * @param type {@code tcp}, {@code udp} or {@code sctp}
     */
    record Port(String ip, int privatePort, Integer publicPort, String type) {
        Port {
            ip = ip == null || ip.isEmpty() ? null : ip;
            type = type == null || type.isEmpty() ? "tcp" : type;
        }
    }

    /** From the engine's container list ({@code GET /containers/json}). */
    static ContainerInfo of(Container c) {
        String name = c.getId();
        if (c.getNames() != null) {
            // a container linked to others has more names ("/other/alias"): its own has one slash
            for (String n : c.getNames()) {
                if (n != null && n.lastIndexOf('/') == 0) {
                    name = n;
                    break;
                }
            }
        }
        List<Port> ports = new ArrayList<>();
        if (c.getPorts() != null) {
            for (ContainerPort p : c.getPorts()) {
                if (p.getPrivatePort() != null) {
                    ports.add(new Port(p.getIp(), p.getPrivatePort(), p.getPublicPort(), p.getType()));
                }
            }
        }
        Map<String, String> networks = new TreeMap<>();
        if (c.getNetworkSettings() != null && c.getNetworkSettings().getNetworks() != null) {
            for (Map.Entry<String, ContainerNetwork> n : c.getNetworkSettings().getNetworks().entrySet()) {
                String ip = n.getValue() == null ? null : n.getValue().getIpAddress();
                networks.put(n.getKey(), ip == null ? "" : ip);
            }
        }
        return new ContainerInfo(c.getId(), stripSlash(name), c.getImage() == null ? "" : c.getImage(),
                c.getCreated() == null ? 0 : c.getCreated(), withoutNulls(c.getLabels()), ports, networks);
    }

    /** From one container's inspection ({@code GET /containers/{id}/json}). */
    static ContainerInfo of(InspectContainerResponse c) {
        List<Port> ports = new ArrayList<>();
        Map<String, String> networks = new TreeMap<>();
        if (c.getNetworkSettings() != null) {
            Ports bindings = c.getNetworkSettings().getPorts();
            if (bindings != null && bindings.getBindings() != null) {
                for (Map.Entry<ExposedPort, Ports.Binding[]> e : bindings.getBindings().entrySet()) {
                    ExposedPort exposed = e.getKey();
                    String type = exposed.getProtocol() == null ? "tcp" : exposed.getProtocol().toString();
                    if (e.getValue() == null || e.getValue().length == 0) {
                        ports.add(new Port(null, exposed.getPort(), null, type));
                        continue;
                    }
                    for (Ports.Binding b : e.getValue()) {
                        ports.add(new Port(b.getHostIp(), exposed.getPort(), parsePort(b.getHostPortSpec()), type));
                    }
                }
            }
            if (c.getNetworkSettings().getNetworks() != null) {
                for (Map.Entry<String, ContainerNetwork> n : c.getNetworkSettings().getNetworks().entrySet()) {
                    String ip = n.getValue() == null ? null : n.getValue().getIpAddress();
                    networks.put(n.getKey(), ip == null ? "" : ip);
                }
            }
        }
        String image = c.getConfig() == null || c.getConfig().getImage() == null ? "" : c.getConfig().getImage();
        Map<String, String> labels = c.getConfig() == null ? null : c.getConfig().getLabels();
        return new ContainerInfo(c.getId(), stripSlash(c.getName() == null ? c.getId() : c.getName()), image,
                parseCreated(c.getCreated()), withoutNulls(labels), ports, networks);
    }

    /**
     * Whether an inspected container can serve: running, not paused or restarting, and healthy when it
     * has a health check (the same as the list filters {@code status=running}, {@code health=healthy|none}).
     */
    static boolean eligible(InspectContainerResponse c) {
        InspectContainerResponse.ContainerState s = c.getState();
        if (s == null || !Boolean.TRUE.equals(s.getRunning()) || Boolean.TRUE.equals(s.getPaused())
                || Boolean.TRUE.equals(s.getRestarting())) {
            return false;
        }
        return s.getHealth() == null || s.getHealth().getStatus() == null || s.getHealth().getStatus().isEmpty()
                || "none".equals(s.getHealth().getStatus()) || "healthy".equals(s.getHealth().getStatus());
    }

    private static String stripSlash(String name) {
        return name.startsWith("/") ? name.substring(1) : name;
    }

    private static Map<String, String> withoutNulls(Map<String, String> labels) {
        if (labels == null) {
            return Map.of();
        }
        Map<String, String> copy = new LinkedHashMap<>(labels);
        copy.values().removeIf(java.util.Objects::isNull);
        return copy;
    }

    private static Integer parsePort(String spec) {
        if (spec == null || spec.isEmpty()) {
            return null;
        }
        try {
            return Integer.parseInt(spec);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static long parseCreated(String created) {
        if (created == null || created.isEmpty()) {
            return 0;
        }
        try {
            return OffsetDateTime.parse(created).toEpochSecond();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** The first 12 characters of the id, as {@code docker ps} shows it. */
    String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
