package io.synapse.config;

import io.synapse.common.config.ConfigException;
import io.synapse.common.config.ConfigFiles;
import io.synapse.common.config.EnvSubstitution;
import io.synapse.common.config.DidYouMean;
import io.synapse.common.config.JsonFields;
import io.synapse.common.status.StatusSettings;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.synapse.spi.Backend;
import io.synapse.spi.CatalogFactory;
import io.synapse.spi.ConfigGenerator;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.GeneratorContext;
import io.synapse.spi.GeneratorFactory;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.WatcherFactory;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * Reads {@code synapse.conf.json} (the Ruby Synapse schema; YAML by file extension), substitutes
 * {@code ${VAR}}, validates everything and reports every problem at once with its JSON path.
 */
public final class ConfigLoader {
    /** The watchers this project ships, each in its own module: method to module. */
    static final Map<String, String> BUNDLED_WATCHERS = Map.ofEntries(
            Map.entry("zookeeper", "watcher-zookeeper"), Map.entry("zookeeper_poll", "watcher-zookeeper"),
            Map.entry("etcd", "watcher-etcd"), Map.entry("ec2tag", "watcher-ec2tag"), Map.entry("dns", "watcher-dns"),
            Map.entry("docker", "watcher-docker"), Map.entry("marathon", "watcher-marathon"),
            Map.entry("multi", "watcher-multi"), Map.entry("zookeeper_dns", "watcher-multi"));

    static final Set<String> TOP_LEVEL_KEYS = Set.of("services", "service_conf_dir", "statsd", "catalogs", "status");
    static final List<String> SERVICE_KEYS = List.of("discovery", "default_servers", "keep_default_servers",
            "use_previous_backends", "backend_port_override", "leader_election");

    /** JSON as the Ruby Synapse reads it, plus {@code //} and {@code /* *}{@code /} comments. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper BINDER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private final Plugins plugins;
    private final Function<String, String> env;

    public ConfigLoader(Plugins plugins) {
        this(plugins, System::getenv);
    }

    public ConfigLoader(Plugins plugins, Function<String, String> env) {
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.env = requireNonNull(env, "env is null");
    }

    public SynapseConfig load(Path file) throws ConfigException {
        requireNonNull(file, "file is null");
        ConfigProblems problems = new ConfigProblems();
        Path baseDir = file.toAbsolutePath().getParent();
        if (!ConfigFiles.isYaml(file)) {
            Streamed streamed = stream(file, problems);
            if (streamed != null) {
                return assemble(streamed.top(), streamed.services(), baseDir, problems);
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(problems.messages());
            }
            // not an object: read as a tree below, which says what it is
        }
        JsonNode root = read(file, problems);
        if (root == null) {
            throw new ConfigException(problems.messages());
        }
        // the tree was just read and is ours: substitute in place instead of copying it
        return load(root, false, baseDir, problems);
    }

    /** Loads an already-parsed config; relative {@code service_conf_dir} is resolved against {@code baseDir}. */
    public SynapseConfig load(JsonNode root, Path baseDir, ConfigProblems problems) throws ConfigException {
        return load(root, true, baseDir, problems);
    }

    private SynapseConfig load(JsonNode root, boolean copy, Path baseDir, ConfigProblems problems) throws ConfigException {
        if (!root.isObject()) {
            problems.add("", "the configuration must be a JSON object, got " + JsonFields.describe(root));
            throw new ConfigException(problems.messages());
        }
        ObjectNode top = copy ? ((ObjectNode) root).deepCopy() : (ObjectNode) root;
        EnvSubstitution.apply(top, env, problems);
        Services services = null;
        JsonNode servicesNode = top.get("services");
        if (servicesNode != null && servicesNode.isObject()) {
            services = new Services(problems);
            for (Iterator<Map.Entry<String, JsonNode>> it = servicesNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                services.add(e.getKey(), e.getValue());
            }
            top.remove("services");
        }
        return assemble(top, services, baseDir, problems);
    }

