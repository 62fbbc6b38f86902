package io.synapse.marathon;

import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceDefinition;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Marathon-LB's model: turns the apps of the configured groups into service definitions, one per
 * service port.
 *
 * <ul>
 *   <li>An app belongs to the groups of its {@code HAPROXY_GROUP} label (comma-separated); {@code
 *       HAPROXY_<n>_GROUP} overrides that for port index n; a configured group {@code *} takes
 *       every app.</li>
 *   <li>The service is named {@code <app>_<servicePort>}: the app id without its leading {@code /},
 *       other {@code /} as {@code _} ({@code /prod/web}, port 10001: {@code prod_web_10001}).</li>
 *   <li>Its discovery is the {@code marathon} watcher on the catalog's URLs, the app and the port
 *       index, so it shares the catalog's event stream.</li>
 *   <li>Its {@code haproxy} section: {@code port} is the service port; {@code listen} holds the
 *       mode: {@code HAPROXY_<n>_MODE} ({@code http} or {@code tcp}), else {@code http} when the app
 *       has {@code HAPROXY_<n>_VHOST} or an HTTP health check on that port, else {@code tcp};
 *       {@code HAPROXY_<n>_BIND_ADDR} sets {@code bind_address}; {@code HAPROXY_<n>_VHOST} (host
 *       names, comma-separated) adds to the shared frontend an ACL on the Host header (its port
 *       ignored) and a {@code use_backend} for it.</li>
 * </ul>
 *
 * Label values come from the network: each is checked, and a service whose labels are invalid is
 * left out, with the problem reported.
 */
final class AppServices {
    private static final Set<String> HTTP_CHECKS = Set.of("HTTP", "MESOS_HTTP");

    /** The services, and what was wrong with the apps left out (or partly used). */
    record Result(List<ServiceDefinition> services, List<String> problems) {}

    private final List<String> groups;
    private final List<String> discoveryUrls;
    private final String apiPath;
    private final String credentials;
    private final Double checkInterval;

    /**
     * @param urls the catalog's {@code marathon_api_url}s, whose paths are the API's base
     */
    AppServices(List<String> groups, List<String> urls, String credentials, Double checkInterval) {
        this.groups = List.copyOf(requireNonNull(groups, "groups is null"));
        this.credentials = credentials;
        this.checkInterval = checkInterval;
        // the watchers read `marathon_api_url` the Ruby way (an absolute path replaces the URL's):
        // a base with a path is passed as "<base>/" with a relative path, which resolves below it
        boolean withPath = urls.stream().anyMatch(u -> {
            String p = URI.create(u).getRawPath();
            return p != null && !p.isEmpty() && !p.equals("/");
        });
        List<String> out = new ArrayList<>();
        for (String u : urls) {
            out.add(withPath && !u.endsWith("/") ? u + "/" : u);
        }
        this.discoveryUrls = List.copyOf(out);
        this.apiPath = withPath ? Endpoints.STANDARD_TASKS_PATH.substring(1) : null;
    }

    Result services(List<MarathonApp.Definition> definitions) {
        List<ServiceDefinition> services = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (MarathonApp.Definition app : definitions) {
            List<String> appGroups = split(app.label("HAPROXY_GROUP"));
            for (int n = 0; n < app.servicePorts().size(); n++) {
                Integer servicePort = app.servicePorts().get(n);
                String portGroups = app.label("HAPROXY_" + n + "_GROUP");
                if (!matches(portGroups != null ? split(portGroups) : appGroups) || servicePort == null || servicePort < 1
                        || servicePort > 65535) {
                    continue;
                }
                ServiceDefinition service = service(app, n, servicePort, problems);
                if (service != null) {
                    services.add(service);
                }
            }
        }
        return new Result(services, problems);
    }

    private boolean matches(List<String> appGroups) {
        if (groups.contains("*")) {
            return true;
        }
        for (String g : appGroups) {
            if (groups.contains(g)) {
                return true;
            }
        }
        return false;
    }

    private ServiceDefinition service(MarathonApp.Definition app, int n, int servicePort, List<String> problems) {
        String name = app.id().substring(1).replace('/', '_') + "_" + servicePort;
        String where = "app " + app.id() + " port index " + n + " (service " + name + ")";
        String modeLabel = "HAPROXY_" + n + "_MODE";
        String vhostLabel = "HAPROXY_" + n + "_VHOST";
        String bindLabel = "HAPROXY_" + n + "_BIND_ADDR";

        String mode = app.label(modeLabel);
        if (mode != null) {
            mode = mode.strip().toLowerCase(Locale.ROOT);
            if (!mode.equals("http") && !mode.equals("tcp")) {
                problems.add(where + ": " + modeLabel + " " + RegistryValues.quote(app.label(modeLabel))
                        + ": expected http or tcp; leaving the service out");
                return null;
            }
        }
        List<String> vhosts = split(app.label(vhostLabel));
        for (String vhost : vhosts) {
            if (RegistryValues.checkHost(vhost) != null) {
                problems.add(where + ": " + vhostLabel + " " + RegistryValues.quote(app.label(vhostLabel))
                        + ": expected host names separated by commas; leaving the service out");
                return null;
            }
        }
        String bind = app.label(bindLabel);
        if (bind != null) {
            bind = bind.strip();
            if (!bind.equals("*") && RegistryValues.checkHost(bind) != null) {
                problems.add(where + ": " + bindLabel + " " + RegistryValues.quote(app.label(bindLabel))
                        + ": expected an IP address, a host name or *; leaving the service out");
                return null;
            }
        }
        if (mode == null) {
            MarathonApp.HealthCheck check = app.healthCheckFor(n);
            mode = !vhosts.isEmpty() || (check != null && HTTP_CHECKS.contains(check.protocol())) ? "http" : "tcp";
        }
        if (mode.equals("tcp") && !vhosts.isEmpty()) {
            problems.add(where + ": " + vhostLabel + " ignored: Host-header routing needs mode http, and " + modeLabel + " is tcp");
            vhosts = List.of();
        }

        Map<String, Object> discovery = new LinkedHashMap<>();
        discovery.put("method", MarathonWatcherFactory.NAME);
        discovery.put("marathon_api_url", discoveryUrls);
        if (apiPath != null) {
            discovery.put("marathon_api_path", apiPath);
        }
        if (credentials != null) {
            discovery.put("credentials", credentials);
        }
        discovery.put("application_name", app.id());
        discovery.put("port_index", n);
        if (checkInterval != null) {
            discovery.put("check_interval", checkInterval);
        }
        Map<String, Object> haproxy = new LinkedHashMap<>();
        haproxy.put("port", servicePort);
        if (bind != null) {
            haproxy.put("bind_address", bind);
        }
        haproxy.put("listen", List.of("mode " + mode));
        if (!vhosts.isEmpty()) {
            String acl = "host_" + name;
            haproxy.put("shared_frontend", List.of(
                    "acl " + acl + " req.hdr(host),field(1,:) -m str -i " + String.join(" ", vhosts),
                    "use_backend " + name + " if " + acl));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("discovery", discovery);
        config.put("haproxy", haproxy);
        return new ServiceDefinition(name, config);
    }

    private static List<String> split(String value) {
        List<String> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        return out;
    }
}
