package io.synapse.dns;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The {@code dns} watcher: the Ruby watcher's host list ({@code servers}, every A and AAAA address
 * of each host) or SRV names ({@code srv}: targets' addresses, SRV ports, priorities as HAProxy
 * {@code backup}, weights as HAProxy weights), re-resolved when the answers' TTLs run out. Services
 * asking the same nameservers share one resolver, and one query per name per interval. See {@link
 * DnsConfig} for the options.
 */
public final class DnsWatcherFactory implements WatcherFactory<DnsConfig> {
    public static final String NAME = "dns";

    static final double DEFAULT_MAX_INTERVAL = 30;
    static final double DEFAULT_MIN_INTERVAL = 1;
    static final double SHORTEST_INTERVAL = 0.1;
    static final double DEFAULT_TIMEOUT = 5;
    static final double LONGEST_TIMEOUT = 60;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<DnsConfig> configClass() {
        return DnsConfig.class;
    }

    @Override
    public void validate(DnsConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        if (config.servers() == null && config.srv() == null) {
            problems.add("", "set servers (a list of {name, host, port}) or srv (SRV names)");
        } else if (config.servers() != null && config.srv() != null) {
            problems.add("srv", "set either servers or srv, not both");
        }
        if (config.servers() != null) {
            if (config.servers().isEmpty()) {
                problems.add("servers", "must not be empty");
            }
            for (int i = 0; i < config.servers().size(); i++) {
                validateServer(config.servers().get(i), problems.at("servers[" + i + "]"));
            }
        }
        if (config.srv() != null) {
            if (config.srv().isEmpty()) {
                problems.add("srv", "must not be empty");
            }
            for (int i = 0; i < config.srv().size(); i++) {
                String problem = nameProblem(config.srv().get(i));
                if (problem != null) {
                    problems.add("srv[" + i + "]", problem);
                }
            }
        }
        if (config.nameserver() != null) {
            if (config.nameserver().isEmpty()) {
                problems.add("nameserver", "must not be empty");
            }
            for (int i = 0; i < config.nameserver().size(); i++) {
                try {
                    ResolverKey.parse(config.nameserver().get(i));
                } catch (IllegalArgumentException e) {
                    problems.add("nameserver[" + i + "]", e.getMessage());
                }
            }
        }
        boolean intervalsOk = checkSeconds("check_interval", config.checkInterval(), SHORTEST_INTERVAL, Double.MAX_VALUE, problems)
                & checkSeconds("min_interval", config.minInterval(), SHORTEST_INTERVAL, Double.MAX_VALUE, problems)
                & checkSeconds("max_interval", config.maxInterval(), SHORTEST_INTERVAL, Double.MAX_VALUE, problems);
        checkSeconds("timeout", config.timeout(), SHORTEST_INTERVAL, LONGEST_TIMEOUT, problems);
        if (config.checkInterval() != null && config.maxInterval() != null) {
            problems.add("max_interval", "set either check_interval (the Ruby key) or max_interval, not both: they are the same setting");
        } else if (intervalsOk && config.minInterval() != null && config.minInterval() > maxInterval(config)) {
            problems.add("min_interval", config.minInterval() + " is above " + (config.checkInterval() != null ? "check_interval " : "max_interval ")
                    + maxInterval(config));
        }
    }

    private static void validateServer(DnsConfig.Server server, ConfigProblems problems) {
        if (server == null) {
            problems.add("", "expected {name, host, port}");
            return;
        }
        if (server.name() != null) {
            String problem = RegistryValues.checkName(server.name());
            if (problem != null) {
                problems.add("name", problem);
            }
        }
        if (server.host() == null) {
            problems.add("host", "is required");
        } else {
            String problem = RegistryValues.checkHost(server.host());
            if (problem != null) {
                problems.add("host", problem);
            }
        }
        if (server.port() != null && RegistryValues.checkPort(server.port()) != null) {
            problems.add("port", "expected an integer 1-65535, got " + server.port());
        }
        if (server.labels() != null) {
            for (Map.Entry<String, String> label : server.labels().entrySet()) {
                String problem = RegistryValues.checkLabel(label.getKey(), label.getValue());
                if (problem != null) {
                    problems.add("labels", problem);
                }
            }
        }
    }

    private static String nameProblem(String name) {
        if (name == null || name.isBlank()) {
            return "must not be empty";
        }
        String host = RegistryValues.checkHost(name);
        if (host != null || RegistryValues.isIpAddress(name)) {
            return "expected a DNS name like _api._tcp.example.com, got " + RegistryValues.quote(name);
        }
        return null;
    }

    private static boolean checkSeconds(String key, Double value, double min, double max, ConfigProblems problems) {
        if (value == null) {
            return true;
        }
        if (value.isNaN() || value.isInfinite() || value < min || value > max) {
            problems.add(key, "expected a number of seconds " + (max == Double.MAX_VALUE ? ">= " + min : min + "-" + (long) max)
                    + ", got " + value);
            return false;
        }
        return true;
    }

    private static double maxInterval(DnsConfig config) {
        if (config.maxInterval() != null) {
            return config.maxInterval();
        }
        return config.checkInterval() != null ? config.checkInterval() : DEFAULT_MAX_INTERVAL;
    }

    /** SRV answers carry ports; a host-list entry without a port needs the service's port override. */
    @Override
    public boolean providesPorts(DnsConfig config) {
        return config.servers() == null || config.servers().stream().allMatch(s -> s == null || s.port() != null);
    }

    @Override
    public ServiceWatcher create(WatcherContext context, DnsConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        return new DnsServiceWatcher(context.serviceName(), settings(context, config), listener, DnsClient.SHARED);
    }

    /** Validates and applies defaults; throws IllegalArgumentException listing every problem. */
    static Settings settings(WatcherContext context, DnsConfig config) {
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        new DnsWatcherFactory().validate(config, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        List<InetSocketAddress> nameservers = new ArrayList<>();
        if (config.nameserver() != null) {
            config.nameserver().stream().map(ResolverKey::parse).distinct().forEach(nameservers::add);
        } else {
            nameservers.addAll(ResolverConfig.getCurrentConfig().servers());
            if (nameservers.isEmpty()) {
                nameservers.add(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), ResolverKey.DNS_PORT));
            }
        }
        Duration timeout = seconds(config.timeout() == null ? DEFAULT_TIMEOUT : config.timeout());
        Set<Question> srv = new LinkedHashSet<>();
        if (config.srv() != null) {
            config.srv().forEach(name -> srv.add(Question.of(name.strip(), Type.SRV)));
        }
        List<Settings.Host> hosts = new ArrayList<>();
        if (config.servers() != null) {
            for (DnsConfig.Server s : config.servers()) {
                hosts.add(new Settings.Host(s.name(), s.host(), RegistryValues.isIpAddress(s.host()),
                        s.port() == null ? Settings.PLACEHOLDER_PORT : s.port(), s.labels()));
            }
        }
        double max = maxInterval(config);
        double min = Math.min(config.minInterval() == null ? DEFAULT_MIN_INTERVAL : config.minInterval(), max);
        return new Settings(new ResolverKey(nameservers, timeout), List.copyOf(srv), hosts, seconds(min), seconds(max));
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }
}
