package io.synapse.haproxy;

import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stable HAProxy server ids for one backend: a server keeps its id while it exists, a new server
 * takes the lowest free id, and an explicit id (from the registration) wins.
 */
final class ServerIds {
    private final int maxId;
    private Map<String, Integer> assigned = new HashMap<>();

    ServerIds(int maxId) {
        this.maxId = maxId;
    }

    /**
     * Ids for {@code names} (in order); {@code explicit} holds the ids the registrations ask for.
     * A name gets no id (absent from the result) when every id up to {@code max_server_id} is taken.
     */
    Map<String, Integer> assign(List<String> names, Map<String, Integer> explicit) {
        Map<String, Integer> next = new LinkedHashMap<>();
        BitSet used = new BitSet();
        explicit.forEach((name, id) -> {
            if (!used.get(id)) {
                next.put(name, id);
                used.set(id);
            }
        });
        for (String name : names) {
            if (next.containsKey(name)) {
                continue;
            }
            Integer old = assigned.get(name);
            if (old != null && old <= maxId && !used.get(old)) {
                next.put(name, old);
                used.set(old);
            }
        }
        int cursor = 1;
        for (String name : names) {
            if (next.containsKey(name)) {
                continue;
            }
            cursor = used.nextClearBit(cursor);
            if (cursor > maxId) {
                continue;
            }
            next.put(name, cursor);
            used.set(cursor);
        }
        assigned = next;
        return next;
    }
}
