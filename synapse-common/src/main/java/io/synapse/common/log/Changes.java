package io.synapse.common.log;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The one way change log lines are written: {@code 3 -> 4 backends (+10.0.0.5:8080, -10.0.0.6:8080)}.
 * At most {@link #SHOWN_ADDED} additions and {@link #SHOWN_TOTAL} items are named; the rest is
 * counted ({@code ... 12 more}).
 */
public final class Changes {
    public static final int SHOWN_ADDED = 5;
    public static final int SHOWN_TOTAL = 10;

    private Changes() {}

    /** {@code " (+a, -b)"}, or {@code ""} when the two collections hold the same items. */
    public static <T> String diff(Collection<T> before, Collection<T> after) {
        return diff(before, after, String::valueOf);
    }

    /** As {@link #diff(Collection, Collection)}, naming each item with {@code label}. */
    public static <T> String diff(Collection<T> before, Collection<T> after, Function<? super T, String> label) {
        requireNonNull(before, "before is null");
        requireNonNull(after, "after is null");
        requireNonNull(label, "label is null");
        Set<T> b = new HashSet<>(before);
        Set<T> a = new HashSet<>(after);
        List<T> added = after.stream().filter(x -> !b.contains(x)).toList();
        List<T> removed = before.stream().filter(x -> !a.contains(x)).toList();
        return listed(added, removed, label);
    }

    /**
     * As {@link #diff(Collection, Collection)}, where items with the same {@code key} are one item:
     * one that is in both with other values (a backend whose weight changed) is {@code ~a}, not
     * {@code +a, -a}.
     */
    public static <T, K> String diffByKey(Collection<T> before, Collection<T> after, Function<? super T, K> key) {
        requireNonNull(before, "before is null");
        requireNonNull(after, "after is null");
        requireNonNull(key, "key is null");
        java.util.Map<K, T> b = new java.util.HashMap<>();
        before.forEach(x -> b.put(key.apply(x), x));
        Set<K> a = new HashSet<>();
        List<T> added = new ArrayList<>();
        List<T> changed = new ArrayList<>();
        for (T x : after) {
            K k = key.apply(x);
            a.add(k);
            T old = b.get(k);
            if (old == null) {
                added.add(x);
            } else if (!old.equals(x)) {
                changed.add(x);
            }
        }
        List<T> removed = before.stream().filter(x -> !a.contains(key.apply(x))).toList();
        return listed(added, removed, changed, String::valueOf);
    }

    /**
     * {@code " (+a, -b)"} for changes already known (an incremental watcher knows what it added and
     * removed without comparing whole sets), or {@code ""} when there are none.
     */
    public static <T> String listed(Collection<T> added, Collection<T> removed, Function<? super T, String> label) {
        return listed(added, removed, List.of(), label);
    }

    /** {@code " (+a, -b, ~c)"}: added, removed and changed items, or {@code ""} when there are none. */
    public static <T> String listed(Collection<T> added, Collection<T> removed, Collection<T> changed, Function<? super T, String> label) {
        requireNonNull(added, "added is null");
        requireNonNull(removed, "removed is null");
        requireNonNull(changed, "changed is null");
        requireNonNull(label, "label is null");
        List<String> parts = new ArrayList<>();
        int total = 0;
        for (T x : added) {
            if (total < SHOWN_ADDED) {
                parts.add("+" + label.apply(x));
            }
            total++;
        }
        for (T x : removed) {
            if (parts.size() < SHOWN_TOTAL) {
                parts.add("-" + label.apply(x));
            }
            total++;
        }
        for (T x : changed) {
            if (parts.size() < SHOWN_TOTAL) {
                parts.add("~" + label.apply(x));
            }
            total++;
        }
        if (total > parts.size()) {
            parts.add("... " + (total - parts.size()) + " more");
        }
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }

    /** {@code "3 -> 4 backends (+a)"}: the count line with its diff. */
    public static <T> String summary(Collection<T> before, Collection<T> after, String noun) {
        return before.size() + " -> " + after.size() + " " + noun + diff(before, after);
    }
}
