package io.synapse.multi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactories;
import io.synapse.spi.WatcherFactory;
import io.synapse.spi.WatcherListener;

import static java.util.Objects.requireNonNull;

/**
 * The {@code zookeeper_dns} watcher (Ruby Synapse's): the children of a ZooKeeper node name hosts
 * (nerve registrations whose {@code host} is a DNS name), and each name is resolved, and resolved
 * again, by DNS. Built from the installed {@code zookeeper} and {@code dns} watchers through {@link
 * WatcherFactories}: a {@code zookeeper} child reads the registrations, and each set it publishes
 * becomes the {@code servers} list of a {@code dns} child. See {@link ZookeeperDnsConfig}.
 */
public final class ZookeeperDnsWatcherFactory implements WatcherFactory<ZookeeperDnsConfig>, WatcherFactories.Aware {
    public static final String NAME = "zookeeper_dns";
    static final double DEFAULT_CHECK_INTERVAL = 30;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private volatile WatcherFactories factories;

    @Override
    public void setWatcherFactories(WatcherFactories factories) {
        this.factories = requireNonNull(factories, "factories is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<ZookeeperDnsConfig> configClass() {
        return ZookeeperDnsConfig.class;
    }

    @Override
    public void validate(ZookeeperDnsConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        WatcherFactories all = factories();
        if (!all.methods().contains("zookeeper") || !all.methods().contains("dns")) {
            problems.add("method", "zookeeper_dns needs the zookeeper and dns watchers (installed: " + String.join(", ", all.methods()) + ")");
            return;
        }
        all.bind(zookeeperSection(config), problems);
        // a placeholder host checks the DNS keys now; the real hosts come from ZooKeeper
        ObjectNode dns = dnsSection(config);
        dns.putArray("servers").addObject().put("host", "localhost").put("port", 1);
        all.bind(dns, problems);
    }

    @Override
    public ServiceWatcher create(WatcherContext context, ZookeeperDnsConfig config, WatcherListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        validate(config, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        WatcherFactories.Child zookeeper = factories().bind(zookeeperSection(config), problems);
        return new ZookeeperDnsWatcher(context, zookeeper, dnsSection(config), factories(), listener);
    }

    private WatcherFactories factories() {
        WatcherFactories all = factories;
        if (all == null) {
            throw new IllegalStateException("the zookeeper_dns watcher was not given the installed watchers (WatcherFactories.Aware)");
        }
        return all;
    }

    /** Ruby's zookeeper child: hosts, path and generator_config_path, plus the zookeeper watcher's other keys. */
    static ObjectNode zookeeperSection(ZookeeperDnsConfig config) {
        ObjectNode zk = JSON.objectNode().put("method", "zookeeper");
        put(zk, "hosts", config.hosts());
        put(zk, "path", config.path());
        put(zk, "generator_config_path", config.generatorConfigPath());
        put(zk, "decode", config.decode());
        put(zk, "discovery_jitter", config.discoveryJitter());
        put(zk, "retry_policy", config.retryPolicy());
        put(zk, "auth", config.auth());
        put(zk, "resync_jitter", config.resyncJitter());
        return zk;
    }

    /** The dns child without its servers: nameserver and check_interval (Ruby's default 30 s). */
    static ObjectNode dnsSection(ZookeeperDnsConfig config) {
        ObjectNode dns = JSON.objectNode().put("method", "dns");
        put(dns, "nameserver", config.nameserver());
        if (!put(dns, "check_interval", config.checkInterval())) {
            dns.put("check_interval", DEFAULT_CHECK_INTERVAL);
        }
        return dns;
    }

    private static boolean put(ObjectNode section, String key, JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return false;
        }
        section.set(key, value);
        return true;
    }
}
