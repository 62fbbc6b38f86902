package io.synapse.config;

import io.synapse.common.status.StatusSettings;
import io.synapse.spi.ConfigGenerator;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A loaded, validated configuration: services in file order, the generators created from it (not
 * yet started: nothing has been written), and the catalogs that add services at run time.
 *
 * @param catalogParser validates the services catalogs define, as the loader validated the file's
 * @param status where to serve the status page, {@code /status}, {@code /healthz} and {@code /metrics};
 *     {@code null}: not served
 */
public record SynapseConfig(
        Map<String, ServiceConfig> services,
        Map<String, ConfigGenerator> generators,
        StatsdConfig statsd,
        List<CatalogConfig> catalogs,
        CatalogConfig.ServiceParser catalogParser,
        StatusSettings status) {
    public SynapseConfig {
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        generators = Collections.unmodifiableMap(new LinkedHashMap<>(generators));
        catalogs = List.copyOf(catalogs);
        requireNonNull(catalogParser, "catalogParser is null");
    }

    /** A config without a status endpoint. */
    public SynapseConfig(Map<String, ServiceConfig> services, Map<String, ConfigGenerator> generators, StatsdConfig statsd,
            List<CatalogConfig> catalogs, CatalogConfig.ServiceParser catalogParser) {
        this(services, generators, statsd, catalogs, catalogParser, null);
    }

    /** The same config served on {@code status} (the command line's {@code --status-address}). */
    public SynapseConfig withStatus(StatusSettings status) {
        return new SynapseConfig(services, generators, statsd, catalogs, catalogParser, status);
    }

    /** A config without catalogs. */
    public SynapseConfig(Map<String, ServiceConfig> services, Map<String, ConfigGenerator> generators, StatsdConfig statsd) {
        this(services, generators, statsd, List.of(), (name, node, catalog, g, problems) -> {
            problems.add("", "no catalogs are configured");
            return null;
        });
    }

    /** {@code statsd: {host, port}}, or null. */
    public record StatsdConfig(String host, int port) {}
}
