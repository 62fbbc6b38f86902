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
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
        List<Server> ordered = order(service, s, servers);
        // names and explicit ids, including the backup twins
        List<String> names = new ArrayList<>(ordered.size() * (s.serverBackupPort() == null ? 1 : 2));
        Map<String, Integer> explicit = new LinkedHashMap<>();
        for (Server server : ordered) {
            Backend b = server.backend();
            String name = serverName(b, b.port());
            names.add(name);
            Integer id = explicitId(b);
            if (id != null && id <= global.maxServerId()) {
                explicit.put(name, id);
            }
            if (s.serverBackupPort() != null) {
                names.add(serverName(b, s.serverBackupPort()));
            }
        }
        Map<String, Integer> assigned = ids.assign(names, explicit);
        List<String> lines = new ArrayList<>(names.size());
        for (Server server : ordered) {
            Backend b = server.backend();
            lines.add(line(s, b, b.port(), assigned, false, server.disabled()));
            if (s.serverBackupPort() != null) {
                lines.add(line(s, b, s.serverBackupPort(), assigned, true, server.disabled()));
            }
        }
        return lines;
    }

    private String line(ServiceSettings s, Backend b, int port, Map<String, Integer> ids, boolean backup, boolean disabled) {
        String name = serverName(b, port);
        StringBuilder line = new StringBuilder(128);
        line.append("server ").append(name).append(' ').append(address(b.host(), port));
        String options = b.haproxyServerOptions();
        boolean optionsHaveId = options != null && ID_OPTION.matcher(options).find();
        Integer id = ids.get(name);
        if (!optionsHaveId && id != null) {
            line.append(" id ").append(id);
        }
        if (!s.tcpMode()) {
            line.append(" cookie ").append(s.cookieHash() ? sha1(name) : name);
        }
        boolean weight = global.useNerveWeights() && b.weight() != null;
        if (s.serverOptions() != null && !s.serverOptions().isBlank()) {
            String so = s.serverOptions()
                    .replace("%{host}", b.host())
                    .replace("%{port}", Integer.toString(port))
                    .replace("%{name}", b.name() != null ? b.name() : b.host());
            line.append(' ').append(weight ? stripWeight(so) : so);
        }
        if (options != null) {
            String o = optionsHaveId && backup ? ID_OPTION.matcher(options).replaceAll("$1").trim() : options;
            if (weight) {
                o = stripWeight(o);
            }
            if (!o.isBlank()) {
                line.append(' ').append(o.trim());
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
        return line.toString();
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

    private static Integer explicitId(Backend b) {
        if (b.haproxyServerId() != null) {
            return b.haproxyServerId();
        }
        if (b.haproxyServerOptions() != null) {
            Matcher m = ID_OPTION.matcher(b.haproxyServerOptions());
            if (m.find() && m.group(2).length() < 10) {
                return Integer.parseInt(m.group(2));
            }
        }
        return null;
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
