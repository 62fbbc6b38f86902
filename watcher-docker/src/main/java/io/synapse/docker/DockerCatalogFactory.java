package io.synapse.docker;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.Catalog;
import io.synapse.spi.CatalogContext;
import io.synapse.spi.CatalogFactory;
import io.synapse.spi.CatalogListener;

import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The {@code docker} catalog: services defined by container labels ({@code synapse.service=web},
 * {@code synapse.port=80}, optionally {@code synapse.frontend_port=3210} and {@code
 * synapse.mode=tcp}), which appear and disappear with the containers. Each service it defines is
 * watched by the {@code docker} watcher with a label selector, on the same shared engine
 * connection and event stream as the catalog itself. See {@link DockerCatalog}.
 */
public final class DockerCatalogFactory implements CatalogFactory<DockerCatalogConfig> {
    public static final String NAME = "docker";
    static final String DEFAULT_PREFIX = "synapse";

    private final Function<String, String> env;

    public DockerCatalogFactory() {
        this(System::getenv);
    }

    DockerCatalogFactory(Function<String, String> env) {
        this.env = requireNonNull(env, "env is null");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<DockerCatalogConfig> configClass() {
        return DockerCatalogConfig.class;
    }

    @Override
    public void validate(DockerCatalogConfig config, ConfigProblems problems) {
        requireNonNull(config, "config is null");
        requireNonNull(problems, "problems is null");
        DockerWatcherFactory.validateEngines(config.servers(), config.socket(), config.tls(), env, problems);
        if (config.labelPrefix() != null && !config.labelPrefix().matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            problems.add("label_prefix", "expected letters, digits and . _ - (like synapse or com.example.lb), got "
                    + RegistryValues.quote(config.labelPrefix()));
        }
        if (config.checkInterval() != null && !(config.checkInterval() > 0 && config.checkInterval() <= 86_400)) {
            problems.add("check_interval", "expected a number of seconds above 0 (at most 86400), got " + config.checkInterval());
        }
        if (config.network() != null && (config.network().isBlank() || RegistryValues.hasControl(config.network()))) {
            problems.add("network", "expected a Docker network name, got " + RegistryValues.quote(config.network()));
        }
    }

    @Override
    public Catalog create(CatalogContext context, DockerCatalogConfig config, CatalogListener listener) {
        requireNonNull(context, "context is null");
        requireNonNull(config, "config is null");
        requireNonNull(listener, "listener is null");
        ConfigProblems problems = new ConfigProblems().at(context.configPath());
        validate(config, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.toString());
        }
        return new DockerCatalog(context.catalogName(), config,
                DockerWatcherFactory.targets(config.servers(), config.socket(), config.tls(), env), listener);
    }
}
