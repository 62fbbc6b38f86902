package io.synapse.common.concurrent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * One shared resource per key (a registry client, a resolver, a poller), reference counted: the
 * first {@link #acquire} of a key creates it, every acquirer closes its {@link Lease} once, and
 * the last close disposes of the resource. Thread-safe. Creation and disposal run under the pool's
 * lock, so they must be quick (start connecting, do not wait for the connection).
 *
 * <p>Typical use: a JVM-wide {@code static final SharedResources<ConnectionKey, Client>} in a
 * plugin, so that 200 services on one ensemble cost one connection whatever the number of factory
 * instances.
 *
 * @param <K> the key: a value with equals/hashCode that says "the same connection"
 * @param <V> the resource
 */
public final class SharedResources<K, V> {
    private static final Logger LOG = LoggerFactory.getLogger(SharedResources.class);

    private final String what;
    private final Function<? super K, ? extends V> create;
    private final Consumer<? super V> dispose;
    private final Map<K, Entry<V>> entries = new HashMap<>();

    private static final class Entry<V> {
        final V value;
        int refs;

        Entry(V value) {
            this.value = value;
        }
    }

    /**
     * @param what what the resources are, for log lines ({@code "etcd client"})
     * @param create makes the resource for a key; may throw, then nothing is kept
     * @param dispose releases a resource; exceptions are logged, not thrown
     */
    public SharedResources(String what, Function<? super K, ? extends V> create, Consumer<? super V> dispose) {
        this.what = requireNonNull(what, "what is null");
        this.create = requireNonNull(create, "create is null");
        this.dispose = requireNonNull(dispose, "dispose is null");
    }

    /** The resource for {@code key}, created if needed; close the lease exactly when done. */
    public Lease<K, V> acquire(K key) {
        requireNonNull(key, "key is null");
        synchronized (entries) {
            Entry<V> e = entries.get(key);
            if (e == null) {
                e = new Entry<>(requireNonNull(create.apply(key), "created resource is null"));
                entries.put(key, e);
            }
            e.refs++;
            return new Lease<>(this, key, e.value);
        }
    }

    /** How many distinct resources are alive. */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    /** The keys of the live resources. */
    public Set<K> keys() {
        synchronized (entries) {
            return Set.copyOf(entries.keySet());
        }
    }

    /** How many leases of {@code key} are open (0 when none). */
    public int references(K key) {
        synchronized (entries) {
            Entry<V> e = entries.get(key);
            return e == null ? 0 : e.refs;
        }
    }

    private void release(K key, V value) {
        V toDispose = null;
        synchronized (entries) {
            Entry<V> e = entries.get(key);
            if (e == null || e.value != value) {
                return;
            }
            if (--e.refs == 0) {
                entries.remove(key);
                toDispose = e.value;
            }
        }
        if (toDispose != null) {
            try {
                dispose.accept(toDispose);
            } catch (RuntimeException ex) {
                LOG.warn("closing {} {} failed: {}", what, key, ex.getMessage());
            }
        }
    }

    /** One use of a shared resource; {@link #close()} is idempotent. */
    public static final class Lease<K, V> implements AutoCloseable {
        private final SharedResources<K, V> pool;
        private final K key;
        private final V value;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Lease(SharedResources<K, V> pool, K key, V value) {
            this.pool = pool;
            this.key = key;
            this.value = value;
        }

        public K key() {
            return key;
        }

        public V get() {
            if (closed.get()) {
                throw new IllegalStateException("lease of " + pool.what + " " + key + " is closed");
            }
            return value;
        }

        /** Whether this lease's holder is the last one: closing it will dispose of the resource. */
        public boolean isLast() {
            return pool.references(key) == 1;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                pool.release(key, value);
            }
        }
    }
}
