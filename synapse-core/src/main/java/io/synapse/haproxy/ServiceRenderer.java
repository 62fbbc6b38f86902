package io.synapse.haproxy;

import com.github.mustachejava.Mustache;
import io.synapse.spi.Backend;
import io.synapse.common.registry.RegistryValues;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Renders a service's frontend and backend sections, and each of its server lines. */
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

    /** Everything of the service's sections before its server lines: the frontend, and the backend's header and lines. */
    String head(String service, ServiceSettings s) {
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
        scope.put("servers", "");
        StringWriter out = new StringWriter(256);
        template.execute(out, scope);
        // the server lines come last: the section is this head followed by them
        return out.toString();
    }

    /** The whole section of a service, at once (tests; the generator renders through a {@link ServiceSection}). */
    String render(String service, ServiceSettings s, List<Server> servers, ServerIds ids) {
        ServiceSection section = new ServiceSection(this, service, s, BackendTraits.of(global.defaults(), s), ids);
        section.render(servers, Set.of());
        return new String(section.bytes(), StandardCharsets.UTF_8);
    }

    /** The server lines of a service, in the order they are printed (tests). */
    List<String> serverLines(String service, ServiceSettings s, List<Server> servers, ServerIds ids) {
        ServiceSection section = new ServiceSection(this, service, s, BackendTraits.of(global.defaults(), s), ids);
        section.render(servers, Set.of());
        List<String> lines = new ArrayList<>();
        section.forEachSpec(spec -> lines.add(spec.line()));
        return lines;
    }

    boolean useNerveWeights(ServiceSettings s) {
        return s.useNerveWeights() != null ? s.useNerveWeights() : global.useNerveWeights();
    }

    long shuffleSeed(String service) {
        return global.serverOrderSeed() * 31 + service.hashCode();
    }

    /**
     * The server line of backend {@code b} on {@code port} and what the runtime API needs of it.
     *
     * @param cookies whether the line carries {@code cookie} (not under {@code mode tcp}, nor when
     *     the backend makes dynamic cookies)
     */
    ServerSpec spec(ServiceSettings s, boolean cookies, Backend b, int port, Integer id, boolean weights, boolean backup,
            boolean disabled) {
        String name = serverName(b, port);
        String address = address(b.host(), port);
        StringBuilder line = new StringBuilder(128);
        line.append("server ").append(name).append(' ').append(address);
        int argsStart = line.length();
        StringBuilder live = new StringBuilder(64);
        String options = b.haproxyServerOptions();
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
        live.append(line, argsStart, line.length());
        if (cookies) {
            line.append(" cookie ").append(s.cookieHash() ? sha1(name) : name);
        }
        int optionsStart = line.length();
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
        live.append(line, optionsStart, line.length());
        boolean ip = RegistryValues.isIpAddress(b.host());
        if (!ip && line.indexOf(" init-addr ") < 0) {
            // a DNS name that does not resolve must not make HAProxy refuse the whole file
            line.append(" init-addr last,libc,none");
        }
        if (backup) {
            line.append(" backup");
            live.append(" backup");
        }
        if (disabled) {
            line.append(" disabled");
        }
        String text = weight ? squeeze(line) : line.toString();
        String args = words(live);
        return new ServerSpec(name, text, address, ip, id, args, cookies, disabled);
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

    /** The words of {@code text} separated by single spaces. */
    private static String words(CharSequence text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isWhitespace(c)) {
                out.append(c);
            } else if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') {
                out.append(' ');
            }
        }
        int end = out.length();
        return end > 0 && out.charAt(end - 1) == ' ' ? out.substring(0, end - 1) : out.toString();
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
    static Integer explicitId(Backend b) {
        if (b.haproxyServerOptions() != null) {
            Matcher m = ID_OPTION.matcher(b.haproxyServerOptions());
            if (m.find() && m.group(2).length() < 10) {
                return Integer.parseInt(m.group(2));
            }
        }
        return b.haproxyServerId();
    }

    static String sha1(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
