package io.synapse.cli;

import io.synapse.Synapse;
import io.synapse.common.config.ConfigException;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.log.LogFormat;
import io.synapse.common.status.StatusSettings;
import io.synapse.config.ConfigLoader;
import io.synapse.config.PluginException;
import io.synapse.config.Plugins;
import io.synapse.config.SynapseConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code bin/synapse}: the daemon, {@code --once} and {@code --check}. */
@Command(name = "synapse", mixinStandardHelpOptions = true, version = "synapse 0.1.0",
        sortOptions = false,
        description = {
                "Watches service registries (ZooKeeper, etcd, EC2 tags, ...) and keeps a local HAProxy",
                "configured: a drop-in replacement for Airbnb's Ruby Synapse.",
                "",
                "Examples:",
                "  synapse --config /etc/synapse/synapse.conf.json          run the daemon",
                "  synapse --config synapse.conf.json --check               validate the config and exit",
                "  synapse --config synapse.conf.json --once                write the outputs once and exit",
                ""},
        footer = {
                "",
                "Exit status: 0 success; 1 --once timed out, an output could not be written, or the status address",
                "could not be bound; 2 invalid configuration.",
                "Logs go to stderr (level: SYNAPSE_LOG_LEVEL=DEBUG|INFO|WARN; SYNAPSE_LOG_FORMAT=json for one JSON",
                "object per line). ${VAR} and ${VAR:-default}",
                "in string values of the config are replaced from the environment.",
                "Configuration reference: README.md (docs/configuration.md)."})
public final class SynapseMain implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(SynapseMain.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "${env:SYNAPSE_CONFIG}",
            description = "synapse.conf.json (or .yaml); default: $SYNAPSE_CONFIG")
    Path config;

    @Option(names = "--check", description = "validate the configuration, print every problem, and exit")
    boolean check;

    @Option(names = "--once", description = "wait for every watcher's first snapshot, write the outputs, and exit (no reload)")
    boolean once;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "with --once: how long to wait for the first snapshots (default: ${DEFAULT-VALUE})")
    double timeoutSeconds;

    @Option(names = "--status-address", paramLabel = "ADDRESS:PORT",
            description = "serve the status page, /status, /healthz and /metrics here (e.g. 127.0.0.1:9090);"
                    + " overrides the config's status section")
    String statusAddress;

    @Option(names = "--plugins", paramLabel = "DIR",
            description = "directory of plugin jars (default: $SYNAPSE_PLUGINS_DIR or ./plugins)")
    Path pluginsDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        LogFormat.apply("SYNAPSE_LOG_FORMAT");
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit status (for tests). */
    public static int run(String... args) {
        return new CommandLine(new SynapseMain()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (config == null) {
            err.println("synapse: --config FILE is required (or set SYNAPSE_CONFIG); see --help");
            return 2;
        }
        StatusSettings statusOverride = null;
        if (statusAddress != null) {
            ConfigProblems problems = new ConfigProblems();
            statusOverride = StatusSettings.parseAddress(statusAddress, "--status-address", problems);
            if (statusOverride == null) {
                err.println("synapse: " + String.join("; ", problems.messages()));
                return 2;
            }
        }
        Plugins plugins;
        try {
            plugins = Plugins.fromClasspathAnd(pluginsDir != null ? pluginsDir : Synapse.defaultPluginsDir());
        } catch (PluginException e) {
            err.println("synapse: " + e.getMessage());
            err.flush();
            return 2;
        }
        Synapse synapse;
        try {
            SynapseConfig loaded = new ConfigLoader(plugins).load(config);
            synapse = Synapse.fromConfig(statusOverride == null ? loaded : loaded.withStatus(statusOverride));
        } catch (ConfigException e) {
            err.println("synapse: invalid configuration " + config + ":");
            e.problems().forEach(p -> err.println("  " + p));
            err.flush();
            return 2;
        }
        if (check) {
            spec.commandLine().getOut().println("configuration OK: " + synapse.config().services().size() + " service(s), generators "
                    + String.join(", ", synapse.config().generators().keySet()));
            synapse.close();
            return 0;
        }
        if (once) {
            try (synapse) {
                synapse.start();
                if (!synapse.awaitInitialized(Duration.ofMillis((long) (timeoutSeconds * 1000)))) {
                    err.println("synapse: --once timed out after " + timeoutSeconds + " s; "
                            + (synapse.uninitializedServices().isEmpty()
                                    ? "an output could not be written (see the log)"
                                    : "no snapshot yet from: " + String.join(", ", synapse.uninitializedServices())));
                    return 1;
                }
            }
            return 0;
        }
        try {
            synapse.startStatusEndpoint();
        } catch (java.io.IOException e) {
            err.println("synapse: " + e.getMessage());
            err.flush();
            synapse.close();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            LOG.info("stopping");
            synapse.close();
            stopped.countDown();
        }, "synapse-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        synapse.start();
        stopped.await();
        return 0;
    }
}
