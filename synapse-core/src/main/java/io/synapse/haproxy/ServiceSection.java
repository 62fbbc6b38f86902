package io.synapse.haproxy;

import io.synapse.spi.Backend;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One service's section of haproxy.cfg, kept from one update to the next so that a change costs
 * what changed: each server line is rendered once and cached with the backend it came from; the
 * sorted order is kept and patched; the section's bytes are joined from the cached lines. The
 * result is the same as rendering everything again (ids, order, lines).
 *
 * <p>Not thread-safe: the generator uses it under its lock.
 */
final class ServiceSection {
    /** Patch the sorted order when fewer servers than this came or went; sort everything again otherwise. */
    private static final int PATCH_LIMIT = 256;

    private final ServiceRenderer renderer;
    private final String service;
    private final ServiceSettings settings;
    private final BackendTraits traits;
    private final ServerIds ids;
    private final boolean cookies;
    private final boolean weights;
    private final String head;
    private final byte[] headBytes;

    /** A rendered server line and what it was rendered from. */
    private record Line(Backend backend, int port, Integer id, boolean backup, boolean disabled, ServerSpec spec, byte[] bytes) {}

    /** Every server (primaries and backup twins), by name. */
    private Map<String, Line> lines = new HashMap<>();
    /** The primary servers of the last render, by name. */
    private Map<String, ServiceRenderer.Server> primaries = new HashMap<>();
    /** The primary names in ascending order (kept for asc, desc and the shuffle). */
    private final ArrayList<String> sorted = new ArrayList<>();
    private List<Line> printed = List.of();
    private byte[] bytes;
    private Set<String> touched = Set.of();

    ServiceSection(ServiceRenderer renderer, String service, ServiceSettings settings, BackendTraits traits, ServerIds ids) {
        this.renderer = renderer;
        this.service = service;
        this.settings = settings;
        this.traits = traits;
        this.ids = ids;
        // Ruby puts a cookie on every line under mode http; with "cookie ... dynamic" HAProxy makes
        // them from the address, and a cookie on the line would override it
        this.cookies = !settings.tcpMode() && traits.cookies() != BackendTraits.Cookies.DYNAMIC;
        this.weights = renderer.useNerveWeights(settings);
        this.head = renderer.head(service, settings);
        this.headBytes = head.getBytes(StandardCharsets.UTF_8);
        this.bytes = headBytes;
    }

    String service() {
        return service;
    }

    ServiceSettings settings() {
        return settings;
    }

    BackendTraits traits() {
        return traits;
    }

    String backendName() {
        return settings.backendName();
    }

    /** Everything but the server lines. */
    String head() {
        return head;
    }

    /** The section as it goes into the file. */
    byte[] bytes() {
        return bytes;
    }

    /** The servers that came, went or changed in the last {@link #render}. */
    Set<String> touched() {
        return touched;
    }

    /** The server named {@code name}, or null. */
    ServerSpec spec(String name) {
        Line l = lines.get(name);
        return l == null ? null : l.spec();
    }

    /** Every server, in the order of the file. */
    void forEachSpec(Consumer<ServerSpec> action) {
        printed.forEach(l -> action.accept(l.spec()));
    }

    int size() {
        return printed.size();
    }

    /**
     * Renders the section for {@code servers} (in discovery order); a new server takes no id in
     * {@code busyIds}.
     */
    void render(List<ServiceRenderer.Server> servers, Set<Integer> busyIds) {
        int n = servers.size();
        Integer backupPort = settings.serverBackupPort();
        String[] primary = new String[n];
        Map<String, ServiceRenderer.Server> byName = new HashMap<>(n * 4 / 3 + 1);
        Map<String, Integer> explicit = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            Backend b = servers.get(i).backend();
            String name = ServiceRenderer.serverName(b, b.port());
            primary[i] = name;
            byName.put(name, servers.get(i));
            if (b.haproxyServerOptions() != null || b.haproxyServerId() != null) {
                Integer id = ServiceRenderer.explicitId(b);
                if (id != null) {
                    explicit.put(name, id);
                }
            }
        }
        // ids are given in discovery order, before backend_order sorts or shuffles the servers for
        // printing; each server's backup twin follows it, once per host (and name): two ports of one
        // host, or a server already on the backup port, would otherwise give two servers of the same name
        List<String> names = Arrays.asList(primary);
        Set<String> twins = new HashSet<>();
        if (backupPort != null) {
            names = new ArrayList<>(n * 2);
            for (int i = 0; i < n; i++) {
                names.add(primary[i]);
                String twin = ServiceRenderer.serverName(servers.get(i).backend(), backupPort);
                if (!byName.containsKey(twin) && twins.add(twin)) {
                    names.add(twin);
                }
            }
        }
        Map<String, Integer> assigned = ids.assign(names, explicit, busyIds);

        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (String name : byName.keySet()) {
            if (!primaries.containsKey(name)) {
                added.add(name);
            }
        }
        for (String name : primaries.keySet()) {
            if (!byName.containsKey(name)) {
                removed.add(name);
            }
        }
        primaries = byName;

