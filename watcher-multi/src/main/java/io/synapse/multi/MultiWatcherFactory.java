package io.synapse.multi;

import io.synapse.common.aws.AwsAccess;
import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.config.DidYouMean;
import io.synapse.common.config.JsonFields;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The {@code multi} watcher (Ruby Synapse's): several child watchers of any installed method,
 * resolved into one set by {@code union}, {@code sequential}, {@code s3_toggle} or {@code
 * file_toggle}. Children are bound and created through {@link WatcherFactories}; see {@link
 * MultiWatcher} for what is published when.
 */
public final class MultiWatcherFactory implements WatcherFactory<MultiConfig>, WatcherFactories.Aware {
    public static final String NAME = "multi";
    static final List<String> RESOLVERS = List.of("union", "sequential", "s3_toggle", "file_toggle");
    static final Map<String, List<String>> RESOLVER_KEYS = Map.of(
            "union", List.of("method"),
            "sequential", List.of("method", "sequential_order"),
            "s3_toggle", List.of("method", "s3_url", "s3_polling_interval_seconds", "aws_region", "aws_access_key_id",
                    "aws_secret_access_key", "endpoint"),
            "file_toggle", List.of("method", "path", "polling_interval_seconds"));
    static final double MIN_INTERVAL = 0.1;
    static final double DEFAULT_FILE_INTERVAL = 1;

    private final Function<String, String> env;
    private final Supplier<String> hostName;
    private volatile WatcherFactories factories;

    public MultiWatcherFactory() {
        this(System::getenv, HostName::get);
    }

    /**
     * @param env environment variables ({@code AWS_REGION}, {@code AWS_DEFAULT_REGION})
     * @param hostName this host's name, which makes a toggle's pick stable per host
     */
    MultiWatcherFactory(Function<String, String> env, Supplier<String> hostName) {
        this.env = requireNonNull(env, "env is null");
        this.hostName = requireNonNull(hostName, "hostName is null");
    }

    @Override
    public void setWatcherFactories(WatcherFactories factories) {
        this.factories = requireNonNull(factories, "factories is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<MultiConfig> configClass() {
        return MultiConfig.class;
    }

    @Override
    public void validate(MultiConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        plan(config, problems);
    }

    /** A union needs every child's ports, and so does a resolver that may pick any child. */
    @Override
    public boolean providesPorts(MultiConfig config) {
        Plan plan = plan(config, new ConfigProblems());
        return plan == null || plan.children().values().stream().allMatch(WatcherFactories.Child::providesPorts);
    }

    @Override
    public ServiceWatcher create(WatcherContext context, MultiConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        Plan plan = plan(config, problems);
        if (plan == null) {
            throw new IllegalArgumentException(problems.toString());
        }
        return new MultiWatcher(context, plan, listener, hostName);
    }

    /** The bound children and the resolver. */
    record Plan(Map<String, WatcherFactories.Child> children, Resolver resolver) {
        Plan {
            children = Collections.unmodifiableMap(new LinkedHashMap<>(children));
        }
    }

    /** Binds and checks everything; null when there were problems (all reported). */
    Plan plan(MultiConfig config, ConfigProblems problems) {
        WatcherFactories all = factories;
        if (all == null) {
            throw new IllegalStateException("the multi watcher was not given the installed watchers (WatcherFactories.Aware)");
        }
        int before = problems.size();
        Map<String, WatcherFactories.Child> children = new LinkedHashMap<>();
        JsonNode watchers = config.watchers();
        if (watchers == null || watchers.isNull()) {
            problems.add("watchers", "is required: an object of name to child watcher, e.g. {\"primary\": {\"method\": \"zookeeper\", ...}}");
        } else if (!watchers.isObject()) {
            problems.add("watchers", "expected an object of name to child watcher, got " + JsonFields.describe(watchers));
        } else if (watchers.isEmpty()) {
            problems.add("watchers", "must name at least one watcher");
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = watchers.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ConfigProblems at = problems.at("watchers." + e.getKey());
                String nameProblem = RegistryValues.checkName(e.getKey());
                if (nameProblem != null) {
                    at.add("", "invalid watcher name: only letters, digits and . _ - : are allowed");
                    continue;
                }
                WatcherFactories.Child child = all.bind(e.getValue(), at);
                if (child != null) {
                    children.put(e.getKey(), child);
                }
            }
        }
        Resolver resolver = resolver(config.resolver(), watchers != null && watchers.isObject() ? names(watchers) : List.of(), problems);
        return problems.size() > before ? null : new Plan(children, resolver);
    }

    private static List<String> names(JsonNode watchers) {
        List<String> out = new ArrayList<>();
        watchers.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private Resolver resolver(JsonNode node, List<String> watchers, ConfigProblems problems) {
        if (node == null || node.isNull()) {
            problems.add("resolver", "is required: {\"method\": \"union\"} (or sequential, s3_toggle, file_toggle)");
            return null;
        }
        ConfigProblems at = problems.at("resolver");
        JsonFields f = JsonFields.of(node, at);
        if (!node.isObject()) {
            return null;
        }
        String method = f.requiredString("method");
        if (method == null) {
            return null;
        }
        String key = method.toLowerCase(Locale.ROOT);
        if (!RESOLVERS.contains(key)) {
            at.add("method", "unknown resolver " + RegistryValues.quote(method) + DidYouMean.suggest(method, RESOLVERS)
                    + " (known: " + String.join(", ", RESOLVERS) + ")");
            return null;
        }
        List<String> known = RESOLVER_KEYS.get(key);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                at.add(k, "unknown key for resolver " + RegistryValues.quote(key) + DidYouMean.suggest(k, known)
                        + "; known keys: " + String.join(", ", known));
            }
        }
        return switch (key) {
            case "union" -> new Resolver.Union();
            case "sequential" -> sequential(f, watchers, at);
            case "s3_toggle" -> s3Toggle(f, at);
            default -> fileToggle(f, at);
        };
    }

    private static Resolver sequential(JsonFields f, List<String> watchers, ConfigProblems at) {
        if (!f.has("sequential_order") || f.get("sequential_order").isNull()) {
            at.add("sequential_order", "is required: the watchers' names, first choice first");
            return null;
        }
        List<String> order = f.lines("sequential_order");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < order.size(); i++) {
            String name = order.get(i);
            if (!watchers.isEmpty() && !watchers.contains(name)) {
                at.add("sequential_order[" + i + "]", "unknown watcher " + RegistryValues.quote(name) + DidYouMean.suggest(name, watchers)
                        + " (watchers: " + String.join(", ", watchers) + ")");
            } else if (!seen.add(name)) {
                at.add("sequential_order[" + i + "]", RegistryValues.quote(name) + " is listed twice");
            }
        }
        List<String> missing = watchers.stream().filter(w -> !order.contains(w)).toList();
        if (!missing.isEmpty()) {
            at.add("sequential_order", "does not list watcher" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing.stream().map(RegistryValues::quote).toList()));
        }
        return new Resolver.Sequential(order);
    }

    private Resolver s3Toggle(JsonFields f, ConfigProblems at) {
        int before = at.size();
        String url = f.requiredString("s3_url");
        String bucket = null;
        String key = null;
        if (url != null) {
            int slash = url.startsWith("s3://") ? url.indexOf('/', 5) : -1;
            if (slash > 5 && slash < url.length() - 1 && !RegistryValues.hasControl(url)) {
                bucket = url.substring(5, slash);
                key = url.substring(slash + 1);
            } else {
                at.add("s3_url", "expected s3://bucket/key, got " + RegistryValues.quote(url));
            }
        }
        Duration interval = null;
        if (!f.has("s3_polling_interval_seconds") || f.get("s3_polling_interval_seconds").isNull()) {
            at.add("s3_polling_interval_seconds", "is required: seconds between two reads of the object");
        } else {
            interval = interval(f, "s3_polling_interval_seconds", 0, at);
        }
        AwsAccess access = AwsAccess.of(f.string("aws_region", null), f.string("aws_access_key_id", null),
                f.string("aws_secret_access_key", null), f.string("endpoint", null), env, at);
        if (at.size() > before) {
            return null;
        }
        return new Resolver.Toggle("s3_toggle", new ToggleSpec.S3(bucket, key, interval, access));
    }

    private static Resolver fileToggle(JsonFields f, ConfigProblems at) {
        int before = at.size();
        String text = f.requiredString("path");
        Path path = null;
        if (text != null) {
            try {
                path = Path.of(text).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                at.add("path", "not a valid path: " + e.getMessage());
            }
        }
        Duration interval = interval(f, "polling_interval_seconds", DEFAULT_FILE_INTERVAL, at);
        if (at.size() > before) {
            return null;
        }
        return new Resolver.Toggle("file_toggle", new ToggleSpec.File(path, interval));
    }

    private static Duration interval(JsonFields f, String key, double defaultValue, ConfigProblems at) {
        int before = at.size();
        Double seconds = f.seconds(key, defaultValue);
        if (at.size() > before) {
            return null;
        }
        if (seconds < MIN_INTERVAL) {
            at.add(key, "expected a number of seconds >= " + MIN_INTERVAL + ", got " + JsonFields.describe(f.get(key)));
            return null;
        }
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }
}
