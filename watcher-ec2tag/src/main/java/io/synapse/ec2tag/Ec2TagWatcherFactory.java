package io.synapse.ec2tag;

import io.synapse.common.concurrent.SharedResources;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The {@code ec2tag} watcher: running EC2 instances carrying {@code tag_name = tag_value}, read
 * with DescribeInstances (AWS SDK v2). Services with the same region, endpoint, credentials and
 * filters share one poller, hence one DescribeInstances sequence per (shortest) interval. See
 * {@link Ec2TagConfig} for the options.
 */
public final class Ec2TagWatcherFactory implements WatcherFactory<Ec2TagConfig> {
    public static final String NAME = "ec2tag";

    static final double DEFAULT_CHECK_INTERVAL = 15;
    static final double MIN_CHECK_INTERVAL = 0.1;
    static final int MAX_TAG_KEY_LENGTH = 128;
    static final int MAX_TAG_VALUE_LENGTH = 256;
    private static final Pattern REGION = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    /**
     * The live pollers, one per {@link PollerKey}: the first watcher of a key creates its poller,
     * the last one to leave closes it. JVM-wide, so that sharing does not depend on how many
     * factory instances the engine makes. In a holder class, so that the poller and the AWS SDK
     * are loaded only when a service uses this watcher, not by {@code --check} or other services.
     */
    private static final class Shared {
        static final SharedResources<PollerKey, Ec2Poller> POLLERS = pollers();
    }

    private final Supplier<SharedResources<PollerKey, Ec2Poller>> pollers;
    private final Function<String, String> env;

    public Ec2TagWatcherFactory() {
        this.pollers = () -> Shared.POLLERS;
        this.env = System::getenv;
    }

    Ec2TagWatcherFactory(SharedResources<PollerKey, Ec2Poller> pollers, Function<String, String> env) {
        requireNonNull(pollers, "pollers is null");
        this.pollers = () -> pollers;
        this.env = requireNonNull(env, "env is null");
    }

