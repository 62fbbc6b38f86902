package io.synapse.nerve;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.log.LogFormat;
import io.synapse.common.status.StatusServer;
import io.synapse.common.status.StatusSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code nerve [-c FILE] [-k] [-i ID]}: health-checks local services and keeps exactly the healthy
 * ones registered in ZooKeeper or etcd.
 *
 * <p>Signals (installed with {@code sun.misc.Signal}, the only JDK way to catch them): SIGHUP
 * reloads the config (an invalid config is reported and the running one kept); SIGTERM removes
 * every registration (within about a second) and exits 0. The deregistration runs in a shutdown
 * hook, so SIGINT and a normal exit deregister too.
 *
 * <p>Exit codes: 0 ok, 1 invalid config (all problems printed, each with its JSON path) or a status
 * address that cannot be bound, 2 usage error.
 */
@Command(name = "nerve", mixinStandardHelpOptions = true, version = "nerve 0.1.0",
        description = "Health-checks local services and registers the healthy ones in ZooKeeper or etcd.")
public final class NerveMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(NerveMain.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "nerve.conf.json or .yaml (default: $NERVE_CONFIG)")
    Path configFile;

    @Option(names = {"-k", "--check-config"}, description = "validate the config and exit (0 when valid)")
    boolean checkConfig;

    @Option(names = {"-i", "--instance-id"}, paramLabel = "ID",
            description = "this host's id, overriding instance_id (default: $NERVE_INSTANCE_ID)")
    String instanceId;

    @Option(names = "--status-address", paramLabel = "ADDRESS:PORT",
            description = "serve the status page, /status, /healthz and /metrics here (e.g. 127.0.0.1:9091);"
                    + " overrides the config's status section")
    String statusAddress;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;

    NerveMain(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        if (System.getProperty("sun.net.http.allowRestrictedHeaders") == null) {
            System.setProperty("sun.net.http.allowRestrictedHeaders", "true");
        }
        LogFormat.apply("NERVE_LOG_FORMAT");
        quietRegistryClientLogs();
        int code = new CommandLine(new NerveMain(System.getenv(), System.out, System.err)).execute(args);
        if (code != 0 || !DAEMON_STARTED) {
            System.exit(code);
        }
    }

    private static volatile boolean DAEMON_STARTED;

    /**
     * The ZooKeeper client logs a warning with a stack trace on every reconnect attempt; nerve logs
     * the connection states itself (one line each), so that logger only reports errors.
     */
    private static void quietRegistryClientLogs() {
        org.slf4j.Logger cnxn = LoggerFactory.getLogger("org.apache.zookeeper.ClientCnxn");
        if (cnxn instanceof ch.qos.logback.classic.Logger logback && logback.getLevel() == null) {
            logback.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        Path file = configFile;
        if (file == null && env.get("NERVE_CONFIG") != null && !env.get("NERVE_CONFIG").isEmpty()) {
            file = Path.of(env.get("NERVE_CONFIG"));
        }
        if (file == null) {
            err.println("nerve: no config file: use --config FILE or set NERVE_CONFIG");
            return 2;
        }
        String id = instanceId;
        if (id == null && env.get("NERVE_INSTANCE_ID") != null && !env.get("NERVE_INSTANCE_ID").isEmpty()) {
            id = env.get("NERVE_INSTANCE_ID");
        }
        StatusSettings statusOverride = null;
        if (statusAddress != null) {
            ConfigProblems problems = new ConfigProblems();
            statusOverride = StatusSettings.parseAddress(statusAddress, "--status-address", problems);
            if (statusOverride == null) {
                err.println("nerve: " + String.join("; ", problems.messages()));
                return 2;
            }
        }
        ConfigLoader loader = new ConfigLoader(env);
        ConfigLoader.Result result = loader.load(file, id);
        if (checkConfig) {
            List<String> problems = new ArrayList<>(result.problems());
            if (result.config() != null) {
                problems.addAll(loader.checkEnvironment(result.config()));
            }
            if (!problems.isEmpty()) {
                printProblems(file, problems);
                return 1;
            }
            out.println(file + ": OK, instance " + result.config().instanceId() + ", " + result.config().services().size()
                    + " services" + (result.config().services().isEmpty() ? ""
                    : " (" + String.join(", ", result.config().services().keySet()) + ")"));
            return 0;
        }
        if (result.fatal()) {
            printProblems(file, result.problems());
            return 1;
        }
        for (String problem : result.problems()) {
            log.error("config: {}", problem);
        }
        if (!result.badServices().isEmpty()) {
            log.error("config: skipping {} invalid services {}; the others run", result.badServices().size(),
                    result.badServices());
        }
        NerveConfig config = statusOverride == null ? result.config() : result.config().withStatus(statusOverride);
        Nerve nerve = new Nerve(config);
        StatusServer status = null;
        if (config.status() != null) {
            try {
                status = StatusServer.start(config.status(), new NerveStatus(nerve), "nerve");
            } catch (java.io.IOException e) {
                err.println("nerve: " + e.getMessage());
                nerve.close();
                return 1;
            }
        }
        StatusServer statusServer = status;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: removing registrations");
            nerve.close();
            if (statusServer != null) {
                statusServer.close();
            }
            stopped.countDown();
        }, "nerve-shutdown"));
        installSignals(nerve, loader, file, id, statusOverride != null);
        nerve.start();
        DAEMON_STARTED = true;
        stopped.await();
        return 0;
    }

    private void printProblems(Path file, List<String> problems) {
        err.println("nerve: " + file + ": " + (problems.size() == 1 ? "1 problem" : problems.size() + " problems") + ":");
        for (String p : problems) {
            err.println("  " + p);
        }
    }

    private static void installSignals(Nerve nerve, ConfigLoader loader, Path file, String id, boolean statusFromCommandLine) {
        // SIGTERM: the shutdown hook deregisters; exit 0 (the JVM's default would be 143)
        Signal.handle(new Signal("TERM"), signal -> System.exit(0));
        Signal.handle(new Signal("HUP"), signal -> {
            Thread t = new Thread(() -> reload(nerve, loader, file, id, statusFromCommandLine), "nerve-reload");
            t.setDaemon(true);
            t.start();
        });
    }

    private static synchronized void reload(Nerve nerve, ConfigLoader loader, Path file, String id, boolean statusFromCommandLine) {
        log.info("SIGHUP: reloading {}", file);
        ConfigLoader.Result result = loader.load(file, id);
        for (String problem : result.problems()) {
            log.error("config: {}", problem);
        }
        if (result.fatal()) {
            log.error("reload: {} is invalid; keeping the running config", file);
            return;
        }
        if (!result.badServices().isEmpty()) {
            log.error("reload: skipping {} invalid services {}", result.badServices().size(), result.badServices());
        }
        // the status endpoint keeps its address until a restart
        StatusSettings serving = nerve.config().status();
        if (!statusFromCommandLine && !java.util.Objects.equals(serving, result.config().status())) {
            log.warn("reload: the status section changed; it takes effect when nerve restarts (serving on {})",
                    serving == null ? "nothing" : serving.describe());
        }
        nerve.reload(result.config().withStatus(serving));
    }
}
