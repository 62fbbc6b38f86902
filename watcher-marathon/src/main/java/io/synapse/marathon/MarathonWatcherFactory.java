package io.synapse.marathon;

import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import java.time.Duration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The {@code marathon} watcher: a Marathon app's tasks as a service's backends, with the Ruby
 * watcher's keys ({@code marathon_api_url}, {@code application_name}, {@code check_interval},
 * {@code port_index}, {@code marathon_api_path}), kept current by Marathon's event stream. See
 * {@link MarathonConfig} and {@link MarathonClient}.
 */
public final class MarathonWatcherFactory implements WatcherFactory<MarathonConfig> {
    public static final String NAME = "marathon";
    static final double DEFAULT_CHECK_INTERVAL = 10;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<MarathonConfig> configClass() {
        return MarathonConfig.class;
    }

    @Override
    public void validate(MarathonConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        Endpoints.urls(config.marathonApiUrl(), "marathon_api_url", problems);
        if (config.applicationName() == null) {
            problems.add("application_name", "is required");
        } else {
            String problem = Endpoints.appIdProblem(config.applicationName());
            if (problem != null) {
                problems.add("application_name", problem);
            }
        }
        checkInterval(config.checkInterval(), problems);
        if (config.portIndex() != null && config.portIndex() < 0) {
            problems.add("port_index", "expected 0 or more, got " + config.portIndex());
        }
        if (config.marathonApiPath() != null) {
            String problem = Endpoints.apiPathProblem(config.marathonApiPath());
            if (problem != null) {
                problems.add("marathon_api_path", problem);
            }
        }
        credentials(config.credentials(), problems);
    }

    static void checkInterval(Double seconds, ConfigProblems problems) {
        if (seconds != null && (seconds.isNaN() || seconds < 0.01 || seconds > 86_400)) {
            problems.add("check_interval", "expected seconds between 0.01 and 86400, got " + seconds);
        }
    }

    static void credentials(String credentials, ConfigProblems problems) {
        if (credentials != null) {
            String problem = Endpoints.credentialsProblem(credentials);
            if (problem != null) {
                problems.add("credentials", problem);
            }
        }
    }

    static Duration interval(Double seconds) {
        return Duration.ofMillis(Math.round((seconds == null ? DEFAULT_CHECK_INTERVAL : seconds) * 1000));
    }

    @Override
    public ServiceWatcher create(WatcherContext context, MarathonConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        validate(config, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        List<String> urls = Endpoints.urls(config.marathonApiUrl(), "marathon_api_url", new ConfigProblems());
        String path = config.marathonApiPath() == null ? Endpoints.STANDARD_TASKS_PATH : config.marathonApiPath();
        int portIndex = config.portIndex() == null ? 0 : config.portIndex();
        Duration interval = interval(config.checkInterval());
        Endpoints.Key key = Endpoints.rubyKey(urls, config.credentials(), path);
        if (key == null) {
            return new TaskPathPoller(context.serviceName(), config.applicationName(),
                    Endpoints.pathTargets(urls, config.credentials(), path, config.applicationName()), portIndex, interval, listener);
        }
        return new MarathonServiceWatcher(context.serviceName(), key, Endpoints.absoluteAppId(config.applicationName()), portIndex,
                interval, listener);
    }
}