    /** A new pool of pollers. */
    static SharedResources<PollerKey, Ec2Poller> pollers() {
        return new SharedResources<>("ec2tag poller", Ec2Poller::new, Ec2Poller::close);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<Ec2TagConfig> configClass() {
        return Ec2TagConfig.class;
    }

    @Override
    public void validate(Ec2TagConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        checkTag("tag_name", config.tagName(), MAX_TAG_KEY_LENGTH, problems);
        checkTag("tag_value", config.tagValue(), MAX_TAG_VALUE_LENGTH, problems);

        if (config.awsRegion() != null) {
            checkRegion("aws_region", config.awsRegion(), problems);
        } else {
            String fromEnv = regionFromEnv();
            if (fromEnv == null) {
                problems.add("aws_region", "required (or set the AWS_REGION or AWS_DEFAULT_REGION environment variable)");
            } else {
                checkRegion("aws_region", fromEnv, problems);
            }
        }

        boolean hasId = config.awsAccessKeyId() != null;
        boolean hasSecret = config.awsSecretAccessKey() != null;
        if (hasId && config.awsAccessKeyId().isBlank()) {
            problems.add("aws_access_key_id", "must not be empty");
        }
        if (hasSecret && config.awsSecretAccessKey().isEmpty()) {
            problems.add("aws_secret_access_key", "must not be empty");
        }
        if (hasId && !hasSecret) {
            problems.add("aws_secret_access_key", "required when aws_access_key_id is set");
        }
        if (hasSecret && !hasId) {
            problems.add("aws_access_key_id", "required when aws_secret_access_key is set");
        }

        Double interval = config.checkInterval();
        if (interval != null && (interval.isNaN() || interval.isInfinite() || interval < MIN_CHECK_INTERVAL)) {
            problems.add("check_interval", "expected a number of seconds >= " + MIN_CHECK_INTERVAL + ", got " + interval);
        }

        if (config.endpoint() != null && endpointUri(config.endpoint()) == null) {
            problems.add("endpoint", "expected an http or https URL, got " + RegistryValues.quote(config.endpoint()));
        }

        if (config.address() != null && parse(Settings.Address.class, config.address()) == null) {
            problems.add("address", "expected one of " + keys(Settings.Address.values()) + ", got " + RegistryValues.quote(config.address()));
        }
        if (config.serverName() != null && parse(Settings.ServerName.class, config.serverName()) == null) {
            problems.add("server_name", "expected one of " + keys(Settings.ServerName.values()) + ", got " + RegistryValues.quote(config.serverName()));
        }

        if (config.portTag() != null) {
            checkTag("port_tag", config.portTag(), MAX_TAG_KEY_LENGTH, problems);
            if (config.port() != null) {
                problems.add("port", "set either port or port_tag, not both");
            }
        }
        if (config.port() != null && RegistryValues.checkPort(config.port()) != null) {
            problems.add("port", "expected an integer 1-65535, got " + config.port());
        }

        if (config.filters() != null) {
            for (Map.Entry<String, List<String>> filter : config.filters().entrySet()) {
                String name = filter.getKey();
                String path = "filters." + name;
                if (name.isBlank() || RegistryValues.hasControl(name)) {
                    problems.add("filters", "filter name " + RegistryValues.quote(name) + ": expected a non-empty name without control characters");
                    continue;
                }
                if (name.equals(Ec2Filter.RUNNING.name())) {
                    problems.add(path, "set by the watcher, which reads running instances only");
                } else if (config.tagName() != null && name.equals("tag:" + config.tagName())) {
                    problems.add(path, "set by tag_name and tag_value");
                }
                List<String> values = filter.getValue();
                if (values == null || values.isEmpty()) {
                    problems.add(path, "expected a non-empty list of values");
                } else if (values.stream().anyMatch(v -> v == null || RegistryValues.hasControl(v))) {
                    problems.add(path, "values must be strings without control characters");
                }
            }
        }
    }

    /** Instances carry no port unless {@code port} or {@code port_tag} is set: the service must override it. */
    @Override
    public boolean providesPorts(Ec2TagConfig config) {
        return config.port() != null || config.portTag() != null;
    }

    @Override
    public ServiceWatcher create(WatcherContext context, Ec2TagConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        return new Ec2TagWatcher(context.serviceName(), settings(context, config), listener, pollers.get());
    }

    /** Validates and applies defaults; throws IllegalArgumentException listing every problem. */
    Settings settings(WatcherContext context, Ec2TagConfig config) {
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        validate(config, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        String region = config.awsRegion() != null ? config.awsRegion() : regionFromEnv();
        URI endpoint = config.endpoint() == null ? null : endpointUri(config.endpoint());
        ClientSpec.StaticKeys keys = config.awsAccessKeyId() == null
                ? null
                : new ClientSpec.StaticKeys(config.awsAccessKeyId(), config.awsSecretAccessKey());
        List<Ec2Filter> filters = new ArrayList<>();
        filters.add(Ec2Filter.of("tag:" + config.tagName(), config.tagValue()));
        if (config.filters() != null) {
            config.filters().forEach((name, values) -> filters.add(new Ec2Filter(name, values)));
        }
        PollerKey key = new PollerKey(new ClientSpec(region, endpoint, keys), filters);
        double seconds = config.checkInterval() == null ? DEFAULT_CHECK_INTERVAL : config.checkInterval();
        Duration interval = Duration.ofNanos(Math.round(seconds * 1e9));
        Settings.Address address = config.address() == null ? Settings.Address.PRIVATE_IP : parse(Settings.Address.class, config.address());
        Settings.ServerName serverName = config.serverName() == null
                ? Settings.ServerName.INSTANCE_ID
                : parse(Settings.ServerName.class, config.serverName());
        return new Settings(key, interval, address, config.portTag(), config.port(), serverName);
    }

    private String regionFromEnv() {
        for (String variable : List.of("AWS_REGION", "AWS_DEFAULT_REGION")) {
            String value = env.apply(variable);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        return null;
    }

    private static void checkTag(String path, String value, int maxLength, ConfigProblems problems) {
        if (value == null) {
            problems.add(path, "required");
        } else if (value.isEmpty()) {
            problems.add(path, "must not be empty");
        } else if (value.length() > maxLength || RegistryValues.hasControl(value)) {
            problems.add(path, "expected at most " + maxLength + " characters without control characters, got " + RegistryValues.quote(value));
        }
    }

    private static void checkRegion(String path, String region, ConfigProblems problems) {
        if (!REGION.matcher(region).matches()) {
            problems.add(path, "expected a region name like us-east-1, got " + RegistryValues.quote(region));
        }
    }

    private static URI endpointUri(String text) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && uri.getUserInfo() == null) {
                return uri;
            }
            return null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String key) {
        for (E value : type.getEnumConstants()) {
            if (value.name().toLowerCase(Locale.ROOT).equals(key)) {
                return value;
            }
        }
        return null;
    }

    private static String keys(Enum<?>[] values) {
        return Arrays.stream(values).map(v -> v.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
}
