package io.synapse.nerve;

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
 * <p>Exit codes: 0 ok, 1 invalid config (all problems printed, each with its JSON path), 2 usage error.
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
        Nerve nerve = new Nerve(result.config());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: removing registrations");
            nerve.close();
            stopped.countDown();
        }, "nerve-shutdown"));
        installSignals(nerve, loader, file, id);
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

    private static void installSignals(Nerve nerve, ConfigLoader loader, Path file, String id) {
        // SIGTERM: the shutdown hook deregisters; exit 0 (the JVM's default would be 143)
        Signal.handle(new Signal("TERM"), signal -> System.exit(0));
        Signal.handle(new Signal("HUP"), signal -> {
            Thread t = new Thread(() -> reload(nerve, loader, file, id), "nerve-reload");
            t.setDaemon(true);
            t.start();
        });
    }

    private static synchronized void reload(Nerve nerve, ConfigLoader loader, Path file, String id) {
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
        nerve.reload(result.config());
    }
}
