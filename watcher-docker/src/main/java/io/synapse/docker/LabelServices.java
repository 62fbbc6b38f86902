package io.synapse.docker;

import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceDefinition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * The services that labelled containers define (see {@link DockerCatalog}): a pure function of the
 * engines' containers, so that a new set is published only when it differs.
 */
final class LabelServices {
    private final String prefix;
    private final List<DockerServiceWatcher.Target> targets;
    private final Double checkInterval;
    private final String network;

    /**
     * @param targets the catalog's engines, named in every definition's discovery so that its watcher
     *     shares the catalog's connections
     * @param checkInterval passed on to each service's discovery, or null
     * @param network passed on to each service's discovery, or null
     */
    LabelServices(String prefix, List<DockerServiceWatcher.Target> targets, Double checkInterval, String network) {
        this.prefix = requireNonNull(prefix, "prefix is null");
        this.targets = List.copyOf(requireNonNull(targets, "targets is null"));
        this.checkInterval = checkInterval;
        this.network = network;
    }

    /** What one container says about its service. */
    private record Labels(String service, Integer frontendPort, String mode, ContainerInfo container) {}

    /**
     * The services the eligible containers of {@code engines} define, sorted by name.
     *
     * @param problems told about each container whose labels are unusable, and each conflict
     */
    List<ServiceDefinition> define(Collection<DockerHost.HostState> engines, Consumer<String> problems) {
        String serviceLabel = prefix + ".service";
        Map<String, List<Labels>> byService = new TreeMap<>();
        for (DockerHost.HostState s : engines) {
            if (s.containers() == null) {
                continue;
            }
            for (ContainerInfo c : s.containers().values()) {
                String service = c.labels().get(serviceLabel);
                if (service == null) {
                    continue;
                }
                Labels labels = labels(c, service, s.endpoint(), problems);
                if (labels != null) {
                    byService.computeIfAbsent(service, k -> new ArrayList<>()).add(labels);
                }
            }
        }
        List<ServiceDefinition> out = new ArrayList<>();
        for (Map.Entry<String, List<Labels>> e : byService.entrySet()) {
            List<Labels> members = new ArrayList<>(e.getValue());
            members.sort((a, b) -> ContainerInfo.ORDER.compare(a.container(), b.container()));
            Labels first = members.get(0);
            for (Labels other : members.subList(1, members.size())) {
                if (!Objects.equals(other.frontendPort(), first.frontendPort()) || !Objects.equals(other.mode(), first.mode())) {
                    problems.accept("service " + e.getKey() + ": container " + other.container().name() + " ("
                            + other.container().shortId() + ") has " + describe(other) + " but the oldest container "
                            + first.container().name() + " has " + describe(first) + "; using the oldest's");
                }
            }
            out.add(definition(e.getKey(), first));
        }
        return List.copyOf(out);
    }

    private Labels labels(ContainerInfo c, String service, Endpoint endpoint, Consumer<String> problems) {
        String where = "container " + c.name() + " (" + c.shortId() + ") on " + endpoint.uri();
        if (service.isEmpty() || RegistryValues.checkName(service) != null) {
            problems.accept("skipping " + where + ": label " + prefix + ".service=" + RegistryValues.quote(service)
                    + ": only letters, digits and . _ - : are allowed");
            return null;
        }
        Integer frontendPort = null;
        String frontend = c.labels().get(prefix + ".frontend_port");
        if (frontend != null) {
            frontendPort = port(frontend);
            if (frontendPort == null) {
                problems.accept("skipping " + where + ": label " + prefix + ".frontend_port=" + RegistryValues.quote(frontend)
                        + ": expected a port 1-65535");
                return null;
            }
        }
        String mode = c.labels().get(prefix + ".mode");
        if (mode != null && !mode.equals("http") && !mode.equals("tcp")) {
            problems.accept("skipping " + where + ": label " + prefix + ".mode=" + RegistryValues.quote(mode)
                    + ": expected http or tcp");
            return null;
        }
        return new Labels(service, frontendPort, mode, c);
    }

    private ServiceDefinition definition(String service, Labels labels) {
        Map<String, Object> discovery = new LinkedHashMap<>();
        discovery.put("method", DockerWatcherFactory.NAME);
        List<Object> servers = new ArrayList<>();
        for (DockerServiceWatcher.Target t : targets) {
            if (t.endpoint().isUnix()) {
                discovery.put("socket", t.endpoint().uri().getPath());
            } else {
                Map<String, Object> server = new LinkedHashMap<>();
                if (t.name() != null) {
                    server.put("name", t.name());
                }
                server.put("host", t.endpoint().host());
                server.put("port", t.endpoint().uri().getPort());
                if (t.endpoint().tls() != null) {
                    Map<String, Object> tls = new LinkedHashMap<>();
                    DockerConfig.Tls files = t.endpoint().tls();
                    if (files.ca() != null) {
                        tls.put("ca", files.ca());
                    }
                    if (files.cert() != null) {
                        tls.put("cert", files.cert());
                        tls.put("key", files.key());
                    }
                    server.put("tls", tls);
                }
                servers.add(server);
            }
        }
        if (!servers.isEmpty()) {
            discovery.put("servers", servers);
        }
        discovery.put("labels", List.of(prefix + ".service=" + service));
        discovery.put("container_port_label", prefix + ".port");
        if (checkInterval != null) {
            discovery.put("check_interval", checkInterval);
        }
        if (network != null) {
            discovery.put("network", network);
        }
        Map<String, Object> haproxy = new LinkedHashMap<>();
        if (labels.frontendPort() != null) {
            haproxy.put("port", labels.frontendPort());
        }
        if (labels.mode() != null) {
            haproxy.put("listen", List.of("mode " + labels.mode()));
        }
        Map<String, Object> definition = new LinkedHashMap<>();
        definition.put("discovery", discovery);
        definition.put("haproxy", haproxy);
        return new ServiceDefinition(service, definition);
    }

    private static Integer port(String value) {
        try {
            int p = Integer.parseInt(value.strip());
            return p >= 1 && p <= 65535 ? p : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private String describe(Labels l) {
        return prefix + ".frontend_port=" + (l.frontendPort() == null ? "(none)" : l.frontendPort()) + " " + prefix + ".mode="
                + (l.mode() == null ? "(none)" : l.mode());
    }

}
