package io.synapse.common.concurrent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * instances. A daemon that must end every connection when it stops (nerve: closing a ZooKeeper
 * client ends its session and so removes its ephemeral nodes) owns a pool and {@link #close()}s it.
 *
 * @param <K> the key: a value with equals/hashCode that says "the same connection"
 * @param <V> the resource
 */
public final class SharedResources<K, V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SharedResources.class);

    private final String what;
    private final Function<? super K, ? extends V> create;
    private final Consumer<? super V> dispose;
    private final Map<K, Entry<K, V>> entries = new HashMap<>();
    private final List<Entry<K, V>> retired = new ArrayList<>();
    private int created;
    private boolean closed;

    /** A resource and its open leases; guarded by {@code entries}. */
    private static final class Entry<K, V> {
        final K key;
        final V value;
        int refs;
        boolean disposed;

        Entry(K key, V value) {
            this.key = key;
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
            if (closed) {
                throw new IllegalStateException("the " + what + " pool is closed");
            }
            Entry<K, V> e = entries.get(key);
            if (e == null) {
                e = new Entry<>(key, requireNonNull(create.apply(key), "created resource is null"));
                created++;
                entries.put(key, e);
            }
            e.refs++;
            return new Lease<>(this, e);
        }
    }

    /**
     * Gives {@code lease}'s holder a new resource for the same key (to start afresh after repeated
     * failures): later {@link #acquire}s of the key get the new resource too, while the holders of
     * the old one keep it until they close their leases, and the last of them disposes of it.
     * Closes {@code lease}.
     */
    public Lease<K, V> renew(Lease<K, V> lease) {
        requireNonNull(lease, "lease is null");
        if (lease.pool != this) {
            throw new IllegalArgumentException("lease of another pool");
        }
        K key = lease.key();
        synchronized (entries) {
            Entry<K, V> current = entries.get(key);
            if (current == lease.entry) {
                entries.remove(key);
                if (current.refs > 1) {
                    retired.add(current);
                }
            }
        }
        lease.close();
        return acquire(key);
    }

    /** The live resource for {@code key}, without taking a lease (for diagnostics and tests). */
    public Optional<V> find(K key) {
        synchronized (entries) {
            Entry<K, V> e = entries.get(key);
            return e == null ? Optional.empty() : Optional.of(e.value);
        }
    }

    /** How many distinct resources are alive. */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    /** How many resources were created so far, disposed ones included. */
    public int created() {
        synchronized (entries) {
            return created;
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
            Entry<K, V> e = entries.get(key);
            return e == null ? 0 : e.refs;
        }
    }

    /**
     * Disposes of every resource now, leased or not; leases closed afterwards do nothing and
     * {@link #acquire} fails. Idempotent.
     */
    @Override
    public void close() {
        List<Entry<K, V>> all;
        synchronized (entries) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(entries.values());
            all.addAll(retired);
            entries.clear();
            retired.clear();
            all.forEach(e -> e.disposed = true);
        }
        all.forEach(this::disposeQuietly);
    }

    private void release(Entry<K, V> entry) {
        synchronized (entries) {
            if (entry.disposed || --entry.refs > 0) {
                return;
            }
            entry.disposed = true;
            if (entries.get(entry.key) == entry) {
                entries.remove(entry.key);
            } else {
                retired.remove(entry);
            }
        }
        disposeQuietly(entry);
    }

    private void disposeQuietly(Entry<K, V> entry) {
        try {
            dispose.accept(entry.value);
        } catch (RuntimeException ex) {
            LOG.warn("closing {} {} failed: {}", what, entry.key, ex.getMessage());
        }
    }

    /** One use of a shared resource; {@link #close()} is idempotent. */
    public static final class Lease<K, V> implements AutoCloseable {
        private final SharedResources<K, V> pool;
        private final Entry<K, V> entry;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Lease(SharedResources<K, V> pool, Entry<K, V> entry) {
            this.pool = pool;
            this.entry = entry;
        }

        public K key() {
            return entry.key;
        }

        public V get() {
            if (closed.get()) {
                throw new IllegalStateException("lease of " + pool.what + " " + entry.key + " is closed");
            }
            return entry.value;
        }

        /** Whether this lease's holder is the last one: closing it will dispose of the resource. */
        public boolean isLast() {
            synchronized (pool.entries) {
                return !closed.get() && entry.refs == 1 && !entry.disposed;
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                pool.release(entry);
            }
        }
    }
}
