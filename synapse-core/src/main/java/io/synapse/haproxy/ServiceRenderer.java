package io.synapse.haproxy;

import com.github.mustachejava.Mustache;
import io.synapse.spi.Backend;
import io.synapse.common.registry.RegistryValues;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Renders one service's frontend and backend sections. */
final class ServiceRenderer {
    private static final Pattern ID_OPTION = Pattern.compile("(^|\\s)id\\s+([0-9]+)(?=\\s|$)");
    private static final Pattern WEIGHT_OPTION = Pattern.compile("(^|\\s)weight\\s+[0-9]+(?=\\s|$)");

    private final Mustache template;
    private final GlobalSettings global;

    ServiceRenderer(Mustache template, GlobalSettings global) {
        this.template = template;
        this.global = global;
    }

    /** One server to render: its backend and whether it is only known from the state file. */
    record Server(Backend backend, boolean disabled) {}

    String render(String service, ServiceSettings s, List<Server> servers, ServerIds ids) {
        Map<String, Object> scope = new HashMap<>();
        if (s.hasFrontend()) {
            Map<String, Object> fe = new HashMap<>();
            fe.put("name", service);
            fe.put("lines", s.frontend());
            String address = s.bindAddress() != null ? s.bindAddress() : global.bindAddress();
            String bind = s.port() == null ? address : address + ":" + s.port();
            if (s.bindOptions() != null && !s.bindOptions().isBlank()) {
                bind = bind + " " + s.bindOptions();
            }
            fe.put("bind", bind);
            fe.put("backendName", s.backendName());
            scope.put("frontend", fe);
        }
        scope.put("backendName", s.backendName());
        scope.put("lines", s.backend());
        List<String> lines = serverLines(service, s, servers, ids);
        StringBuilder joined = new StringBuilder(lines.size() * 120);
        for (String line : lines) {
            joined.append('\t').append(line).append('\n');
        }
        scope.put("servers", joined);
        StringWriter out = new StringWriter(256 + servers.size() * 120);
        template.execute(out, scope);
        return out.toString();
    }

    List<String> serverLines(String service, ServiceSettings s, List<Server> servers, ServerIds ids) {
        // ids are given in discovery order, before backend_order sorts or shuffles the servers for printing
        Integer backupPort = s.serverBackupPort();
        List<String> primaries = new ArrayList<>(servers.size());
        Map<String, Integer> explicit = new LinkedHashMap<>();
        for (Server server : servers) {
            Backend b = server.backend();
            String name = serverName(b, b.port());
            primaries.add(name);
            Integer id = explicitId(b);
            if (id != null) {
                explicit.put(name, id);
            }
        }
        List<String> names = primaries;
        // each server's backup twin follows it, once per host (and name): two ports of one host, or
        // a server already on the backup port, would otherwise give two servers of the same name
        Set<String> twins = new HashSet<>();
        if (backupPort != null) {
            Set<String> primaryNames = new HashSet<>(primaries);
            names = new ArrayList<>(primaries.size() * 2);
            for (int i = 0; i < servers.size(); i++) {
                names.add(primaries.get(i));
                String twin = serverName(servers.get(i).backend(), backupPort);
                if (!primaryNames.contains(twin) && twins.add(twin)) {
                    names.add(twin);
                }
            }
        }
        Map<String, Integer> assigned = ids.assign(names, explicit);
        boolean weights = s.useNerveWeights() != null ? s.useNerveWeights() : global.useNerveWeights();
        List<String> lines = new ArrayList<>(names.size());
        for (Server server : order(service, s, servers)) {
            Backend b = server.backend();
            lines.add(line(s, b, b.port(), assigned, weights, false, server.disabled()));
            if (backupPort != null && twins.remove(serverName(b, backupPort))) {
                lines.add(line(s, b, backupPort, assigned, weights, true, server.disabled()));
            }
        }
        return lines;
    }

