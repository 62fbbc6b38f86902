package io.synapse.quickstart;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.synapse.quickstart.Quickstart.LOG;
import static java.util.Objects.requireNonNull;

/**
 * The quickstart's script, paced for a person to follow: requests spread over the three backends,
 * one backend fails its health check and leaves haproxy.cfg (and HAProxy's rotation), then comes
 * back. Each step waits for what it shows to happen, up to {@link #STEP_TIMEOUT}.
 */
final class Demo implements Runnable {
    static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);
    static final int REQUESTS = 6;

    private final Quickstart quickstart;
    private final Duration pace;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean succeeded;

    Demo(Quickstart quickstart, Duration pace) {
        this.quickstart = requireNonNull(quickstart, "quickstart is null");
        this.pace = requireNonNull(pace, "pace is null");
    }

    /** Waits until the script finished (or failed, or was interrupted); true when every step happened. */
    boolean await() throws InterruptedException {
        done.await();
        return succeeded;
    }

    @Override
    public void run() {
        try {
            script();
            succeeded = true;
        } catch (InterruptedException e) {
            // stopping
        } catch (StepFailed e) {
            LOG.error("demo: {}", e.getMessage());
        } finally {
            done.countDown();
        }
    }

    private void script() throws InterruptedException, StepFailed {
        List<DemoBackend> backends = quickstart.backends();
        DemoBackend failing = backends.get(1);
        Set<String> all = backends.stream().map(DemoBackend::name).collect(Collectors.toCollection(TreeSet::new));
        Set<String> others = new TreeSet<>(all);
        others.remove(failing.name());
        HaproxyConfigWatch config = quickstart.configWatch();

        LOG.info("demo: waiting for nerve to register the {} backends and synapse to write them into haproxy.cfg", all.size());
        await("the " + all.size() + " backends to reach haproxy.cfg", () -> all.equals(config.current()));
        if (quickstart.withHaproxy()) {
            await("HAProxy to serve the " + all.size() + " backends", () -> inRotation().equals(all));
            LOG.info("demo: HAProxy is up (pid {}), started by synapse's reload_command", haproxyPids());
            requests();
        }

        Thread.sleep(pace.toMillis());
        failing.setHealthy(false);
        LOG.info("demo: {} now fails its health check (GET /health answers 503)", failing.name());
        await(failing.name() + " to leave haproxy.cfg", () -> others.equals(config.current()));
        if (quickstart.withHaproxy()) {
            await("HAProxy to take " + failing.name() + " out of rotation", () -> inRotation().equals(others));
            requests();
        }

        Thread.sleep(pace.toMillis());
        failing.setHealthy(true);
        LOG.info("demo: {} passes its health check again", failing.name());
        await(failing.name() + " to come back into haproxy.cfg", () -> all.equals(config.current()));
        if (quickstart.withHaproxy()) {
            await("HAProxy to put " + failing.name() + " back into rotation", () -> inRotation().equals(all));
            requests();
        }
        LOG.info("demo: done: {} left and came back without anyone editing a config", failing.name());
    }

    private String haproxyPids() {
        return HaproxyProcesses.running(quickstart.haproxyConfig()).stream().map(p -> String.valueOf(p.pid()))
                .collect(Collectors.joining(", "));
    }

    /** Sends {@link #REQUESTS} requests through HAProxy, one line saying which backends answered. */
    private void requests() throws InterruptedException {
        String url = "http://127.0.0.1:" + quickstart.haproxyPort() + "/";
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            answers.add(get(url));
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        answers.stream().sorted().forEach(a -> counts.merge(a, 1, Integer::sum));
        LOG.info("demo: {} requests to {} answered by {}", REQUESTS, url, counts.entrySet().stream()
                .map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", ")));
    }

    private String get(String url) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().strip() : "HTTP " + r.statusCode();
        } catch (IOException e) {
            return "error (" + e.getClass().getSimpleName() + ")";
        }
    }

    /**
     * The backends HAProxy sends traffic to now, read from its stats page's CSV: the {@code web}
     * backend's servers whose status is not MAINT (nor DOWN).
     */
    private Set<String> inRotation() {
        String csv;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + quickstart.statsPort() + "/;csv")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Set.of();
            }
            csv = r.body();
        } catch (IOException e) {
            return Set.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Set.of();
        }
        return inRotation(csv, Quickstart.SERVICE, quickstart.configWatch()::backendOf);
    }

    /** The servers of {@code backend} in {@code csv} (HAProxy's stats) neither MAINT nor DOWN, named by {@code names}. */
    static Set<String> inRotation(String csv, String backend, Function<String, String> names) {
        String[] lines = csv.split("\n");
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            return Set.of();
        }
        List<String> header = List.of(lines[0].substring(2).split(",", -1));
        int px = header.indexOf("pxname");
        int sv = header.indexOf("svname");
        int status = header.indexOf("status");
        Set<String> up = new TreeSet<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",", -1);
            if (f.length < header.size() || !f[px].equals(backend) || f[sv].equals("FRONTEND") || f[sv].equals("BACKEND")) {
                continue;
            }
            if (f[status].startsWith("MAINT") || f[status].startsWith("DOWN")) {
                continue;
            }
            String name = names.apply(f[sv]);
            up.add(name != null ? name : f[sv]);
        }
        return up;
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException, StepFailed {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new StepFailed("gave up waiting for " + what + " after " + STEP_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    private static final class StepFailed extends Exception {
        StepFailed(String message) {
            super(message);
        }
    }
}
