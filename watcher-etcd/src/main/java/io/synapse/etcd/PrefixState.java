package io.synapse.etcd;

import io.synapse.spi.Backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The decoded contents of one key prefix: every key with its create revision, value and backend
 * (or none when the value does not decode). Backends are kept in discovery order: by create
 * revision, then by key (keys written in one transaction share a create revision). An update of a
 * key keeps its place; a key deleted and created again moves to the end.
 *
 * <p>A value that does not decode is reported once to {@link BadValues} with the key and the
 * reason; the same value written again (a TTL refresh, a re-read after compaction) is not reported
 * again.
 *
 * <p>Built for large prefixes: a put or delete costs O(log n), the changes since the last {@link
 * #takeChanges()} are tracked so that nobody has to diff 100,000 backends to log one, and {@link
 * #snapshot()} is one pass. Not thread-safe: the watcher confines it to its serial executor.
 */
final class PrefixState {
    /** Receives the keys skipped because their value does not decode. */
    interface BadValues {
        void skipped(String key, String reason);
    }

    /** One key/value pair as read from etcd. */
    record KeyValue(String key, long createRevision, byte[] value) {
        KeyValue {
            requireNonNull(key, "key is null");
            requireNonNull(value, "value is null");
        }
    }

    /**
     * What changed since the last {@link #takeChanges()}: the backends added and removed (net), or
     * {@code replaced} when the whole prefix was re-read (then the lists are empty).
     */
    record Changes(List<Backend> added, List<Backend> removed, boolean replaced) {
        boolean isEmpty() {
            return added.isEmpty() && removed.isEmpty() && !replaced;
        }
    }

    private record Order(long createRevision, String key) implements Comparable<Order> {
        @Override
        public int compareTo(Order o) {
            int c = Long.compare(createRevision, o.createRevision);
            return c != 0 ? c : key.compareTo(o.key);
        }
    }

    /** {@code backend} is null when the value does not decode. */
    private record Entry(long createRevision, byte[] value, Backend backend) {
        boolean sameValue(long otherCreateRevision, byte[] otherValue) {
            return createRevision == otherCreateRevision && Arrays.equals(value, otherValue);
        }
    }

    private final Decoder decoder;
    private final BadValues badValues;
    private Map<String, Entry> byKey = new HashMap<>();
    private TreeMap<Order, Backend> ordered = new TreeMap<>();
    /** How many valid keys carry each backend identity (host, port, name). */
    private Map<String, Integer> identities = new HashMap<>();
    private int duplicates;
    /** Net change per backend since the last takeChanges: +1 added, -1 removed. */
    private final Map<Backend, Integer> delta = new LinkedHashMap<>();
    private boolean replaced;

    PrefixState(Decoder decoder, BadValues badValues) {
        this.decoder = requireNonNull(decoder, "decoder is null");
        this.badValues = requireNonNull(badValues, "badValues is null");
    }

    /** Applies a put; returns whether the backends may have changed. */
    boolean put(String key, long createRevision, byte[] value) {
        Entry old = byKey.get(key);
        if (old != null && old.sameValue(createRevision, value)) {
            return false;
        }
        Entry entry = decode(key, createRevision, value, old);
        byKey.put(key, entry);
        if (old != null && old.backend != null && old.backend.equals(entry.backend) && old.createRevision == createRevision) {
            return false;
        }
        if (old != null && old.backend != null) {
            ordered.remove(new Order(old.createRevision, key));
            removed(old.backend);
        }
        if (entry.backend != null) {
            ordered.put(new Order(createRevision, key), entry.backend);
            added(entry.backend);
        }
        return (old != null && old.backend != null) || entry.backend != null;
    }

    /** Applies a delete; returns whether the backends may have changed. */
    boolean remove(String key) {
        Entry old = byKey.remove(key);
        if (old == null || old.backend == null) {
            return false;
        }
        ordered.remove(new Order(old.createRevision, key));
        removed(old.backend);
        return true;
    }

    /** Starts a re-read of the whole prefix: decode pages into it as they arrive, then {@link Reread#commit()}. */
    Reread reread() {
        return new Reread();
    }

    /** A re-read in progress; values equal to what is known are not decoded (nor warned about) again. */
    final class Reread {
        private final Map<String, Entry> newByKey = new HashMap<>();
        private final TreeMap<Order, Backend> newOrdered = new TreeMap<>();

        void add(String key, long createRevision, byte[] value) {
            Entry old = byKey.get(key);
            Entry entry = old != null && old.sameValue(createRevision, value) ? old : decode(key, createRevision, value, old);
            newByKey.put(key, entry);
            if (entry.backend != null) {
                newOrdered.put(new Order(entry.createRevision, key), entry.backend);
            }
        }

        int size() {
            return newByKey.size();
        }

        /** Replaces the state with what was read; returns whether the backends changed. */
        boolean commit() {
            boolean changed = !newOrdered.equals(ordered);
            byKey = newByKey;
            ordered = newOrdered;
            identities = new HashMap<>(Math.max(16, newOrdered.size() * 4 / 3 + 1));
            duplicates = 0;
            for (Backend b : newOrdered.values()) {
                if (identities.merge(b.identity(), 1, Integer::sum) > 1) {
                    duplicates++;
                }
            }
            delta.clear();
            replaced |= changed;
            return changed;
        }
    }

    /** Replaces everything with a fresh read of the prefix; returns whether the backends changed. */
    boolean replaceAll(List<KeyValue> kvs) {
        Reread reread = reread();
        for (KeyValue kv : kvs) {
            reread.add(kv.key(), kv.createRevision(), kv.value());
        }
        return reread.commit();
    }

    private void added(Backend b) {
        if (identities.merge(b.identity(), 1, Integer::sum) > 1) {
            duplicates++;
        }
        delta.merge(b, 1, (x, y) -> x + y == 0 ? null : x + y);
    }

    private void removed(Backend b) {
        Integer left = identities.merge(b.identity(), -1, (x, y) -> x + y == 0 ? null : x + y);
        if (left != null) {
            duplicates--;
        }
        delta.merge(b, -1, (x, y) -> x + y == 0 ? null : x + y);
    }

    private Entry decode(String key, long createRevision, byte[] value, Entry old) {
        try {
            return new Entry(createRevision, value, decoder.decode(key, value, createRevision));
        } catch (IllegalArgumentException e) {
            // one warning per distinct bad value of a key
            if (old == null || old.backend != null || !Arrays.equals(old.value, value)) {
                badValues.skipped(key, e.getMessage());
            }
            return new Entry(createRevision, value, null);
        }
    }

    /** The changes since the last call, and forgets them. */
    Changes takeChanges() {
        List<Backend> added = new ArrayList<>();
        List<Backend> removed = new ArrayList<>();
        delta.forEach((b, n) -> (n > 0 ? added : removed).add(b));
        Changes changes = new Changes(List.copyOf(added), List.copyOf(removed), replaced);
        delta.clear();
        replaced = false;
        return changes;
    }

    /** The backends in discovery order, without duplicates (the first registration of a host, port and name wins). */
    List<Backend> snapshot() {
        Backend[] out = new Backend[ordered.size()];
        int n = 0;
        if (duplicates == 0) {
            for (Backend b : ordered.values()) {
                out[n++] = b;
            }
        } else {
            Set<String> seen = new HashSet<>(Math.max(16, ordered.size() * 4 / 3 + 1));
            for (Backend b : ordered.values()) {
                if (seen.add(b.identity())) {
                    out[n++] = b;
                }
            }
        }
        return Collections.unmodifiableList(Arrays.asList(n == out.length ? out : Arrays.copyOf(out, n)));
    }

    /** Number of keys under the prefix, decoded or not. */
    int keys() {
        return byKey.size();
    }

    /** Number of keys whose value does not decode. */
    int skipped() {
        return byKey.size() - ordered.size();
    }
}
