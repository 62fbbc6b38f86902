package io.synapse.etcd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * Runs one watcher's tasks one at a time, in submission order, on threads shared by all etcd
 * watchers (a thread per service would not scale to hundreds of services). A task that throws is
 * logged and does not stop the ones after it; an {@link Error} is logged and rethrown (it is not
 * swallowed), and the remaining tasks continue on another worker.
 */
final class SerialExecutor implements Executor {
    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);
    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(daemon("etcd-watcher-"));
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(daemon("etcd-watcher-timer-"));

    private final String name;
    private final Queue<Runnable> tasks = new ArrayDeque<>();
    private final ThreadLocal<Boolean> inside = ThreadLocal.withInitial(() -> false);
    private boolean running;

    SerialExecutor(String name) {
        this.name = requireNonNull(name, "name is null");
    }

    @Override
    public void execute(Runnable task) {
        requireNonNull(task, "task is null");
        synchronized (tasks) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        WORKERS.execute(this::drain);
    }

    /** Runs {@code task} on this executor after {@code delayMillis}. */
    ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
        return TIMER.schedule(() -> execute(task), delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Whether the calling thread is running one of this executor's tasks. */
    boolean inside() {
        return inside.get();
    }

    private void drain() {
        inside.set(true);
        try {
            while (true) {
                Runnable task;
                synchronized (tasks) {
                    task = tasks.poll();
                    if (task == null) {
                        running = false;
                        return;
                    }
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("{}: unexpected error in a watcher task", name, e);
                } catch (Error e) {
                    LOG.error("{}: fatal error in a watcher task", name, e);
                    // the tasks after it still run (on another worker); the Error goes on to this thread's handler
                    WORKERS.execute(this::drain);
                    throw e;
                }
            }
        } finally {
            inside.set(false);
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
