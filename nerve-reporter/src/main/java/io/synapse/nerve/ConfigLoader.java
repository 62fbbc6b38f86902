package io.synapse.nerve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigFiles;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.config.DidYouMean;
import io.synapse.common.config.EnvSubstitution;
import io.synapse.common.config.JsonFields;
import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.etcd.EtcdConnections;
import io.synapse.common.registry.RegistryValues;
import io.synapse.common.status.StatusSettings;
import io.synapse.common.tls.TlsFiles;
import io.synapse.common.zookeeper.ZooKeeperAuth;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.nerve.CheckConfig.Spec;
import io.synapse.nerve.ReporterTarget.NodeType;
import io.synapse.nerve.ServiceConfig.RateLimitConfig;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * Reads {@code nerve.conf.json} (or {@code .yaml} / {@code .yml}) plus {@code service_conf_dir}
 * with synapse's config kit: {@code ${VAR}} substituted in strings first, exactly as synapse does,
 * then every key read with {@link JsonFields} (so the same problem has the same message in both
 * tools), every problem collected with its JSON path. A problem inside one service only drops
 * that service; a problem at the top level makes the whole config unusable. Registry settings
 * are checked with the watchers' own code (ZooKeeper hosts and auth, etcd endpoints, TLS files).
 */
final class ConfigLoader {
    static final List<String> TOP_KEYS = List.of(
            "instance_id", "services", "service_conf_dir", "heartbeat_path", "max_repeated_report_failures",
            "statsd", "maintenance_file", "verify_interval", "status");
    static final List<String> SERVICE_KEYS = List.of(
            "host", "port", "reporter_type", "check_interval", "checks", "weight", "haproxy_server_options", "labels",
            "zk_hosts", "zk_path", "zk_auth", "node_type", "use_path_encoding",
            "etcd_host", "etcd_port", "etcd_path", "etcd_endpoints", "etcd_ca_file", "etcd_cert_file", "etcd_key_file",
            "etcd_user", "etcd_password",
            "rate_limiting", "maintenance_file", "max_repeated_report_failures");
    static final List<String> REPORTER_TYPES = List.of("zookeeper", "etcd");
    static final List<String> NODE_TYPES = List.of("ephemeral_sequential", "ephemeral", "persistent", "persistent_sequential");
    static final List<String> CHECK_TYPES = List.of("http", "tcp", "redis", "exec", "noop");
    static final List<String> CHECK_KEYS = List.of("type", "name", "timeout", "rise", "fall", "host", "port");
    static final List<String> HTTP_KEYS = List.of(
            "uri", "expect", "headers", "open_timeout", "read_timeout", "ssl", "ssl_timeout", "ssl_verify", "ssl_ca_file");
    static final List<String> EXEC_KEYS = List.of("command");
    static final int DEFAULT_ETCD_PORT = 4003;
    static final int DEFAULT_STATSD_PORT = 8125;
    static final Duration MIN_SECONDS = Duration.ofMillis(1);
    static final Duration MAX_SECONDS = Duration.ofDays(1);
    private static final EtcdConnections.Keys ETCD_KEYS = new EtcdConnections.Keys("etcd_endpoints",
            new TlsFiles.Keys("etcd_ca_file", "etcd_cert_file", "etcd_key_file"), "etcd_user", "etcd_password");

    private final Map<String, String> env;

    ConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(requireNonNull(env, "env is null"));
    }

    /**
     * The outcome of loading.
     *
     * @param config the usable config (without the bad services), or {@code null} when a top-level problem makes it unusable
     * @param problems every problem, each {@code path: message}
     * @param badServices the services that were dropped because of their problems
     */
    record Result(NerveConfig config, List<String> problems, Set<String> badServices) {
        Result {
            problems = List.copyOf(problems);
            badServices = Set.copyOf(badServices);
        }

        boolean fatal() {
            return config == null;
        }
    }

    /** Loads a file; {@code instanceIdOverride} (from {@code -i} or {@code NERVE_INSTANCE_ID}) replaces {@code instance_id}. */
    Result load(Path file, String instanceIdOverride) {
        requireNonNull(file, "file is null");
        ConfigProblems problems = new ConfigProblems();
        JsonNode root = ConfigFiles.read(file, problems);
        if (root == null) {
            return new Result(null, problems.messages(), Set.of());
        }
        return build(root, problems, instanceIdOverride);
    }

    /** Loads config text; {@code yaml} selects the format. */
    Result parse(String text, boolean yaml, String instanceIdOverride) {
        ConfigProblems problems = new ConfigProblems();
        JsonNode root = ConfigFiles.parse(text, yaml, null, problems);
        if (root == null) {
            return new Result(null, problems.messages(), Set.of());
        }
        return build(root, problems, instanceIdOverride);
    }

    private Result build(JsonNode root, ConfigProblems problems, String instanceIdOverride) {
        if (!root.isObject()) {
            problems.add("", "the configuration must be a JSON object, got " + JsonFields.describe(root));
            return new Result(null, problems.messages(), Set.of());
        }
        // the services are substituted one by one, so that a problem there only drops its service
        ObjectNode top = ((ObjectNode) root).deepCopy();
        JsonNode servicesNode = top.remove("services");
        if (instanceIdOverride != null) {
            top.remove("instance_id"); // replaced, so not read (nor substituted)
        }
        EnvSubstitution.apply(top, env::get, problems);
        JsonFields f = JsonFields.of(top, problems);
        f.rejectUnknown(TOP_KEYS);

        String instanceId;
        if (instanceIdOverride != null) {
            instanceId = instanceIdOverride;
            String problem = checkInstanceId(instanceId);
            if (problem != null) {
                problems.add("--instance-id", problem);
            }
        } else {
            instanceId = f.requiredString("instance_id");
            String problem = instanceId == null ? null : checkInstanceId(instanceId);
            if (problem != null) {
                problems.add("instance_id", problem);
            }
        }
        Path heartbeat = f.path("heartbeat_path");
        Path maintenance = f.path("maintenance_file");
        Duration verify = f.duration("verify_interval", MIN_SECONDS, MAX_SECONDS, NerveConfig.DEFAULT_VERIFY_INTERVAL);
        int defaultMaxFailures = f.integer("max_repeated_report_failures", 1, Integer.MAX_VALUE,
                (long) ServiceConfig.DEFAULT_MAX_REPEATED_REPORT_FAILURES).intValue();
        NerveConfig.StatsdConfig statsd = null;
        if (f.hasValue("statsd")) {
            JsonFields s = f.object("statsd");
            s.rejectUnknown(List.of("host", "port"));
            statsd = new NerveConfig.StatsdConfig(s.host("host", "localhost"),
                    s.integer("port", 1, 65535, (long) DEFAULT_STATSD_PORT).intValue());
        }
        StatusSettings status = f.hasValue("status") ? StatusSettings.parse(f.object("status")) : null;
        boolean hasServices = servicesNode != null && !servicesNode.isNull();
        if (!hasServices && !f.hasValue("service_conf_dir")) {
            problems.add("services", "is required (or service_conf_dir)");
        } else if (hasServices && !servicesNode.isObject()) {
            problems.add("services", "expected an object of service name to service, got " + JsonFields.describe(servicesNode));
        }
        Path confDir = f.path("service_conf_dir");
        if (confDir != null && !Files.isDirectory(confDir)) {
            problems.add("service_conf_dir", "not a directory: " + confDir);
            confDir = null;
        }
        boolean fatal = !problems.isEmpty();
        String id = instanceId == null ? "unknown" : instanceId;

        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        Set<String> bad = new LinkedHashSet<>();
        if (hasServices && servicesNode.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = servicesNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                addService(e.getKey(), e.getValue(), problems.at("services").at(e.getKey()), id, defaultMaxFailures, services, bad);
            }
        }
        if (confDir != null) {
            List<Path> files;
            try (Stream<Path> list = Files.list(confDir)) {
                files = list.filter(p -> {
                            String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                            return Files.isRegularFile(p) && (n.endsWith(".json") || n.endsWith(".yaml") || n.endsWith(".yml"));
                        })
                        .sorted()
                        .toList();
            } catch (IOException e) {
                problems.add("service_conf_dir", "cannot list " + confDir + ": " + e.getMessage());
                files = List.of();
                fatal = true;
            }
            for (Path file : files) {
                String fileName = file.getFileName().toString();
                String name = fileName.substring(0, fileName.lastIndexOf('.'));
                ConfigProblems fp = problems.at("service_conf_dir").at("[" + fileName + "]");
                if (services.containsKey(name) || bad.contains(name)) {
                    fp.add("", "service \"" + name + "\" is already defined in services; this file is ignored");
                    continue;
                }
                JsonNode node = ConfigFiles.read(file, fp);
                if (node == null) {
                    bad.add(name);
                    continue;
                }
                addService(name, node, fp, id, defaultMaxFailures, services, bad);
            }
        }
        if (fatal) {
            return new Result(null, problems.messages(), bad);
        }
        return new Result(new NerveConfig(instanceId, services, heartbeat, maintenance, verify, statsd, status),
                problems.messages(), bad);
    }

    static String checkInstanceId(String id) {
        if (id.isEmpty()) {
            return "must not be empty";
        }
        if (RegistryValues.checkName(id) != null) {
            return "expected letters, digits and . _ - : only (at most " + RegistryValues.MAX_NAME_LENGTH
                    + " characters), got " + RegistryValues.quote(id);
        }
        return null;
    }

    private void addService(String name, JsonNode node, ConfigProblems sp, String instanceId, int defaultMaxFailures,
                            Map<String, ServiceConfig> services, Set<String> bad) {
        int before = sp.size();
        ServiceConfig service = service(name, node, sp, instanceId, defaultMaxFailures);
        if (service == null || sp.size() > before) {
            bad.add(name);
        } else {
            services.put(name, service);
        }
    }

    private ServiceConfig service(String name, JsonNode node, ConfigProblems sp, String instanceId, int defaultMaxFailures) {
        int before = sp.size();
        if (name.isEmpty() || name.indexOf('/') >= 0 || RegistryValues.hasControl(name) || name.length() > 200) {
            sp.add("", "a service name must be 1-200 characters without / or control characters");
        }
        if (!node.isObject()) {
            sp.add("", "expected an object, got " + JsonFields.describe(node));
            return null;
        }
        ObjectNode copy = ((ObjectNode) node).deepCopy();
        EnvSubstitution.apply(copy, env::get, sp);
        JsonFields f = JsonFields.of(copy, sp);
        f.rejectUnknown(SERVICE_KEYS);
        String host = f.host("host", null);
        if (!f.hasValue("host")) {
            sp.add("host", "is required");
        }
        Long port = f.integer("port", 1, 65535, null);
        if (!f.hasValue("port")) {
            sp.add("port", "is required");
        }
        int mark = sp.size();
        String reporterType = f.choice("reporter_type", REPORTER_TYPES, "zookeeper");
        boolean reporterTypeOk = sp.size() == mark;
        Duration interval = f.duration("check_interval", MIN_SECONDS, MAX_SECONDS, ServiceConfig.DEFAULT_CHECK_INTERVAL);
        Long weight = f.integer("weight", 0, 256, null);
        String options = f.string("haproxy_server_options", null);
        if (options != null) {
            String problem = RegistryValues.checkServerOptions(options);
            if (problem != null) {
                sp.add("haproxy_server_options", problem.substring(problem.indexOf(": ") + 2) + ", got " + RegistryValues.quote(options));
            }
        }
        Map<String, String> labels = f.stringMap("labels");
        if (labels != null) {
            for (Map.Entry<String, String> l : labels.entrySet()) {
                if (RegistryValues.checkLabel(l.getKey(), l.getValue()) != null) {
                    sp.at("labels").add(l.getKey(), "expected at most " + RegistryValues.MAX_LABEL_LENGTH
                            + " characters without control characters");
                }
            }
        }
        Path maintenance = f.path("maintenance_file");
        int maxFailures = f.integer("max_repeated_report_failures", 1, Integer.MAX_VALUE, (long) defaultMaxFailures).intValue();
        RateLimitConfig rateLimit = f.hasValue("rate_limiting") ? rateLimit(f.object("rate_limiting")) : null;

        ReporterTarget reporter = null;
        if (reporterTypeOk) {
            reporter = reporterType.equals("etcd") ? etcd(f, sp) : zookeeper(f, sp);
        }

        List<CheckConfig> checks = new ArrayList<>();
        JsonNode checksNode = f.get("checks");
        if (checksNode != null && !checksNode.isNull()) {
            if (!checksNode.isArray()) {
                sp.add("checks", "expected a list of checks, got " + JsonFields.describe(checksNode));
            } else {
                for (int i = 0; i < checksNode.size(); i++) {
                    CheckConfig check = check(checksNode.get(i), sp.at("checks").at("[" + i + "]"),
                            host == null ? "127.0.0.1" : host, port == null ? 1 : port.intValue());
                    if (check != null) {
                        checks.add(check);
                    }
                }
            }
        }
        if (sp.size() > before || host == null || port == null || reporter == null) {
            return null;
        }
        ServiceConfig config = new ServiceConfig(name, host, port.intValue(), reporter, interval, checks,
                weight == null ? null : weight.intValue(), options, labels, maintenance, rateLimit, maxFailures);
        try {
            config.registration(instanceId).validate();
        } catch (IllegalArgumentException e) {
            sp.add("", "the registration would be rejected by synapse: " + e.getMessage());
            return null;
        }
        return config;
    }

    private static RateLimitConfig rateLimit(JsonFields r) {
        r.rejectUnknown(List.of("average_rate", "max_burst", "shadow_mode"));
        Double rate = r.positiveNumber("average_rate", null);
        if (!r.hasValue("average_rate")) {
            r.problems().add("average_rate", "is required (status-change reports per second)");
        }
        double burst = r.positiveNumber("max_burst", 1.0);
        boolean shadow = r.bool("shadow_mode", false);
        return rate == null ? null : new RateLimitConfig(rate, burst, shadow);
    }

    private static ReporterTarget zookeeper(JsonFields f, ConfigProblems sp) {
        int before = sp.size();
        List<String> hosts = f.strings("zk_hosts", true);
        if (!f.hasValue("zk_hosts")) {
            sp.add("zk_hosts", "is required for reporter_type zookeeper");
        } else if (hosts != null && sp.size() == before) {
            ZooKeeperEnsemble.checkHosts("zk_hosts", hosts, sp);
        }
        ZooKeeperAuth auth = null;
        if (f.hasValue("zk_auth")) {
            JsonFields a = f.object("zk_auth");
            a.rejectUnknown(List.of("scheme", "credentials"));
            auth = ZooKeeperAuth.fromConfig(a.string("scheme", null), a.string("credentials", null), a.problems());
        }
        String path = f.string("zk_path", null);
        if (!f.hasValue("zk_path")) {
            sp.add("zk_path", "is required for reporter_type zookeeper");
        } else if (path != null) {
            String problem = checkRegistryPath(path);
            if (problem != null) {
                sp.add("zk_path", problem);
            }
        }
        String nodeType = f.choice("node_type", NODE_TYPES, "ephemeral_sequential");
        boolean encoding = f.bool("use_path_encoding", false);
        if (sp.size() > before || hosts == null || path == null) {
            return null;
        }
        return new ReporterTarget.ZooKeeper(ZooKeeperEnsemble.of(hosts, auth), stripTrailingSlash(path),
                NodeType.valueOf(nodeType.toUpperCase(Locale.ROOT)), encoding);
    }

    private static ReporterTarget etcd(JsonFields f, ConfigProblems sp) {
        int before = sp.size();
        String ca = f.string("etcd_ca_file", null);
        String cert = f.string("etcd_cert_file", null);
        String key = f.string("etcd_key_file", null);
        boolean tls = ca != null || cert != null || key != null;
        List<String> endpoints = null;
        if (f.hasValue("etcd_endpoints")) {
            if (f.hasValue("etcd_host") || f.hasValue("etcd_port")) {
                sp.add("etcd_endpoints", "use either etcd_endpoints or etcd_host/etcd_port, not both");
            }
            endpoints = f.strings("etcd_endpoints", true);
        } else {
            String host = f.host("etcd_host", null);
            if (!f.hasValue("etcd_host")) {
                sp.add("etcd_host", "is required for reporter_type etcd (or use etcd_endpoints)");
            }
            long port = f.integer("etcd_port", 1, 65535, (long) DEFAULT_ETCD_PORT);
            if (host != null) {
                // TLS files make the Ruby tool's host and port an https endpoint
                String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
                endpoints = List.of((tls ? "https" : "http") + "://" + h + ":" + port);
            }
        }
        String path = f.string("etcd_path", "/");
        String problem = checkRegistryPath(path);
        if (problem != null) {
            sp.add("etcd_path", problem);
        }
        String user = f.string("etcd_user", null);
        String password = f.string("etcd_password", null);
        if (sp.size() > before || endpoints == null) {
            return null;
        }
        EtcdConnection connection = EtcdConnections.fromConfig(ETCD_KEYS, endpoints, ca, cert, key, user, password, sp);
        return connection == null ? null : new ReporterTarget.Etcd(connection, stripTrailingSlash(path));
    }

    /** A ZooKeeper / etcd path: starts with /, no empty, "." or ".." segments, no control characters. */
    static String checkRegistryPath(String path) {
        if (!path.startsWith("/")) {
            return "expected an absolute path starting with /, got " + RegistryValues.quote(path);
        }
        String p = stripTrailingSlash(path);
        if (!p.isEmpty()) {
            for (String segment : p.substring(1).split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    return "empty, \".\" or \"..\" segments are not allowed, got " + RegistryValues.quote(path);
                }
            }
        }
        if (RegistryValues.hasControl(path)) {
            return "control characters are not allowed, got " + RegistryValues.quote(path);
        }
        return null;
    }

    /** "/a/b/" to "/a/b"; "/" to "" (the root, as a prefix). */
    static String stripTrailingSlash(String path) {
        String p = path;
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    private static CheckConfig check(JsonNode node, ConfigProblems cp, String serviceHost, int servicePort) {
        if (node == null || !node.isObject()) {
            cp.add("", "expected an object with a \"type\", got " + JsonFields.describe(node));
            return null;
        }
        int before = cp.size();
        JsonFields c = JsonFields.of(node, cp);
        String type = null;
        if (!c.hasValue("type")) {
            cp.add("type", "is required (one of: " + String.join(", ", CHECK_TYPES) + ")");
        } else {
            type = c.string("type", null);
            if (type != null && type.equals("rabbitmq")) {
                cp.add("type", "rabbitmq checks are not supported (supported: " + String.join(", ", CHECK_TYPES) + ")");
                type = null;
            } else if (type != null && !CHECK_TYPES.contains(type)) {
                cp.add("type", "unknown check type " + RegistryValues.quote(type) + DidYouMean.suggest(type, CHECK_TYPES)
                        + " (supported: " + String.join(", ", CHECK_TYPES) + ")");
                type = null;
            }
        }
        if (type == null) {
            return null;
        }
        List<String> allowed = new ArrayList<>(CHECK_KEYS);
        if (type.equals("http")) {
            allowed.addAll(HTTP_KEYS);
        } else if (type.equals("exec")) {
            allowed.addAll(EXEC_KEYS);
        }
        c.rejectUnknown(allowed, "check type \"" + type + "\"");
        String host = c.host("host", serviceHost);
        int port = c.integer("port", 1, 65535, (long) servicePort).intValue();
        Duration timeout = c.duration("timeout", MIN_SECONDS, MAX_SECONDS,
                type.equals("exec") ? CheckConfig.DEFAULT_EXEC_TIMEOUT : CheckConfig.DEFAULT_TIMEOUT);
        int rise = c.integer("rise", 1, Integer.MAX_VALUE, 1L).intValue();
        int fall = c.integer("fall", 1, Integer.MAX_VALUE, 1L).intValue();
        String name = c.string("name", null);
        Spec spec = switch (type) {
            case "http" -> http(c, timeout);
            case "tcp" -> new CheckConfig.Tcp();
            case "redis" -> new CheckConfig.Redis();
            case "exec" -> exec(c);
            default -> new CheckConfig.Noop();
        };
        if (cp.size() > before || spec == null) {
            return null;
        }
        return new CheckConfig(name == null ? defaultName(spec, host, port) : name, host, port, timeout, rise, fall, spec);
    }

    private static String defaultName(Spec spec, String host, int port) {
        String address = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        if (spec instanceof CheckConfig.Http http) {
            return (http.ssl() ? "https " : "http ") + address + http.uri();
        }
        if (spec instanceof CheckConfig.Exec exec) {
            String command = String.join(" ", exec.command());
            return "exec " + (command.length() > 60 ? command.substring(0, 60) + "..." : command);
        }
        if (spec instanceof CheckConfig.Noop) {
            return "noop";
        }
        return spec.type() + " " + address;
    }

    private static Spec http(JsonFields c, Duration timeout) {
        ConfigProblems cp = c.problems();
        String uri = c.string("uri", null);
        if (!c.hasValue("uri")) {
            cp.add("uri", "is required");
        } else if (uri != null && (!uri.startsWith("/") || RegistryValues.hasControl(uri) || uri.indexOf(' ') >= 0)) {
            cp.add("uri", "expected a path starting with / (no spaces or control characters), got " + RegistryValues.quote(uri));
        }
        String expect = c.string("expect", null);
        Map<String, String> headers = c.stringMap("headers");
        if (headers != null) {
            for (Map.Entry<String, String> h : headers.entrySet()) {
                if (!h.getKey().matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                    cp.at("headers").add(h.getKey(), "not a valid HTTP header name");
                } else if (h.getValue().indexOf('\r') >= 0 || h.getValue().indexOf('\n') >= 0) {
                    cp.at("headers").add(h.getKey(), "a header value must not contain line breaks");
                }
            }
        }
        Duration open = c.duration("open_timeout", MIN_SECONDS, MAX_SECONDS, CheckConfig.DEFAULT_OPEN_TIMEOUT);
        Duration read = c.duration("read_timeout", MIN_SECONDS, MAX_SECONDS, timeout);
        boolean ssl = c.bool("ssl", false);
        Duration sslTimeout = c.duration("ssl_timeout", MIN_SECONDS, MAX_SECONDS, CheckConfig.DEFAULT_OPEN_TIMEOUT);
        boolean verify = c.bool("ssl_verify", true);
        Path ca = c.path("ssl_ca_file");
        if (ca != null) {
            try {
                TlsFiles.certificates(TlsFiles.Role.CA_FILE, ca.toString());
            } catch (TlsFiles.TlsException e) {
                cp.add("ssl_ca_file", e.getMessage());
            }
        }
        return uri == null ? null : new CheckConfig.Http(uri, expect, headers, open, read, ssl, sslTimeout, verify, ca);
    }

    private static Spec exec(JsonFields c) {
        ConfigProblems cp = c.problems();
        JsonNode command = c.get("command");
        if (!c.hasValue("command")) {
            cp.add("command", "is required (a shell command string, or a list: program and arguments)");
            return null;
        }
        if (command.isTextual()) {
            String text = c.string("command", null);
            if (text == null) {
                return null;
            }
            if (text.isBlank()) {
                cp.add("command", "must not be empty");
                return null;
            }
            return new CheckConfig.Exec(List.of("/bin/sh", "-c", text));
        }
        List<String> argv = c.strings("command", false);
        if (argv == null) {
            return null;
        }
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            cp.add("command", "must not be empty");
            return null;
        }
        return new CheckConfig.Exec(argv);
    }

    /**
     * What {@code nerve -k} checks beyond the config itself, without a registry: that the
     * heartbeat file's directory exists or can be created (nerve creates it) and that every exec check's program (given as a list) is an
     * executable file. TLS files are read and checked when the config is loaded.
     */
    List<String> checkEnvironment(NerveConfig config) {
        ConfigProblems problems = new ConfigProblems();
        Path heartbeat = config.heartbeatPath();
        if (heartbeat != null) {
            Path dir = heartbeat.toAbsolutePath().getParent();
            Path existing = dir;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (dir != null && existing != null && (!Files.isDirectory(existing) || !Files.isWritable(existing))) {
                problems.add("heartbeat_path", "the directory " + dir + " cannot be created: " + existing
                        + (Files.isDirectory(existing) ? " is not writable" : " is not a directory"));
            }
        }
        for (ServiceConfig service : config.services().values()) {
            for (int i = 0; i < service.checks().size(); i++) {
                if (service.checks().get(i).spec() instanceof CheckConfig.Exec exec) {
                    String program = exec.command().get(0);
                    if (findProgram(program) == null) {
                        problems.at("services").at(service.name()).at("checks").at("[" + i + "]")
                                .add("command", "program " + RegistryValues.quote(program)
                                        + (program.indexOf('/') >= 0 ? " is not an executable file" : " not found in PATH"));
                    }
                }
            }
        }
        return problems.messages();
    }

    private Path findProgram(String program) {
        if (program.indexOf('/') >= 0) {
            Path p = Path.of(program);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? p : null;
        }
        String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, program);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }
}