    private String line(ServiceSettings s, Backend b, int port, Map<String, Integer> ids, boolean weights, boolean backup,
            boolean disabled) {
        String name = serverName(b, port);
        StringBuilder line = new StringBuilder(128);
        line.append("server ").append(name).append(' ').append(address(b.host(), port));
        String options = b.haproxyServerOptions();
        Integer id = ids.get(name);
        Matcher idOption = options == null ? null : ID_OPTION.matcher(options);
        if (idOption != null && idOption.find()) {
            // the registration's options carry the id: print them as they are, unless this server
            // was given another id (a duplicate, or the backup twin), whose id is printed instead
            if (!idOption.group(2).equals(String.valueOf(id))) {
                options = ID_OPTION.matcher(options).replaceAll("").trim();
                if (id != null) {
                    line.append(" id ").append(id);
                }
            }
        } else if (id != null) {
            line.append(" id ").append(id);
        }
        if (!s.tcpMode()) {
            line.append(" cookie ").append(s.cookieHash() ? sha1(name) : name);
        }
        boolean weight = weights && b.weight() != null;
        if (s.serverOptions() != null && !s.serverOptions().isBlank()) {
            String so = weight ? stripWeight(s.serverOptions()) : s.serverOptions();
            line.append(' ').append(substitute(so, b.host(), port, name));
        }
        if (options != null) {
            String o = weight ? stripWeight(options) : options;
            if (!o.isBlank()) {
                line.append(' ').append(substitute(o.trim(), b.host(), port, name));
            }
        }
        if (weight) {
            line.append(" weight ").append(b.weight());
        }
        if (!RegistryValues.isIpAddress(b.host()) && line.indexOf(" init-addr ") < 0) {
            // a DNS name that does not resolve must not make HAProxy refuse the whole file
            line.append(" init-addr last,libc,none");
        }
        if (backup) {
            line.append(" backup");
        }
        if (disabled) {
            line.append(" disabled");
        }
        return weight ? squeeze(line) : line.toString();
    }

    /**
     * Ruby's {@code String#%} with {@code host}, {@code port} and {@code name}: {@code %{host}},
     * {@code %{port}}, {@code %{name}} (the full server name) are replaced and {@code %%} is a
     * literal {@code %}; any other {@code %} is kept as it is (Ruby would fail).
     */
    static String substitute(String template, String host, int port, String name) {
        if (template.indexOf('%') < 0) {
            return template;
        }
        StringBuilder out = new StringBuilder(template.length() + 32);
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c != '%') {
                out.append(c);
            } else if (template.startsWith("%", i + 1)) {
                out.append('%');
                i++;
            } else if (template.startsWith("{host}", i + 1)) {
                out.append(host);
                i += 6;
            } else if (template.startsWith("{port}", i + 1)) {
                out.append(port);
                i += 6;
            } else if (template.startsWith("{name}", i + 1)) {
                out.append(name);
                i += 6;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Runs of spaces as one, as Ruby's {@code squeeze(" ")} on a line with a nerve weight. */
    private static String squeeze(CharSequence line) {
        StringBuilder out = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != ' ' || out.length() == 0 || out.charAt(out.length() - 1) != ' ') {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String stripWeight(String options) {
        return WEIGHT_OPTION.matcher(options).replaceAll("").trim();
    }

    static String serverName(Backend b, int port) {
        String address = b.host() + ":" + port;
        return b.name() == null ? address : b.name() + "_" + address;
    }

    static String address(String host, int port) {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** The id a registration asks for: {@code id N} in its options, else its {@code haproxy_server_id} (as Ruby). */
    private static Integer explicitId(Backend b) {
        if (b.haproxyServerOptions() != null) {
            Matcher m = ID_OPTION.matcher(b.haproxyServerOptions());
            if (m.find() && m.group(2).length() < 10) {
                return Integer.parseInt(m.group(2));
            }
        }
        return b.haproxyServerId();
    }

    private List<Server> order(String service, ServiceSettings s, List<Server> servers) {
        String order = s.backendOrder();
        if ("no_shuffle".equals(order)) {
            return servers;
        }
        // sort once by server name (computed once per server), then shuffle deterministically if asked
        List<Map.Entry<String, Server>> named = new ArrayList<>(servers.size());
        for (Server x : servers) {
            named.add(Map.entry(serverName(x.backend(), x.backend().port()), x));
        }
        Comparator<Map.Entry<String, Server>> byName = Map.Entry.comparingByKey();
        named.sort("desc".equals(order) ? byName.reversed() : byName);
        if (!"asc".equals(order) && !"desc".equals(order)) {
            java.util.Collections.shuffle(named, new Random(global.serverOrderSeed() * 31 + service.hashCode()));
        }
        List<Server> out = new ArrayList<>(named.size());
        named.forEach(e -> out.add(e.getValue()));
        return out;
    }

    static String sha1(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