        Set<String> changed = new HashSet<>(added);
        changed.addAll(removed);
        Map<String, Line> next = backupPort == null ? lines : new HashMap<>(lines.size() * 4 / 3 + 1);
        List<Line> out = new ArrayList<>(names.size());
        Set<String> twinsLeft = backupPort == null ? Set.of() : new HashSet<>(twins);
        for (String name : printOrder(primary, byName, added, removed)) {
            ServiceRenderer.Server server = byName.get(name);
            Backend b = server.backend();
            out.add(line(name, b, b.port(), assigned.get(name), false, server.disabled(), next, changed));
            if (backupPort != null) {
                String twin = ServiceRenderer.serverName(b, backupPort);
                if (twinsLeft.remove(twin)) {
                    out.add(line(twin, b, backupPort, assigned.get(twin), true, server.disabled(), next, changed));
                }
            }
        }
        if (backupPort == null) {
            removed.forEach(lines::remove);
        } else {
            for (String name : lines.keySet()) {
                if (!next.containsKey(name)) {
                    changed.add(name);
                }
            }
            lines = next;
        }
        printed = out;
        touched = changed;

        int size = headBytes.length;
        for (Line l : out) {
            size += l.bytes().length;
        }
        byte[] joined = new byte[size];
        System.arraycopy(headBytes, 0, joined, 0, headBytes.length);
        int at = headBytes.length;
        for (Line l : out) {
            System.arraycopy(l.bytes(), 0, joined, at, l.bytes().length);
            at += l.bytes().length;
        }
        bytes = joined;
    }

    /** The cached line of {@code name} if what it depends on is unchanged, else a new one. */
    private Line line(String name, Backend b, int port, Integer id, boolean backup, boolean disabled, Map<String, Line> next,
            Set<String> changed) {
        Line old = lines.get(name);
        if (old != null && old.port() == port && old.backup() == backup && old.disabled() == disabled
                && Objects.equals(old.id(), id) && (old.backend() == b || old.backend().equals(b))) {
            if (next != lines) {
                next.put(name, old);
            }
            return old;
        }
        ServerSpec spec = renderer.spec(settings, cookies, b, port, id, weights, backup, disabled);
        Line l = new Line(b, port, id, backup, disabled, spec, ("\t" + spec.line() + "\n").getBytes(StandardCharsets.UTF_8));
        next.put(name, l);
        if (old == null || !old.spec().equals(spec)) {
            changed.add(name);
        }
        return l;
    }

    /** The primary names in the order they are printed ({@code backend_order}). */
    private List<String> printOrder(String[] discovery, Map<String, ServiceRenderer.Server> byName, List<String> added,
            List<String> removed) {
        String order = settings.backendOrder();
        if ("no_shuffle".equals(order)) {
            return Arrays.asList(discovery);
        }
        if (added.size() + removed.size() > PATCH_LIMIT || sorted.size() + added.size() - removed.size() != byName.size()) {
            sorted.clear();
            sorted.addAll(byName.keySet());
            Collections.sort(sorted);
        } else {
            for (String name : removed) {
                int i = Collections.binarySearch(sorted, name);
                if (i >= 0) {
                    sorted.remove(i);
                }
            }
            for (String name : added) {
                int i = Collections.binarySearch(sorted, name);
                sorted.add(i < 0 ? -i - 1 : i, name);
            }
        }
        if ("asc".equals(order)) {
            return sorted;
        }
        List<String> copy = new ArrayList<>(sorted);
        if ("desc".equals(order)) {
            Collections.reverse(copy);
        } else {
            // a stable shuffle: the same servers give the same order on every host start
            Collections.shuffle(copy, new Random(renderer.shuffleSeed(service)));
        }
        return copy;
    }
}
