package io.synapse.etcd;

import io.synapse.spi.Backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * again. Not thread-safe: the watcher confines it to its serial executor.
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

    PrefixState(Decoder decoder, BadValues badValues) {
        this.decoder = requireNonNull(decoder, "decoder is null");
        this.badValues = requireNonNull(badValues, "badValues is null");
    }

    /** Applies a put; returns whether the backends changed. */
    boolean put(String key, long createRevision, byte[] value) {
        Entry old = byKey.get(key);
        if (old != null && old.sameValue(createRevision, value)) {
            return false;
        }
        Entry entry = decode(key, createRevision, value, old);
        byKey.put(key, entry);
        Backend removed = old == null || old.backend == null ? null : ordered.remove(new Order(old.createRevision, key));
        if (entry.backend != null) {
            ordered.put(new Order(createRevision, key), entry.backend);
        }
        return !Objects.equals(removed, entry.backend)
                || (old != null && old.createRevision != createRevision && entry.backend != null);
    }

    /** Applies a delete; returns whether the backends changed. */
    boolean remove(String key) {
        Entry old = byKey.remove(key);
        if (old == null || old.backend == null) {
            return false;
        }
        ordered.remove(new Order(old.createRevision, key));
        return true;
    }

    /** Replaces everything with a fresh read of the prefix; returns whether the backends changed. */
    boolean replaceAll(List<KeyValue> kvs) {
        Map<String, Entry> newByKey = new HashMap<>(Math.max(16, kvs.size() * 4 / 3 + 1));
        TreeMap<Order, Backend> newOrdered = new TreeMap<>();
        for (KeyValue kv : kvs) {
            Entry old = byKey.get(kv.key());
            Entry entry = old != null && old.sameValue(kv.createRevision(), kv.value())
                    ? old
                    : decode(kv.key(), kv.createRevision(), kv.value(), old);
            newByKey.put(kv.key(), entry);
            if (entry.backend != null) {
                newOrdered.put(new Order(entry.createRevision, kv.key()), entry.backend);
            }
        }
        boolean changed = !newOrdered.equals(ordered);
        byKey = newByKey;
        ordered = newOrdered;
        return changed;
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

    /** The backends in discovery order, without duplicates (the first registration of a host, port and name wins). */
    List<Backend> snapshot() {
        List<Backend> out = new ArrayList<>(ordered.size());
        Set<String> seen = new HashSet<>(Math.max(16, ordered.size() * 4 / 3 + 1));
        for (Backend b : ordered.values()) {
            if (seen.add(b.identity())) {
                out.add(b);
            }
        }
        return List.copyOf(out);
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
