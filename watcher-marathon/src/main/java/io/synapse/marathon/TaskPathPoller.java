package io.synapse.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * The Ruby watcher's way, for a {@code marathon_api_path} that is not Marathon's standard task
 * list under some base (say a proxy's {@code /v3/tasks/%{app}}): GET that path every {@code
 * check_interval} and take the started tasks of its {@code {"tasks": [...]}}. No event stream and
 * no health-check filter: the app's definition is unknown. A failed read calls {@code onFailure},
 * publishes nothing and is retried sooner (backoff from 250 ms, at most {@code check_interval}).
 */
final class TaskPathPoller implements ServiceWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(TaskPathPoller.class);

    private enum State { LATENT, STARTED, CLOSED }

    private final String service;
    private final String app;
    private final MarathonHttp http;
    private final Duration interval;
    private final WatcherListener listener;
    private final TaskBackends backends;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final ScheduledThreadPoolExecutor executor;
    private int failures;

    TaskPathPoller(String service, String app, List<Endpoints.Target> urls, int portIndex, Duration interval, WatcherListener listener) {
        this.service = requireNonNull(service, "service is null");
        this.app = requireNonNull(app, "app is null");
        this.http = new MarathonHttp(urls);
        this.interval = requireNonNull(interval, "interval is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.backends = new TaskBackends(service, portIndex, LOG, listener);
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "marathon-poller " + service);
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        LOG.info("service {}: polling {} every {} s (marathon_api_path is not Marathon's task list: no event stream)",
                service, http.targets(), interval.toMillis() / 1000.0);
        executor.execute(this::poll);
    }

    private void poll() {
        if (state.get() != State.STARTED) {
            return;
        }
        long delay = interval.toNanos();
        try {
            JsonNode answer = http.get(t -> t.base(), "GET the task list");
            List<MarathonApp.Task> tasks = answer == null ? List.of() : AppDecoder.tasks(answer);
            failures = 0;
            if (state.get() == State.STARTED) {
                listener.onBackends(backends.backends(app, tasks, false));
            }
        } catch (MarathonHttp.MarathonException | IllegalArgumentException e) {
            failures++;
            delay = Math.min(delay, MarathonClient.READ_BACKOFF.delay(failures).toNanos());
            if (state.get() == State.STARTED) {
                listener.onFailure(e.getMessage(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            LOG.warn("service {}: unexpected error polling Marathon: {}", service, e.toString(), e);
        }
        if (state.get() == State.STARTED) {
            try {
                executor.schedule(this::poll, delay, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile
            }
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.STARTED) {
            executor.shutdownNow();
        } else {
            executor.shutdown();
        }
    }
}
