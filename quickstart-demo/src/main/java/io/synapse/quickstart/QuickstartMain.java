package io.synapse.quickstart;

import io.synapse.common.log.LogFormat;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import static io.synapse.quickstart.Quickstart.LOG;

/** {@code bin/quickstart}: discovery at work on this machine, in one JVM, with nothing to install but HAProxy. */
@Command(name = "quickstart", mixinStandardHelpOptions = true, version = "quickstart 0.1.0", sortOptions = false,
        description = {
                "Runs in this one JVM: an embedded ZooKeeper, three HTTP backends on 127.0.0.1,",
                "nerve registering them, synapse keeping ./quickstart/haproxy.cfg up to date and,",
                "when haproxy is installed, a real HAProxy. Then shows requests spread over the",
                "backends, one backend failing its health check and leaving, and coming back.",
                "Ctrl-C stops everything.", ""},
        footer = {"", "Exit status: 0 done; 1 a part could not start or the demo did not see what it",
                "expected; 2 usage."})
public final class QuickstartMain implements Callable<Integer> {
    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "stop by itself SECONDS after the start, once the demo has run (default: run until Ctrl-C)")
    Double durationSeconds;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "quickstart",
            description = "where the configs and haproxy.cfg are written (default: ./${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--pace", paramLabel = "SECONDS", defaultValue = "1",
            description = "pause between the demo's steps, for reading along (default: ${DEFAULT-VALUE})")
    double paceSeconds;

    @Option(names = "--haproxy", paramLabel = "FILE",
            description = "the haproxy binary (default: haproxy on PATH, or in " + "/usr/sbin, /usr/local/sbin, /opt/homebrew/sbin)")
    Path haproxyBinary;

    public static void main(String[] args) {
        LogFormat.apply("SYNAPSE_LOG_FORMAT");
        quietEmbeddedParts();
        System.exit(new CommandLine(new QuickstartMain()).execute(args));
    }

    /**
     * The embedded ZooKeeper server warns about settings a real ensemble would have, and two
     * status endpoints in one JVM make Micrometer warn that the second registry missed earlier
     * counts: neither is news to a quickstart user.
     */
    private static void quietEmbeddedParts() {
        for (String name : List.of("org.apache.zookeeper.server", "io.micrometer.core.instrument.composite.CompositeMeterRegistry")) {
            if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger && logger.getLevel() == null) {
                logger.setLevel(ch.qos.logback.classic.Level.ERROR);
            }
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        long started = System.nanoTime();
        if (durationSeconds != null && !(durationSeconds >= 0)) {
            System.err.println("quickstart: --duration must be 0 or more seconds, got " + durationSeconds);
            return 2;
        }
        if (!(paceSeconds >= 0 && paceSeconds <= 60)) {
            System.err.println("quickstart: --pace must be 0-60 seconds, got " + paceSeconds);
            return 2;
        }
        Path haproxy = haproxyBinary != null
                ? (Files.isRegularFile(haproxyBinary) && Files.isExecutable(haproxyBinary) ? haproxyBinary.toAbsolutePath() : null)
                : HaproxyProcesses.find(System.getenv("PATH"), HaproxyProcesses.EXTRA_DIRS).orElse(null);
        if (haproxy == null) {
            LOG.warn("HAProxy: {}, so synapse will only write haproxy.cfg; to see requests flow through HAProxy, install it"
                    + " ({}) and run bin/quickstart again", haproxyBinary != null ? haproxyBinary + " is not an executable file"
                    : "not found on PATH", HaproxyProcesses.INSTALL_HINT);
        }
        Quickstart quickstart = new Quickstart(dir, haproxy);
        Demo demo = new Demo(quickstart, Duration.ofMillis((long) (paceSeconds * 1000)));
        Thread demoThread = new Thread(demo, "quickstart-demo");
        demoThread.setDaemon(true);
        // Ctrl-C (SIGINT) and SIGTERM run the shutdown hooks: stop the demo, then everything it started
        Thread hook = new Thread(() -> {
            demoThread.interrupt();
            quickstart.close();
        }, "quickstart-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            quickstart.start();
        } catch (Exception e) {
            LOG.error("could not start: {}", e.getMessage() == null ? e.toString() : e.getMessage());
            LOG.debug("start failure", e);
            quickstart.close();
            return 1;
        }
        demoThread.start();
        boolean ok = demo.await();
        if (durationSeconds == null) {
            if (quickstart.withHaproxy()) {
                LOG.info("running until Ctrl-C: try curl http://127.0.0.1:{}/ (through HAProxy); the configs are in {}",
                        quickstart.haproxyPort(), quickstart.dir());
            } else {
                LOG.info("running until Ctrl-C; the configs are in {}", quickstart.dir());
            }
            new CountDownLatch(1).await(); // until a signal runs the shutdown hook
        }
        long left = started + (long) (durationSeconds * 1e9) - System.nanoTime();
        if (left > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
        quickstart.close();
        return ok ? 0 : 1;
    }
}
