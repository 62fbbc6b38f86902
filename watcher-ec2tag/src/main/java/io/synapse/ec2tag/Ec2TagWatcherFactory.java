package io.synapse.ec2tag;

import io.synapse.common.concurrent.SharedResources;
import io.synapse.common.aws.AwsAccess;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
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

        AwsAccess.of(config.awsRegion(), config.awsAccessKeyId(), config.awsSecretAccessKey(), config.endpoint(), env, problems);

        Double interval = config.checkInterval();
        if (interval != null && (interval.isNaN() || interval.isInfinite() || interval < MIN_CHECK_INTERVAL)) {
            problems.add("check_interval", "expected a number of seconds >= " + MIN_CHECK_INTERVAL + ", got " + interval);
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
        AwsAccess access = AwsAccess.of(config.awsRegion(), config.awsAccessKeyId(), config.awsSecretAccessKey(), config.endpoint(),
                env, new ConfigProblems());
        List<Ec2Filter> filters = new ArrayList<>();
        filters.add(Ec2Filter.of("tag:" + config.tagName(), config.tagValue()));
        if (config.filters() != null) {
            config.filters().forEach((name, values) -> filters.add(new Ec2Filter(name, values)));
        }
        PollerKey key = new PollerKey(access, filters);
        double seconds = config.checkInterval() == null ? DEFAULT_CHECK_INTERVAL : config.checkInterval();
        Duration interval = Duration.ofNanos(Math.round(seconds * 1e9));
        Settings.Address address = config.address() == null ? Settings.Address.PRIVATE_IP : parse(Settings.Address.class, config.address());
        Settings.ServerName serverName = config.serverName() == null
                ? Settings.ServerName.INSTANCE_ID
                : parse(Settings.ServerName.class, config.serverName());
        return new Settings(key, interval, address, config.portTag(), config.port(), serverName);
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
