package io.synapse.nerve;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.synapse.nerve.CheckConfig.Spec;
import io.synapse.nerve.ReporterTarget.NodeType;
import io.synapse.nerve.ServiceConfig.RateLimitConfig;
import io.synapse.common.config.ConfigProblems;
import com.fasterxml.jackson.databind.node.TextNode;
import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.json.JsonIntegers;
import io.synapse.common.etcd.EtcdConnections;
import io.synapse.common.tls.TlsFiles;
import io.synapse.common.zookeeper.ZooKeeperAuth;
import io.synapse.common.zookeeper.ZooKeeperEnsemble;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.common.registry.RegistryValues;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
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
 * Reads {@code nerve.conf.json} (or {@code .yaml} / {@code .yml}) plus {@code service_conf_dir},
 * substitutes {@code ${VAR}} / {@code ${VAR:-default}} in string values, and validates every key,
 * collecting all problems with their JSON paths. A problem inside one service only drops that
 * service; a problem at the top level makes the whole config unusable.
 */
final class ConfigLoader {
    static final List<String> TOP_KEYS = List.of(
            "instance_id", "services", "service_conf_dir", "heartbeat_path", "max_repeated_report_failures",
            "statsd", "maintenance_file", "verify_interval");
    static final List<String> SERVICE_KEYS = List.of(
            "host", "port", "reporter_type", "check_interval", "checks", "weight", "haproxy_server_options", "labels",
            "zk_hosts", "zk_path", "zk_auth", "node_type", "use_path_encoding",
            "etcd_host", "etcd_port", "etcd_path", "etcd_endpoints", "etcd_ca_file", "etcd_cert_file", "etcd_key_file",
            "etcd_user", "etcd_password",
            "rate_limiting", "maintenance_file", "max_repeated_report_failures");
    static final List<String> CHECK_TYPES = List.of("http", "tcp", "redis", "exec", "noop");
    static final List<String> CHECK_KEYS = List.of("type", "name", "timeout", "rise", "fall", "host", "port");
    static final List<String> HTTP_KEYS = List.of(
            "uri", "expect", "headers", "open_timeout", "read_timeout", "ssl", "ssl_timeout", "ssl_verify", "ssl_ca_file");
    static final List<String> EXEC_KEYS = List.of("command");
    static final int DEFAULT_ETCD_PORT = 4003;
    static final int DEFAULT_STATSD_PORT = 8125;
    private static final double MAX_SECONDS = 86_400;

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

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
        JsonNode root = read(file, problems, "");
        if (root == null) {
            return new Result(null, problems.messages(), Set.of());
        }
        return build(root, problems, instanceIdOverride);
    }

    /** Loads config text; {@code yaml} selects the format. */
    Result parse(String text, boolean yaml, String instanceIdOverride) {
        ConfigProblems problems = new ConfigProblems();
        JsonNode root;
        try {
            root = (yaml ? YAML : JSON).readTree(text);
        } catch (JsonProcessingException e) {
            problems.add("", syntaxError(yaml ? "YAML" : "JSON", e));
            return new Result(null, problems.messages(), Set.of());
        }
        return build(root, problems, instanceIdOverride);
    }

    static boolean isYaml(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static JsonNode read(Path file, ConfigProblems problems, String path) {
        boolean yaml = isYaml(file);
        try {
            String text = Files.readString(file);
            JsonNode node = (yaml ? YAML : JSON).readTree(text);
            if (node == null || node.isMissingNode()) {
                problems.add(path, file + ": the file is empty");
                return null;
            }
            return node;
        } catch (JsonProcessingException e) {
            problems.add(path, file + ": " + syntaxError(yaml ? "YAML" : "JSON", e));
        } catch (IOException e) {
            problems.add(path, "cannot read " + file + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null || e.getMessage().equals(file.toString()) ? "" : " " + e.getMessage()));
        }
        return null;
    }

    private static String syntaxError(String format, JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        String message = e.getOriginalMessage();
        int nl = message.indexOf('\n');
        return "invalid " + format + where + ": " + (nl < 0 ? message : message.substring(0, nl));
    }

    private Result build(JsonNode root, ConfigProblems problems, String instanceIdOverride) {
        if (root == null || !root.isObject()) {
            problems.add("", "expected a JSON object at the top level, got " + got(root));
            return new Result(null, problems.messages(), Set.of());
        }
        Fields top = new Fields(root, problems, TOP_KEYS);
        String instanceId;
        if (instanceIdOverride != null) {
            instanceId = instanceIdOverride;
            String problem = checkInstanceId(instanceId);
            if (problem != null) {
                problems.add("--instance-id", problem);
            }
        } else {
            instanceId = top.string("instance_id", true);
            String problem = instanceId == null ? null : checkInstanceId(instanceId);
            if (problem != null) {
                problems.add("instance_id", problem);
            }
        }
        Path heartbeat = top.path("heartbeat_path", false);
        Path maintenance = top.path("maintenance_file", false);
        Duration verify = top.seconds("verify_interval", NerveConfig.DEFAULT_VERIFY_INTERVAL);
        Integer maxFailures = top.integer("max_repeated_report_failures", 1, 1_000_000,
                ServiceConfig.DEFAULT_MAX_REPEATED_REPORT_FAILURES);
        NerveConfig.StatsdConfig statsd = null;
        if (top.has("statsd")) {
            JsonNode s = root.get("statsd");
            ConfigProblems sp = problems.at("statsd");
            if (!s.isObject()) {
                sp.add("", "expected an object with host and port, got " + got(s));
            } else {
                Fields sf = new Fields(s, sp, List.of("host", "port"));
                String host = sf.host("host", "localhost");
                Integer port = sf.integer("port", 1, 65535, DEFAULT_STATSD_PORT);
                if (host != null && port != null) {
                    statsd = new NerveConfig.StatsdConfig(host, port);
                }
            }
        }
        JsonNode servicesNode = root.get("services");
        boolean hasConfDir = top.has("service_conf_dir");
        if ((servicesNode == null || servicesNode.isNull()) && !hasConfDir) {
            problems.add("services", "is required (it may be empty: {})");
        } else if (servicesNode != null && !servicesNode.isNull() && !servicesNode.isObject()) {
            problems.add("services", "expected an object of service name to service config, got " + got(servicesNode));
        }
        Path confDir = top.path("service_conf_dir", false);
        if (confDir != null && !Files.isDirectory(confDir)) {
            problems.add("service_conf_dir", "not a directory: " + confDir);
            confDir = null;
        }
        boolean fatal = !problems.isEmpty();
        int defaultMaxFailures = maxFailures == null ? ServiceConfig.DEFAULT_MAX_REPEATED_REPORT_FAILURES : maxFailures;
        String id = instanceId == null ? "unknown" : instanceId;

        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        Set<String> bad = new LinkedHashSet<>();
        if (servicesNode != null && servicesNode.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = servicesNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ConfigProblems sp = problems.at("services").at(e.getKey());
                addService(e.getKey(), e.getValue(), sp, id, defaultMaxFailures, services, bad);
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
                JsonNode node = read(file, fp, "");
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
        return new Result(new NerveConfig(instanceId, services, heartbeat, maintenance, verify, statsd),
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
        if (name.isEmpty() || name.indexOf('/') >= 0 || RegistryValues.hasControl(name) || name.length() > 200) {
            sp.add("", "a service name must be 1-200 characters without / or control characters");
        }
        if (!node.isObject()) {
            sp.add("", "expected an object, got " + got(node));
            return null;
        }
        int before = sp.size();
        Fields f = new Fields(node, sp, SERVICE_KEYS);
        String host = f.host("host", null);
        if (host == null && !f.has("host")) {
            sp.add("host", "is required");
        }
        Integer port = f.integer("port", 1, 65535, null);
        if (port == null && !f.has("port")) {
            sp.add("port", "is required");
        }
        String reporterType = f.choice("reporter_type", List.of("zookeeper", "etcd"), "zookeeper");
        Duration interval = f.seconds("check_interval", ServiceConfig.DEFAULT_CHECK_INTERVAL);
        Integer weight = f.integer("weight", 0, 256, null);
        String options = f.string("haproxy_server_options", false);
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
        Path maintenance = f.path("maintenance_file", false);
        Integer maxFailures = f.integer("max_repeated_report_failures", 1, 1_000_000, defaultMaxFailures);
        RateLimitConfig rateLimit = null;
        if (f.has("rate_limiting")) {
            rateLimit = rateLimit(node.get("rate_limiting"), sp.at("rate_limiting"));
        }

        ReporterTarget reporter = null;
        if ("zookeeper".equals(reporterType)) {
            reporter = zookeeper(f, sp);
        } else if ("etcd".equals(reporterType)) {
            reporter = etcd(f, sp);
        }

        List<CheckConfig> checks = new ArrayList<>();
        JsonNode checksNode = node.get("checks");
        if (checksNode != null && !checksNode.isNull()) {
            if (!checksNode.isArray()) {
                sp.add("checks", "expected a list of checks, got " + got(checksNode));
            } else {
                for (int i = 0; i < checksNode.size(); i++) {
                    CheckConfig check = check(checksNode.get(i), sp.at("checks").at("[" + i + "]"),
                            host == null ? "127.0.0.1" : host, port == null ? 1 : port);
                    if (check != null) {
                        checks.add(check);
                    }
                }
            }
        }
        if (sp.size() > before || host == null || port == null || reporter == null || interval == null) {
            return null;
        }
        ServiceConfig config = new ServiceConfig(name, host, port, reporter, interval, checks, weight, options,
                labels, maintenance, rateLimit, maxFailures == null ? defaultMaxFailures : maxFailures);
        try {
            config.registration(instanceId).validate();
        } catch (IllegalArgumentException e) {
            sp.add("", "the registration would be rejected by synapse: " + e.getMessage());
            return null;
        }
        return config;
    }

    private RateLimitConfig rateLimit(JsonNode node, ConfigProblems rp) {
        if (!node.isObject()) {
            rp.add("", "expected an object with average_rate, max_burst, shadow_mode, got " + got(node));
            return null;
        }
        Fields f = new Fields(node, rp, List.of("average_rate", "max_burst", "shadow_mode"));
        Double rate = f.positiveNumber("average_rate", null);
        if (rate == null && !f.has("average_rate")) {
            rp.add("average_rate", "is required (status-change reports per second)");
        }
        Double burst = f.positiveNumber("max_burst", 1.0);
        Boolean shadow = f.bool("shadow_mode", false);
        if (rate == null || burst == null || shadow == null) {
            return null;
        }
        return new RateLimitConfig(rate, burst, shadow);
    }

    private ReporterTarget zookeeper(Fields f, ConfigProblems sp) {
        List<String> hosts = f.strings("zk_hosts", true);
        if (hosts == null && !f.has("zk_hosts")) {
            sp.add("zk_hosts", "is required for reporter_type zookeeper");
        } else if (hosts != null) {
            int before = sp.size();
            ZooKeeperEnsemble.checkHosts("zk_hosts", hosts, sp);
            if (sp.size() > before) {
                hosts = null;
            }
        }
        ZooKeeperAuth auth = null;
        boolean authOk = true;
        if (f.has("zk_auth")) {
            JsonNode a = f.node.get("zk_auth");
            ConfigProblems ap = sp.at("zk_auth");
            if (!a.isObject()) {
                ap.add("", "expected an object with scheme and credentials, got " + got(a));
                authOk = false;
            } else {
                Fields af = new Fields(a, ap, List.of("scheme", "credentials"));
                int before = sp.size();
                auth = ZooKeeperAuth.fromConfig(af.string("scheme", false), af.string("credentials", false), ap);
                authOk = sp.size() == before;
            }
        }
        String path = f.string("zk_path", false);
        if (path == null && !f.has("zk_path")) {
            sp.add("zk_path", "is required for reporter_type zookeeper");
        } else if (path != null) {
            String problem = checkRegistryPath(path);
            if (problem != null) {
                sp.add("zk_path", problem);
                path = null;
            } else {
                path = stripTrailingSlash(path);
            }
        }
        String nodeType = f.choice("node_type",
                List.of("ephemeral_sequential", "ephemeral", "persistent", "persistent_sequential"), "ephemeral_sequential");
        Boolean encoding = f.bool("use_path_encoding", false);
        if (hosts == null || path == null || nodeType == null || encoding == null || !authOk) {
            return null;
        }
        return new ReporterTarget.ZooKeeper(ZooKeeperEnsemble.of(hosts, auth), path,
                NodeType.valueOf(nodeType.toUpperCase(Locale.ROOT)), encoding);
    }

    private static final EtcdConnections.Keys ETCD_KEYS = new EtcdConnections.Keys("etcd_endpoints",
            new TlsFiles.Keys("etcd_ca_file", "etcd_cert_file", "etcd_key_file"), "etcd_user", "etcd_password");

    private ReporterTarget etcd(Fields f, ConfigProblems sp) {
        int before = sp.size();
        String ca = f.string("etcd_ca_file", false);
        String cert = f.string("etcd_cert_file", false);
        String key = f.string("etcd_key_file", false);
        boolean tls = ca != null || cert != null || key != null;
        List<String> endpoints = null;
        if (f.has("etcd_endpoints")) {
            if (f.has("etcd_host") || f.has("etcd_port")) {
                sp.add("etcd_endpoints", "use either etcd_endpoints or etcd_host/etcd_port, not both");
            }
            endpoints = f.strings("etcd_endpoints", true);
        } else {
            String host = f.host("etcd_host", null);
            if (host == null && !f.has("etcd_host")) {
                sp.add("etcd_host", "is required for reporter_type etcd (or use etcd_endpoints)");
            }
            Integer port = f.integer("etcd_port", 1, 65535, DEFAULT_ETCD_PORT);
            if (host != null && port != null) {
                // TLS files make the Ruby-style host and port an https endpoint
                String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
                endpoints = List.of((tls ? "https" : "http") + "://" + h + ":" + port);
            }
        }
        String path = f.string("etcd_path", false);
        if (path == null) {
            path = f.has("etcd_path") ? null : "/";
        } else {
            String problem = checkRegistryPath(path);
            if (problem != null) {
                sp.add("etcd_path", problem);
                path = null;
            }
        }
        String user = f.string("etcd_user", false);
        String password = f.string("etcd_password", false);
        if (sp.size() > before || endpoints == null || path == null) {
            return null;
        }
        EtcdConnection connection = EtcdConnections.fromConfig(ETCD_KEYS, endpoints, ca, cert, key, user, password, sp);
        if (connection == null) {
            return null;
        }
        return new ReporterTarget.Etcd(connection, stripTrailingSlash(path));
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

    private CheckConfig check(JsonNode node, ConfigProblems cp, String serviceHost, int servicePort) {
        if (node == null || !node.isObject()) {
            cp.add("", "expected an object with a \"type\", got " + got(node));
            return null;
        }
        int before = cp.size();
        JsonNode typeNode = node.get("type");
        String type = null;
        if (typeNode == null || typeNode.isNull()) {
            cp.add("type", "is required (one of: " + String.join(", ", CHECK_TYPES) + ")");
        } else if (!typeNode.isTextual()) {
            cp.add("type", "expected a string, got " + got(typeNode));
        } else {
            type = substitute(typeNode.asText(), cp, "type");
            if (type != null && type.equals("rabbitmq")) {
                cp.add("type", "rabbitmq checks are not supported (supported: " + String.join(", ", CHECK_TYPES) + ")");
                type = null;
            } else if (type != null && !CHECK_TYPES.contains(type)) {
                cp.add("type", unknown("check type " + RegistryValues.quote(type), type, CHECK_TYPES));
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
        Fields f = new Fields(node, cp, allowed, type + " check");
        String host = f.host("host", serviceHost);
        Integer port = f.integer("port", 1, 65535, servicePort);
        Duration timeout = f.seconds("timeout", type.equals("exec") ? CheckConfig.DEFAULT_EXEC_TIMEOUT : CheckConfig.DEFAULT_TIMEOUT);
        Integer rise = f.integer("rise", 1, 1_000_000, 1);
        Integer fall = f.integer("fall", 1, 1_000_000, 1);
        String name = f.string("name", false);
        Spec spec = switch (type) {
            case "http" -> http(f, cp, timeout);
            case "tcp" -> new CheckConfig.Tcp();
            case "redis" -> new CheckConfig.Redis();
            case "exec" -> exec(node, f, cp);
            default -> new CheckConfig.Noop();
        };
        if (cp.size() > before || host == null || port == null || timeout == null || rise == null || fall == null
                || spec == null) {
            return null;
        }
        if (name == null) {
            name = defaultName(spec, host, port);
        }
        return new CheckConfig(name, host, port, timeout, rise, fall, spec);
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

    private Spec http(Fields f, ConfigProblems cp, Duration timeout) {
        String uri = f.string("uri", true);
        if (uri != null && (!uri.startsWith("/") || RegistryValues.hasControl(uri) || uri.indexOf(' ') >= 0)) {
            cp.add("uri", "expected a path starting with / (no spaces or control characters), got " + RegistryValues.quote(uri));
            uri = null;
        }
        String expect = f.string("expect", false);
        Map<String, String> headers = f.stringMap("headers");
        if (headers != null) {
            for (Map.Entry<String, String> h : headers.entrySet()) {
                if (!h.getKey().matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                    cp.at("headers").add(h.getKey(), "not a valid HTTP header name");
                } else if (h.getValue().indexOf('\r') >= 0 || h.getValue().indexOf('\n') >= 0) {
                    cp.at("headers").add(h.getKey(), "a header value must not contain line breaks");
                }
            }
        }
        Duration open = f.seconds("open_timeout", CheckConfig.DEFAULT_OPEN_TIMEOUT);
        Duration read = f.seconds("read_timeout", timeout);
        Boolean ssl = f.bool("ssl", false);
        Duration sslTimeout = f.seconds("ssl_timeout", CheckConfig.DEFAULT_OPEN_TIMEOUT);
        Boolean verify = f.bool("ssl_verify", true);
        Path ca = f.path("ssl_ca_file", true);
        if (uri == null || open == null || read == null || ssl == null || sslTimeout == null || verify == null) {
            return null;
        }
        return new CheckConfig.Http(uri, expect, headers, open, read, ssl, sslTimeout, verify, ca);
    }

    private Spec exec(JsonNode node, Fields f, ConfigProblems cp) {
        JsonNode command = node.get("command");
        if (command == null || command.isNull()) {
            cp.add("command", "is required (a shell command string, or a list: program and arguments)");
            return null;
        }
        if (command.isTextual()) {
            String text = f.string("command", true);
            if (text == null) {
                return null;
            }
            if (text.isBlank()) {
                cp.add("command", "must not be empty");
                return null;
            }
            return new CheckConfig.Exec(List.of("/bin/sh", "-c", text));
        }
        List<String> argv = f.strings("command", false);
        if (argv == null) {
            return null;
        }
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            cp.add("command", "must not be empty");
            return null;
        }
        return new CheckConfig.Exec(argv);
    }

    /** {@code unknown key; did you mean "port"?} or {@code unknown key (expected one of: a, b)}. */
    private static String unknown(String what, String word, java.util.Collection<String> candidates) {
        String best = io.synapse.common.config.DidYouMean.closest(word, candidates);
        if (best != null) {
            return "unknown " + what + "; did you mean \"" + best + "\"?";
        }
        return "unknown " + what + " (expected one of: " + String.join(", ", candidates) + ")";
    }

    private String substitute(String text, ConfigProblems p, String key) {
        try {
            return io.synapse.common.config.EnvSubstitution.substitute(text, env::get);
        } catch (IllegalArgumentException e) {
            p.add(key, e.getMessage());
            return null;
        }
    }

    /** How a bad value is shown: strings quoted and escaped, other JSON as text, cut to 80 characters. */
    static String got(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "nothing";
        }
        if (value.isTextual()) {
            return RegistryValues.quote(value.asText());
        }
        String s = value.toString();
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** Typed reads of one object's keys; each problem goes to its path, and a bad value reads as {@code null}. */
    private final class Fields {
        private final JsonNode node;
        private final ConfigProblems p;

        Fields(JsonNode node, ConfigProblems p, List<String> allowed) {
            this(node, p, allowed, null);
        }

        Fields(JsonNode node, ConfigProblems p, List<String> allowed, String owner) {
            this.node = node;
            this.p = p;
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!allowed.contains(key)) {
                    String what = owner == null ? "key" : "key for a " + owner;
                    p.add(key, unknown(what, key, allowed));
                }
            }
        }

        boolean has(String key) {
            JsonNode v = node.get(key);
            return v != null && !v.isNull();
        }

        /** A string, substituted; {@code null} when absent (a problem when required) or bad. */
        String string(String key, boolean required) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                if (required) {
                    p.add(key, "is required");
                }
                return null;
            }
            if (!v.isTextual()) {
                p.add(key, "expected a string, got " + got(v));
                return null;
            }
            return substitute(v.asText(), p, key);
        }

        String host(String key, String defaultValue) {
            if (!has(key)) {
                return defaultValue;
            }
            String host = string(key, false);
            if (host != null && RegistryValues.checkHost(host) != null) {
                p.add(key, "expected an IP address or a DNS name, got " + RegistryValues.quote(host));
                return null;
            }
            return host;
        }

        String choice(String key, List<String> choices, String defaultValue) {
            if (!has(key)) {
                return defaultValue;
            }
            String value = string(key, false);
            if (value != null && !choices.contains(value)) {
                String best = io.synapse.common.config.DidYouMean.closest(value, choices);
                p.add(key, "expected one of " + String.join(", ", choices) + ", got " + RegistryValues.quote(value)
                        + (best == null ? "" : "; did you mean \"" + best + "\"?"));
                return null;
            }
            return value;
        }

        Path path(String key, boolean mustExist) {
            String text = string(key, false);
            if (text == null) {
                return null;
            }
            if (text.isEmpty()) {
                p.add(key, "must not be empty");
                return null;
            }
            try {
                Path path = Path.of(text);
                if (mustExist && !Files.isReadable(path)) {
                    p.add(key, "file not found or not readable: " + text);
                    return null;
                }
                return path;
            } catch (InvalidPathException e) {
                p.add(key, "not a valid path: " + RegistryValues.quote(text));
                return null;
            }
        }

        Integer integer(String key, long min, long max, Integer defaultValue) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return defaultValue;
            }
            String expected = max >= 1_000_000 ? "an integer >= " + min : "an integer " + min + "-" + max;
            Long value = null;
            String shown = got(v);
            if (v.isTextual()) {
                String text = substitute(v.asText(), p, key);
                if (text == null) {
                    return null;
                }
                shown = RegistryValues.quote(text);
                value = JsonIntegers.toLong(TextNode.valueOf(text));
            } else {
                value = JsonIntegers.toLong(v);
            }
            if (value == null || value < min || value > max) {
                p.add(key, "expected " + expected + ", got " + shown);
                return null;
            }
            return value.intValue();
        }

        private Double number(String key) {
            JsonNode v = node.get(key);
            if (v.isNumber()) {
                return v.doubleValue();
            }
            if (v.isTextual()) {
                String text = substitute(v.asText(), p, key);
                if (text == null) {
                    return Double.NaN;
                }
                try {
                    return Double.parseDouble(text.trim());
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            return null;
        }

        private String shown(String key) {
            JsonNode v = node.get(key);
            if (v.isTextual()) {
                try {
                    return RegistryValues.quote(io.synapse.common.config.EnvSubstitution.substitute(v.asText(), env::get));
                } catch (IllegalArgumentException e) {
                    return got(v);
                }
            }
            return got(v);
        }

        /** Seconds as a number (or numeric string), more than 0 and at most a day. */
        Duration seconds(String key, Duration defaultValue) {
            if (!has(key)) {
                return defaultValue;
            }
            Double d = number(key);
            if (d != null && d.isNaN()) {
                return null;
            }
            if (d == null || d.isInfinite() || d < 0.001 || d > MAX_SECONDS) {
                p.add(key, "expected a number of seconds (0.001-86400), got " + shown(key));
                return null;
            }
            return Duration.ofNanos(Math.round(d * 1e9));
        }

        Double positiveNumber(String key, Double defaultValue) {
            if (!has(key)) {
                return defaultValue;
            }
            Double d = number(key);
            if (d != null && d.isNaN()) {
                return null;
            }
            if (d == null || d.isInfinite() || d <= 0) {
                p.add(key, "expected a positive number, got " + shown(key));
                return null;
            }
            return d;
        }

        Boolean bool(String key, Boolean defaultValue) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return defaultValue;
            }
            if (v.isBoolean()) {
                return v.booleanValue();
            }
            if (v.isTextual()) {
                String text = substitute(v.asText(), p, key);
                if (text == null) {
                    return null;
                }
                if (text.equals("true") || text.equals("false")) {
                    return Boolean.parseBoolean(text);
                }
                p.add(key, "expected true or false, got " + RegistryValues.quote(text));
                return null;
            }
            p.add(key, "expected true or false, got " + got(v));
            return null;
        }

        /** A list of strings; with {@code commaString} a single "a,b" string is accepted too. */
        List<String> strings(String key, boolean commaString) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (v.isTextual() && commaString) {
                String text = substitute(v.asText(), p, key);
                if (text == null) {
                    return null;
                }
                List<String> out = new ArrayList<>();
                for (String part : text.split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.trim());
                    }
                }
                return out;
            }
            if (!v.isArray()) {
                p.add(key, "expected a list of strings, got " + got(v));
                return null;
            }
            List<String> out = new ArrayList<>();
            boolean ok = true;
            for (int i = 0; i < v.size(); i++) {
                JsonNode item = v.get(i);
                if (!item.isTextual()) {
                    p.add(key + "[" + i + "]", "expected a string, got " + got(item));
                    ok = false;
                    continue;
                }
                String text = substitute(item.asText(), p, key + "[" + i + "]");
                if (text == null) {
                    ok = false;
                } else {
                    out.add(text);
                }
            }
            return ok ? out : null;
        }

        /** An object of scalars, each as text (labels, headers). */
        Map<String, String> stringMap(String key) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isObject()) {
                p.add(key, "expected an object of names to strings, got " + got(v));
                return null;
            }
            Map<String, String> out = new LinkedHashMap<>();
            boolean ok = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode value = e.getValue();
                if (value.isTextual()) {
                    String text = substitute(value.asText(), p.at(key), e.getKey());
                    if (text == null) {
                        ok = false;
                    } else {
                        out.put(e.getKey(), text);
                    }
                } else if (value.isNumber() || value.isBoolean()) {
                    out.put(e.getKey(), value.asText());
                } else {
                    p.at(key).add(e.getKey(), "expected a string, number or boolean, got " + got(value));
                    ok = false;
                }
            }
            return ok ? out : null;
        }
    }
}
