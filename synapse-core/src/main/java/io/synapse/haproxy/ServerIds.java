package io.synapse.haproxy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stable HAProxy server ids for one backend, given as the Ruby Synapse gives them:
 * <ol>
 *   <li>an explicit id (the registration's {@code haproxy_server_id}, or {@code id N} in its
 *       options) is used, even above {@code max_server_id};
 *   <li>a server keeps the id it had;
 *   <li>a new server takes the lowest id that is neither used nor held by a server of the previous
 *       round (an id is handed out again only one round after its server left), in the order the
 *       servers were discovered, not the order they are printed in.
 * </ol>
 * Unlike Ruby, two servers never get the same id: when two registrations claim the same explicit
 * id, the first in discovery order gets it and the other one is given a free id, with a warning.
 */
final class ServerIds {
    private static final Logger LOG = LoggerFactory.getLogger(ServerIds.class);

    private final String backend;
    private final int maxId;
    /** The ids of the previous round, by server name. */
    private Map<String, Integer> assigned = new HashMap<>();
    private final Set<String> warned = new HashSet<>();
    /** The ids of {@link #assigned} up to {@code max_server_id}. */
    private final BitSet usedIds = new BitSet();
    private boolean warnedFull;

    ServerIds(String backend, int maxId) {
        this.backend = backend;
        this.maxId = maxId;
    }

    /** Ids remembered from before a restart (the state file): they count as the previous round. */
    void remember(Map<String, Integer> ids) {
        if (assigned.isEmpty()) {
            assigned = new HashMap<>(ids);
            indexUsed();
        }
    }

    private void indexUsed() {
        usedIds.clear();
        for (Integer id : assigned.values()) {
            if (id >= 1 && id <= maxId) {
                usedIds.set(id);
            }
        }
    }

    /** The id of {@code name} in the last round, or null. */
    Integer id(String name) {
        return assigned.get(name);
    }

    /** The ids of the last round, by server name. */
    Map<String, Integer> current() {
        return assigned;
    }

    /**
     * Ids for {@code names}, given in discovery order; {@code explicit} holds the ids the
     * registrations ask for, also in discovery order. A name gets no id (absent from the result)
     * only when every id up to {@code max_server_id} is taken.
     */
    Map<String, Integer> assign(List<String> names, Map<String, Integer> explicit) {
        return assign(names, explicit, Set.of());
    }

    /**
     * As {@link #assign(List, Map)}; a new server is not given an id in {@code busy} either (the
     * ids of servers HAProxy still has while it finishes their connections).
     */
    Map<String, Integer> assign(List<String> names, Map<String, Integer> explicit, Set<Integer> busy) {
        Map<String, Integer> next = new LinkedHashMap<>(names.size() * 4 / 3 + 1);
        // ids up to max_server_id in bit sets (servers are many, ids dense); explicit ids above it aside
        BitSet used = new BitSet();
        Set<Integer> usedHigh = new HashSet<>();
        explicit.forEach((name, id) -> {
            if (mark(used, usedHigh, id)) {
                next.put(name, id);
            } else if (warned.add(name + " " + id)) {
                String holder = next.entrySet().stream().filter(e -> e.getValue().equals(id)).findFirst().map(Map.Entry::getKey).orElse("?");
                LOG.warn("backend {}: server {} asks for id {}, which server {} already has; giving it another id", backend, name, id, holder);
            }
        });
        if (!warned.isEmpty()) {
            warned.removeIf(w -> !explicit.containsKey(w.substring(0, w.lastIndexOf(' '))));
        }
        boolean fresh = false;
        for (String name : names) {
            if (next.containsKey(name)) {
                continue;
            }
            Integer old = assigned.get(name);
            if (old != null && mark(used, usedHigh, old)) {
                next.put(name, old);
            } else {
                fresh = true;
            }
        }
        if (fresh) {
            BitSet taken = new BitSet();
            for (Integer id : assigned.values()) {
                if (id <= maxId) {
                    taken.set(id);
                }
            }
            for (Integer id : busy) {
                if (id > 0 && id <= maxId) {
                    taken.set(id);
                }
            }
            taken.or(used);
            int cursor = 1;
            int fallback = 1;
            boolean full = false;
            for (String name : names) {
                if (next.containsKey(name)) {
                    continue;
                }
                cursor = taken.nextClearBit(cursor);
                int id = cursor;
                if (id > maxId) {
                    // every id is used or was held a moment ago: take one that was held
                    fallback = used.nextClearBit(fallback);
                    id = fallback;
                }
                if (id > maxId) {
                    full = true;
                    continue;
                }
                next.put(name, id);
                used.set(id);
                taken.set(id);
            }
            if (full && !warnedFull) {
                LOG.warn("backend {}: ran out of server ids (max_server_id {}); some servers have no id", backend, maxId);
            }
            warnedFull = full;
        } else {
            warnedFull = false;
        }
        assigned = next;
        indexUsed();
        return next;
    }

    /**
     * The next round as a change of the last one: {@code removed} servers left, {@code added} ones
     * (in discovery order) came, every other server stays. The result is the one {@link #assign}
     * gives for the whole list, provided no server of either round asks for an explicit id and
     * every server of the last round got one; the caller checks that.
     */
    void assignChanges(List<String> added, List<String> removed, Set<Integer> busy) {
        BitSet held = (BitSet) usedIds.clone();
        for (String name : removed) {
            Integer id = assigned.remove(name);
            if (id != null && id >= 1 && id <= maxId) {
                usedIds.clear(id);
            }
        }
        if (added.isEmpty()) {
            return;
        }
        BitSet taken = held;
        taken.or(usedIds);
        for (Integer id : busy) {
            if (id > 0 && id <= maxId) {
                taken.set(id);
            }
        }
        int cursor = 1;
        int fallback = 1;
        boolean full = false;
        for (String name : added) {
            cursor = taken.nextClearBit(cursor);
            int id = cursor;
            if (id > maxId) {
                fallback = usedIds.nextClearBit(fallback);
                id = fallback;
            }
            if (id > maxId) {
                full = true;
                continue;
            }
            assigned.put(name, id);
            usedIds.set(id);
            taken.set(id);
        }
        if (full && !warnedFull) {
            LOG.warn("backend {}: ran out of server ids (max_server_id {}); some servers have no id", backend, maxId);
        }
        warnedFull = full;
    }

    /** How many servers have an id. */
    int size() {
        return assigned.size();
    }

    /** Marks {@code id} used; false when it already was. */
    private boolean mark(BitSet used, Set<Integer> usedHigh, int id) {
        if (id > maxId || id < 1) {
            return usedHigh.add(id);
        }
        if (used.get(id)) {
            return false;
        }
        used.set(id);
        return true;
    }
}
