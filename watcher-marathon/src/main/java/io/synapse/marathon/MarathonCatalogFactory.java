package io.synapse.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.config.JsonFields;
import io.synapse.spi.Catalog;
import io.synapse.spi.CatalogContext;
import io.synapse.spi.CatalogFactory;
import io.synapse.spi.CatalogListener;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The {@code marathon} catalog: Marathon-LB's app groups. Every app whose {@code HAPROXY_GROUP}
 * matches becomes one service per service port, named {@code <app>_<servicePort>}, with a
 * frontend on the service port; see {@link AppServices}.
 */
public final class MarathonCatalogFactory implements CatalogFactory<MarathonCatalogConfig> {
    @Override
    public String name() {
        return MarathonWatcherFactory.NAME;
    }

    @Override
    public Class<MarathonCatalogConfig> configClass() {
        return MarathonCatalogConfig.class;
    }

    @Override
    public void validate(MarathonCatalogConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        Endpoints.urls(config.marathonApiUrl(), "marathon_api_url", problems);
        MarathonWatcherFactory.credentials(config.credentials(), problems);
        groups(config.group(), problems);
        MarathonWatcherFactory.checkInterval(config.checkInterval(), problems);
    }

    /** {@code group}: a non-empty string or a non-empty list of them. */
    static List<String> groups(JsonNode node, ConfigProblems problems) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            problems.add("group", "is required (the HAPROXY_GROUP of the apps to serve, or \"*\" for every app)");
        } else if (node.isTextual() && !node.asText().isBlank()) {
            out.add(node.asText().strip());
        } else if (node.isArray() && !node.isEmpty()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode g = node.get(i);
                if (g.isTextual() && !g.asText().isBlank()) {
                    out.add(g.asText().strip());
                } else {
                    problems.add("group[" + i + "]", "expected a group name, got " + JsonFields.describe(g));
                }
            }
        } else {
            problems.add("group", "expected a group name or a non-empty list of them, got " + JsonFields.describe(node));
        }
        return out;
    }

    @Override
    public Catalog create(CatalogContext context, MarathonCatalogConfig config, CatalogListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        validate(config, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        List<String> urls = Endpoints.urls(config.marathonApiUrl(), "marathon_api_url", new ConfigProblems());
        AppServices services = new AppServices(groups(config.group(), new ConfigProblems()), urls, config.credentials(),
                config.checkInterval());
        return new MarathonCatalog(context.catalogName(), Endpoints.baseKey(urls, config.credentials()),
                MarathonWatcherFactory.interval(config.checkInterval()), services, listener);
    }
}