    /** A config read piece by piece: its top level without the services, and the services, already bound. */
    private record Streamed(ObjectNode top, Services services) {}

    /**
     * Reads a JSON config one top-level section at a time, and each service of {@code services} on
     * its own: a service is bound as soon as it is read, so that a config of a hundred thousand
     * servers is never one tree in memory. Returns null when the file is not a JSON object (after
     * adding the problem when it is not JSON at all). Problems come in the order a whole-tree read
     * gives them, and only when the whole file is valid JSON.
     */
    @SuppressWarnings("unchecked")
    private Streamed stream(Path file, ConfigProblems problems) {
        // the ${VAR} problems of each top-level key, and of each service, in the order of a tree: a
        // key given twice keeps its first place and its last value (and only the last one's problems)
        Map<String, Object> envProblems = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(Files.newInputStream(file))) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                return null;
            }
            ObjectNode top = JsonNodeFactory.instance.objectNode();
            Services services = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (p.nextToken() == JsonToken.START_OBJECT && key.equals("services")) {
                    services = new Services(problems);
                    top.remove("services");
                    Map<String, ConfigProblems> perService = new LinkedHashMap<>();
                    envProblems.put(key, perService);
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        p.nextToken();
                        ConfigProblems env = problems.fork("");
                        perService.put(name, env);
                        services.add(name, substituted("services", name, p.readValueAsTree(), env));
                    }
                } else {
                    if (key.equals("services")) {
                        services = null;
                    }
                    ConfigProblems env = problems.fork("");
                    envProblems.put(key, env);
                    top.set(key, substituted("", key, p.readValueAsTree(), env));
                }
            }
            for (Object env : envProblems.values()) {
                if (env instanceof ConfigProblems c) {
                    problems.addAll(c);
                } else {
                    ((Map<String, ConfigProblems>) env).values().forEach(problems::addAll);
                }
            }
            return new Streamed(top, services);
        } catch (NoSuchFileException e) {
            problems.add("", file + ": no such file");
        } catch (JsonProcessingException e) {
            problems.add("", file + ": not valid JSON " + location(e) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            problems.add("", file + ": cannot read: " + e.getMessage());
        }
        return null;
    }

    /** {@code node}, the value of {@code key} under {@code parent}, with {@code ${VAR}} substituted (a string value too). */
    private JsonNode substituted(String parent, String key, JsonNode node, ConfigProblems problems) {
        ObjectNode holder = JsonNodeFactory.instance.objectNode();
        holder.set(key, node);
        EnvSubstitution.apply(holder, env, parent.isEmpty() ? problems : problems.at(parent));
        return holder.get(key);
    }

    /**
     * The services of the {@code services} map, each bound when it is added. Its problems are kept
     * apart and reported in their turn ({@link #reportTo}); a name given twice keeps the last
     * definition, in the first one's place, as a tree would.
     */
    private final class Services {
        private final ConfigProblems root;
        private final Map<String, Bound> bound = new LinkedHashMap<>();

        Services(ConfigProblems root) {
            this.root = root;
        }

        void add(String name, JsonNode node) {
            ConfigProblems own = root.fork("services." + name);
            bound.put(name, new Bound(service(name, node, own), generatorSections(node), own));
        }

        void reportTo(ConfigProblems problems) {
            bound.values().forEach(b -> problems.addAll(b.problems()));
        }
    }

    /** A bound service (null when it has problems), its generator sections and its problems. */
    private record Bound(ServiceConfig config, Map<String, JsonNode> generatorSections, ConfigProblems problems) {}

    /** The service's section of each generator plugin: what it has, an empty object when it has none. */
    private Map<String, JsonNode> generatorSections(JsonNode service) {
        Map<String, JsonNode> sections = new LinkedHashMap<>();
        for (String g : plugins.generators().keySet()) {
            JsonNode section = service.isObject() ? service.get(g) : null;
            sections.put(g, section == null || section.isNull() ? JsonNodeFactory.instance.objectNode() : section);
        }
        return sections;
    }

    private SynapseConfig assemble(ObjectNode top, Services services, Path baseDir, ConfigProblems problems) throws ConfigException {
        JsonFields fields = JsonFields.of(top, problems);
        Set<String> knownTop = new LinkedHashSet<>(TOP_LEVEL_KEYS);
        knownTop.addAll(plugins.generators().keySet());
        for (Iterator<String> it = top.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!knownTop.contains(key)) {
                problems.add(key, "unknown key" + suggestion(key, knownTop)
                        + "; top-level keys are services, service_conf_dir, statsd, catalogs, status and the generators "
                        + String.join(", ", plugins.generators().keySet()));
            }
        }

        // services: the map plus one per file of service_conf_dir
        JsonNode servicesNode = top.get("services");
        boolean servicesGiven = services != null || servicesNode != null;
        if (services == null && servicesNode != null && !servicesNode.isNull()) {
            problems.add("services", "expected an object of service name to service, got " + JsonFields.describe(servicesNode));
        }
        if (services == null) {
            services = new Services(problems);
        }
        Map<String, JsonNode> dirServices = new LinkedHashMap<>();
        String confDir = fields.string("service_conf_dir", null);
        if (confDir != null) {
            readServiceDir(baseDir == null ? Path.of(confDir) : baseDir.resolve(confDir), services.bound.keySet(), dirServices, problems);
        } else if (!servicesGiven && !top.has("catalogs")) {
            problems.add("services", "is required (or service_conf_dir, or catalogs)");
        }

        Set<String> generatorNames = new LinkedHashSet<>();
        for (String key : plugins.generators().keySet()) {
            if (top.has(key)) {
                generatorNames.add(key);
            }
        }
        if (generatorNames.isEmpty()) {
            problems.add("", "no generator configured: add at least one of " + String.join(", ", plugins.generators().keySet()));
        }

        services.reportTo(problems);
        for (Map.Entry<String, JsonNode> e : dirServices.entrySet()) {
            ConfigProblems own = problems.at("services." + e.getKey());
            services.bound.put(e.getKey(), new Bound(service(e.getKey(), e.getValue(), own), generatorSections(e.getValue()), own));
        }
        Map<String, ServiceConfig> serviceConfigs = new LinkedHashMap<>();
        services.bound.forEach((name, b) -> {
            if (b.config() != null) {
                serviceConfigs.put(name, b.config());
            }
        });
        SynapseConfig.StatsdConfig statsd = null;
        if (top.has("statsd")) {
            JsonFields s = fields.object("statsd");
            s.rejectUnknown(List.of("host", "port"));
            String host = s.line("host", "localhost");
            Integer port = s.port("port");
            statsd = new SynapseConfig.StatsdConfig(host, port == null ? 8125 : port);
        }
        StatusSettings status = top.hasNonNull("status") ? StatusSettings.parse(fields.object("status")) : null;

        Map<String, ConfigGenerator> generators = new LinkedHashMap<>();
        for (String name : generatorNames) {
            JsonNode global = top.get(name);
            GeneratorFactory factory = plugins.generators().get(name);
            if (factory.sectionIsList() ? !global.isArray() : !global.isObject()) {
                problems.add(name, "expected " + (factory.sectionIsList() ? "a list" : "an object") + ", got " + JsonFields.describe(global));
                continue;
            }
            Map<String, JsonNode> sections = new LinkedHashMap<>();
            services.bound.forEach((service, b) -> sections.put(service, b.generatorSections().get(name)));
            ConfigGenerator generator = factory.create(new GeneratorContext(global, sections, baseDir), problems);
            if (generator != null) {
                generators.put(name, generator);
            }
        }
        List<CatalogConfig> catalogs = catalogs(top.get("catalogs"), generators, problems.at("catalogs"));
        if (!problems.isEmpty()) {
            generators.values().forEach(ConfigGenerator::close);
            throw new ConfigException(problems.messages());
        }
        return new SynapseConfig(serviceConfigs, generators, statsd, catalogs, this::catalogService, status);
    }

    private JsonNode read(Path file, ConfigProblems problems) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectMapper mapper = name.endsWith(".yaml") || name.endsWith(".yml") ? YAML : JSON;
        try {
            JsonNode node = mapper.readTree(Files.readAllBytes(file));
            if (node == null || node.isMissingNode()) {
                problems.add("", file + ": the file is empty");
                return null;
            }
            return node;
        } catch (NoSuchFileException e) {
            problems.add("", file + ": no such file");
        } catch (JsonProcessingException e) {
            problems.add("", file + ": not valid " + (mapper == YAML ? "YAML" : "JSON") + " " + location(e) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            problems.add("", file + ": cannot read: " + e.getMessage());
        }
        return null;
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "" : "(line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    private void readServiceDir(Path dir, Set<String> inServices, Map<String, JsonNode> serviceNodes, ConfigProblems problems) {
        if (!Files.isDirectory(dir)) {
            problems.add("service_conf_dir", "not a directory: " + dir);
            return;
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".json") || n.endsWith(".yaml") || n.endsWith(".yml");
            }).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            problems.add("service_conf_dir", "cannot list " + dir + ": " + e.getMessage());
            return;
        }
        for (Path f : files) {
            String n = f.getFileName().toString();
            String service = n.substring(0, n.lastIndexOf('.'));
            JsonNode node = read(f, problems);
            if (node == null) {
                continue;
            }
            if (inServices.contains(service)) {
                problems.add("service_conf_dir", "service " + service + " from " + f + " is also defined in services");
                continue;
            }
            EnvSubstitution.apply(node, env, problems.at("services." + service));
            serviceNodes.put(service, node);
        }
    }

    private ServiceConfig service(String name, JsonNode node, ConfigProblems problems) {
        int before = problems.size();
        if (RegistryValues.checkName(name) != null) {
            problems.add("", "invalid service name: only letters, digits and . _ - : are allowed");
        }
        JsonFields f = JsonFields.of(node, problems);
        Set<String> known = new LinkedHashSet<>(SERVICE_KEYS);
        known.addAll(plugins.generators().keySet());
        f.rejectUnknown(known);

        boolean keepDefaults = f.bool("keep_default_servers", false);
        boolean usePrevious = f.bool("use_previous_backends", true);
        boolean leader = f.bool("leader_election", false);
        Integer portOverride = f.port("backend_port_override");
        JsonNode haproxy = f.get("haproxy");
        if (haproxy != null && haproxy.isObject() && haproxy.has("server_port_override")) {
            Integer old = JsonFields.of(haproxy, problems.at("haproxy")).port("server_port_override");
            if (portOverride == null) {
                portOverride = old;
            }
        }

        List<Backend> defaults = new ArrayList<>();
        JsonNode ds = f.get("default_servers");
        if (ds != null && !ds.isNull()) {
            if (!ds.isArray()) {
                problems.add("default_servers", "expected a list of {name, host, port}, got " + JsonFields.describe(ds));
            } else {
                for (int i = 0; i < ds.size(); i++) {
                    Backend b = defaultServer(ds.get(i), problems.at("default_servers[" + i + "]"));
                    if (b != null) {
                        defaults.add(b);
                    }
                }
            }
        }

        JsonFields discovery = f.object("discovery");
        if (!f.has("discovery")) {
            problems.add("discovery", "is required");
        }
        String method = discovery.requiredString("method");
        List<LabelFilter> filters = labelFilters(discovery);
        WatcherFactory<?> factory = null;
        Object watcherConfig = null;
        if (method != null) {
            factory = plugins.watchers().get(method);
            if (factory == null) {
                String installed = String.join(", ", plugins.watchers().keySet());
                if (BUNDLED_WATCHERS.containsKey(method)) {
                    problems.at("discovery").add("method", "watcher \"" + method + "\" is not installed: its jar ("
                            + BUNDLED_WATCHERS.get(method) + ") is missing from lib/ or plugins/ (installed: " + installed + ")");
                } else {
                    problems.at("discovery").add("method", "unknown method \"" + method + "\"" + suggestion(method, plugins.watchers().keySet())
                            + " (installed: " + installed + ")");
                }
            } else {
                watcherConfig = bindWatcherConfig(factory, discovery.node(), problems.at("discovery"));
                if (watcherConfig != null && portOverride == null && !providesPorts(factory, watcherConfig)) {
                    problems.add("backend_port_override", "is required: discovery method \"" + method
                            + "\" as configured finds no ports (or set haproxy.server_port_override)");
                }
            }
        }
        if (problems.size() > before) {
            return null;
        }
        Map<String, JsonNode> sections = new LinkedHashMap<>();
        for (String g : plugins.generators().keySet()) {
            JsonNode s = f.get(g);
            sections.put(g, s == null || s.isNull() ? JsonNodeFactory.instance.objectNode() : s);
        }
        return new ServiceConfig(name, method, factory, watcherConfig, filters, defaults, keepDefaults, usePrevious,
                portOverride, leader, sections);
    }

    private static Backend defaultServer(JsonNode node, ConfigProblems problems) {
        JsonFields s = JsonFields.of(node, problems);
        if (!node.isObject()) {
            return null;
        }
        s.rejectUnknown(List.of("name", "host", "port", "weight", "haproxy_server_options", "labels", "id", "haproxy_server_id"));
        int before = problems.size();
        String host = s.requiredString("host");
        if (host != null && RegistryValues.checkHost(host) != null) {
            problems.add("host", "expected an IP address or a DNS name, got " + RegistryValues.quote(host));
        }
        Integer port = s.port("port");
        if (port == null && !s.has("port")) {
            problems.add("port", "is required");
        }
        String name = s.string("name", null);
        if (name != null && name.isEmpty()) {
            name = null; // Ruby: an empty name is no name
        }
        if (name != null && RegistryValues.checkName(name) != null) {
            problems.add("name", "only letters, digits and . _ - : are allowed, got " + RegistryValues.quote(name));
        }
        Long weight = s.integer("weight", 0, 256, null);
        String options = s.string("haproxy_server_options", null);
        if (options != null && RegistryValues.checkServerOptions(options) != null) {
            problems.add("haproxy_server_options", RegistryValues.checkServerOptions(options).substring("haproxy_server_options ".length()));
        }
        Map<String, String> labels = null; // none: most default servers have no labels
        if (s.has("labels")) {
            Map<String, String> read = new LinkedHashMap<>();
            s.objectOrEmpty("labels").fields().forEachRemaining(e -> read.put(e.getKey(), e.getValue().asText()));
            labels = read;
        }
        Long id = s.integer("id", 0, Long.MAX_VALUE, null);
        Long serverId = s.integer("haproxy_server_id", 1, Integer.MAX_VALUE, null);
        // a host or port of an unset ${VAR} reads as absent; its problem was reported with the substitution
        if (problems.size() > before || host == null || port == null) {
            return null;
        }
        try {
            return new Backend(name, host, port, weight == null ? null : weight.intValue(), options, labels, id,
                    serverId == null ? null : serverId.intValue());
        } catch (IllegalArgumentException e) {
            problems.add("", e.getMessage());
            return null;
        }
    }

    static List<LabelFilter> labelFilters(JsonFields discovery) {
        List<LabelFilter> out = new ArrayList<>();
        JsonNode list = discovery.get("label_filters");
        JsonNode single = discovery.get("label_filter");
        ConfigProblems problems = discovery.problems();
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                problems.add("label_filters", "expected a list of {label, value, condition}, got " + JsonFields.describe(list));
            } else {
                for (int i = 0; i < list.size(); i++) {
                    addFilter(list.get(i), problems.at("label_filters[" + i + "]"), out);
                }
            }
        }
        if (single != null && !single.isNull()) {
            addFilter(single, problems.at("label_filter"), out);
        }
        return out;
    }

    private static void addFilter(JsonNode node, ConfigProblems problems, List<LabelFilter> out) {
        JsonFields f = JsonFields.of(node, problems);
        f.rejectUnknown(List.of("label", "value", "condition"));
        String label = f.requiredString("label");
        String value = f.string("value", null);
        String condition = f.string("condition", "equals");
        if (!"equals".equals(condition) && !"not-equals".equals(condition)) {
            problems.add("condition", "expected \"equals\" or \"not-equals\", got " + RegistryValues.quote(condition));
            return;
        }
        if (label != null) {
            out.add(new LabelFilter(label, value, "equals".equals(condition)));
        }
    }

    @SuppressWarnings("unchecked")
    private static <C> boolean providesPorts(WatcherFactory<C> factory, Object config) {
        return factory.providesPorts((C) config);
    }

    /** Binds the discovery section (less the engine's keys) onto the plugin's config record. */
    static <C> C bindWatcherConfig(WatcherFactory<C> factory, JsonNode discovery, ConfigProblems problems) {
        return bindPluginConfig("method \"" + factory.name() + "\"", factory.configClass(), discovery,
                List.of("method", "label_filters", "label_filter"), problems, c -> factory.validate(c, problems));
    }

    /**
     * Binds a plugin's section onto its config record: snake_case keys onto record components,
     * {@code reserved} keys (the engine's) removed first, unknown keys reported with a suggestion,
     * then the plugin's own {@code validate}. Returns null when there were problems.
     */
    static <C> C bindPluginConfig(String what, Class<C> type, JsonNode section, List<String> reserved,
            ConfigProblems problems, java.util.function.Consumer<C> validate) {
        ObjectNode rest = ((ObjectNode) section).deepCopy();
        rest.remove(reserved);
        int before = problems.size();
        if (type.isRecord()) {
            Set<String> known = new LinkedHashSet<>();
            PropertyNamingStrategies.NamingBase snake = (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
            for (RecordComponent rc : type.getRecordComponents()) {
                known.add(snake.translate(rc.getName()));
            }
            List<String> unknown = new ArrayList<>();
            rest.fieldNames().forEachRemaining(k -> {
                if (!known.contains(k)) {
                    unknown.add(k);
                }
            });
            for (String k : unknown) {
                List<String> all = new ArrayList<>(known);
                all.addAll(reserved.stream().filter(r -> !"label_filter".equals(r)).toList());
                problems.add(k, "unknown key for " + what + suggestion(k, all)
                        + (known.isEmpty() ? "" : "; known keys: " + String.join(", ", known)));
                rest.remove(k);
            }
        }
        C config;
        try {
            config = BINDER.treeToValue(rest, type);
        } catch (UnrecognizedPropertyException e) {
            problems.add(path(e), "unknown key" + suggestion(e.getPropertyName(),
                    e.getKnownPropertyIds().stream().map(String::valueOf).collect(Collectors.toList())));
            return null;
        } catch (InvalidFormatException e) {
            problems.add(path(e), "expected " + typeName(e.getTargetType()) + ", got " + RegistryValues.quote(String.valueOf(e.getValue())));
            return null;
        } catch (MismatchedInputException e) {
            problems.add(path(e), "expected " + typeName(e.getTargetType()));
            return null;
        } catch (JsonParseException e) {
            problems.add("", e.getOriginalMessage());
            return null;
        } catch (JsonProcessingException e) {
            problems.add(path(e), e.getOriginalMessage());
            return null;
        }
        // unknown keys were removed before binding, so the rest can still be checked: all problems at once
        validate.accept(config);
        return problems.size() > before ? null : config;
    }

    /**
     * {@code catalogs: {name: {method, <generator defaults>..., <plugin keys>...}}}. Each
     * generator key (e.g. {@code haproxy}) holds defaults for every service the catalog defines.
     */
    private List<CatalogConfig> catalogs(JsonNode node, Map<String, ConfigGenerator> generators, ConfigProblems problems) {
        List<CatalogConfig> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            problems.add("", "expected an object of catalog name to catalog, got " + JsonFields.describe(node));
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            ConfigProblems cp = problems.at(name);
            if (RegistryValues.checkName(name) != null) {
                cp.add("", "invalid catalog name: only letters, digits and . _ - : are allowed");
                continue;
            }
            JsonFields f = JsonFields.of(e.getValue(), cp);
            if (!e.getValue().isObject()) {
                continue;
            }
            String method = f.requiredString("method");
            Map<String, JsonNode> defaults = new LinkedHashMap<>();
            for (String g : plugins.generators().keySet()) {
                JsonNode d = f.get(g);
                if (d == null || d.isNull()) {
                    continue;
                }
                if (!d.isObject()) {
                    cp.add(g, "expected an object of defaults for every service of this catalog, got " + JsonFields.describe(d));
                } else if (generators.containsKey(g)) {
                    generators.get(g).checkServiceConfig(name, d, cp.at(g));
                    defaults.put(g, d);
                } else {
                    cp.add(g, "the generator " + g + " is not configured (no top-level \"" + g + "\" section)");
                }
            }
            if (method == null) {
                continue;
            }
            CatalogFactory<?> factory = plugins.catalogs().get(method);
            if (factory == null) {
                String installed = plugins.catalogs().isEmpty() ? "none" : String.join(", ", plugins.catalogs().keySet());
                cp.add("method", "unknown catalog method \"" + method + "\"" + suggestion(method, plugins.catalogs().keySet())
                        + " (installed: " + installed + ")");
                continue;
            }
            List<String> reserved = new ArrayList<>(List.of("method"));
            reserved.addAll(plugins.generators().keySet());
            Object config = bindCatalogConfig(factory, e.getValue(), reserved, cp);
            if (config != null) {
                out.add(new CatalogConfig(name, factory, config, defaults));
            }
        }
        return out;
    }

    private static <C> C bindCatalogConfig(CatalogFactory<C> factory, JsonNode section, List<String> reserved, ConfigProblems problems) {
        return bindPluginConfig("catalog method \"" + factory.name() + "\"", factory.configClass(), section, reserved, problems,
                c -> factory.validate(c, problems));
    }

    /**
     * Validates a service a catalog defined at run time, exactly as a configured one, with the
     * catalog's generator defaults under it. Returns null (problems reported) when it is invalid.
     */
    private ServiceConfig catalogService(String name, JsonNode node, CatalogConfig catalog, Map<String, ConfigGenerator> generators,
            ConfigProblems problems) {
        int before = problems.size();
        if (!node.isObject()) {
            problems.add("", "expected an object, got " + JsonFields.describe(node));
            return null;
        }
        ObjectNode merged = ((ObjectNode) node).deepCopy();
        catalog.defaults().forEach((g, d) -> {
            JsonNode own = merged.get(g);
            ObjectNode section = ((ObjectNode) d).deepCopy();
            if (own != null && own.isObject()) {
                // the service's keys win; line lists (listen, frontend, backend...) add to the defaults
                own.fields().forEachRemaining(f -> {
                    JsonNode def = section.get(f.getKey());
                    if (def != null && def.isArray() && f.getValue().isArray()) {
                        ((com.fasterxml.jackson.databind.node.ArrayNode) def).addAll((com.fasterxml.jackson.databind.node.ArrayNode) f.getValue());
                    } else {
                        section.set(f.getKey(), f.getValue());
                    }
                });
            } else if (own != null && !own.isNull()) {
                return; // reported by service() below
            }
            merged.set(g, section);
        });
        ServiceConfig sc = service(name, merged, problems);
        if (sc == null) {
            return null;
        }
        generators.forEach((g, generator) -> generator.checkServiceConfig(name, sc.generatorSections().get(g), problems.at(g)));
        return problems.size() > before ? null : sc;
    }

    private static String path(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m)) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : m.getPath()) {
            if (ref.getFieldName() != null) {
                if (out.length() > 0) {
                    out.append('.');
                }
                out.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String typeName(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "an object";
        }
        return type.getSimpleName();
    }

    private static String suggestion(String key, java.util.Collection<String> known) {
        return DidYouMean.suggest(key, known);
    }
}
