package io.synapse.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When each change reached each engine's output: a change is one backend ({@code host:port})
 * added or removed; the driver announces it just before writing it, every engine's generator
 * reports when its output first shows it.
 */
final class Convergence {
    static final long UNSEEN = Long.MIN_VALUE;

    /** One change and, per engine, the {@link System#nanoTime()} its output showed it ({@link #UNSEEN} until then). */
    static final class Change {
        final String backend;
        final boolean added;
        final String service;
        volatile long start;
        volatile long written;
        final AtomicLongArray seen;

        Change(String backend, boolean added, String service, int engines) {
            this.backend = backend;
            this.added = added;
            this.service = service;
            this.seen = new AtomicLongArray(engines);
            for (int i = 0; i < engines; i++) {
                seen.set(i, UNSEEN);
            }
        }

        int seenBy() {
            int n = 0;
            for (int i = 0; i < seen.length(); i++) {
                if (seen.get(i) != UNSEEN) {
                    n++;
                }
            }
            return n;
        }

        boolean complete() {
            for (int i = 0; i < seen.length(); i++) {
                if (seen.get(i) == UNSEEN) {
                    return false;
                }
            }
            return true;
        }
    }

    private final int engines;
    private final Map<String, Change> adds = new ConcurrentHashMap<>();
    private final Map<String, Change> removes = new ConcurrentHashMap<>();
    private final List<Change> all = java.util.Collections.synchronizedList(new ArrayList<>());

    Convergence(int engines) {
        this.engines = engines;
    }

    int engines() {
        return engines;
    }

    /** Announces a change about to be written; set its {@code start} right before the write. */
    Change expect(String service, String backend, boolean added) {
        Change c = new Change(backend, added, service, engines);
        (added ? adds : removes).put(backend, c);
        all.add(c);
        return c;
    }

    /** Engine {@code engine}'s output now shows {@code backend} added (or removed). */
    void seen(int engine, String backend, boolean added, long now) {
        Change c = (added ? adds : removes).get(backend);
        if (c != null) {
            c.seen.compareAndSet(engine, UNSEEN, now);
        }
    }

    List<Change> changes() {
        synchronized (all) {
            return new ArrayList<>(all);
        }
    }

    static boolean allComplete(Collection<Change> changes) {
        return changes.stream().allMatch(Change::complete);
    }
}
