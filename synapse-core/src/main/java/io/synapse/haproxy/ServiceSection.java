package io.synapse.haproxy;

import io.synapse.spi.Backend;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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

    /** One primary server: what it was rendered from, and its line. */
    private static final class Entry {
        final String name;
        Backend backend;
        boolean disabled;
        Line line;

        Entry(String name, Backend backend, boolean disabled) {
            this.name = name;
            this.backend = backend;
            this.disabled = disabled;
        }
    }

    /** The servers to render, in discovery order, read without copying them. */
    interface Servers {
        int size();

        Backend backend(int i);

        /** Whether server {@code i} is only known from the state file (a {@code disabled} line). */
        boolean disabled(int i);

        static Servers of(List<ServiceRenderer.Server> list) {
            return new Servers() {
                public int size() {
                    return list.size();
                }

                public Backend backend(int i) {
                    return list.get(i).backend();
                }

                public boolean disabled(int i) {
                    return list.get(i).disabled();
                }
            };
        }

        /** {@code current} servers, then the {@code remembered} ones (disabled). */
        static Servers of(List<Backend> current, List<Backend> remembered) {
            int n = current.size();
            return new Servers() {
                public int size() {
                    return n + remembered.size();
                }

                public Backend backend(int i) {
                    return i < n ? current.get(i) : remembered.get(i - n);
                }

                public boolean disabled(int i) {
                    return i >= n;
                }
            };
        }
    }

    /** Every server (primaries and backup twins), by name. */
    private Map<String, Line> lines = new HashMap<>();
    /** The primary servers of the last render in discovery order, and by name. */
    private List<Entry> discovery = List.of();
    private Map<String, Entry> primaries = new HashMap<>();
    /** The primary servers in ascending name order (kept for asc, desc and the shuffle). */
    private final ArrayList<Entry> sorted = new ArrayList<>();
    /** Whether a server of the last render asks for an explicit id (then ids are always given for the whole list). */
    private boolean explicitIds;
    private List<Line> printed = List.of();
    /** The printed lines' bytes, in order (an array: writing 100,000 lines touches nothing else). */
    private byte[][] printedBytes = new byte[0][];
    private long byteSize;
    private boolean outputChanged = true;
    private Set<String> touched = Set.of();
    /** The shuffle of {@code backend_order} for the current count: printed position -> sorted position. */
    private int[] shuffle;
    /** False in tests only: every render renders the whole list. */
    boolean incremental = true;
    /** Renders that looked at the changes only (tests). */
    int incrementalRenders;

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
        this.byteSize = headBytes.length;
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

    /** Writes the section as it goes into the file. */
    void writeTo(java.io.OutputStream out) throws java.io.IOException {
        out.write(headBytes);
        for (byte[] line : printedBytes) {
            out.write(line);
        }
    }

    /** The section as it goes into the file, as one array (tests). */
    byte[] bytes() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream((int) byteSize);
        try {
            writeTo(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The size of the section in the file. */
    long byteSize() {
        return byteSize;
    }

    /** Whether the last {@link #render} changed the section's text. */
    boolean outputChanged() {
        return outputChanged;
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
        render(Servers.of(servers), busyIds);
    }

    /**
     * Renders the section for {@code servers} (in discovery order); a new server takes no id in
     * {@code busyIds}.
     */
    void render(Servers servers, Set<Integer> busyIds) {
        if (incremental && settings.serverBackupPort() == null && !explicitIds && ids.size() == primaries.size() && !primaries.isEmpty()
                && renderChanges(servers, busyIds)) {
            incrementalRenders++;
            return;
        }
        renderAll(servers, busyIds);
    }

    /**
     * A render that costs what changed: the snapshot is compared with the last one in order (the
     * same backends, mostly the same objects), and only the window between the common head and
     * tail is looked at by name. Returns false when the whole list must be rendered instead
     * (a server asks for an explicit id).
     */
    private boolean renderChanges(Servers servers, Set<Integer> busyIds) {
        int n = servers.size();
        int m = discovery.size();
        int head = 0;
        while (head < n && head < m && same(servers, head, discovery.get(head))) {
            head++;
        }
        int tail = 0;
        while (tail < n - head && tail < m - head && same(servers, n - 1 - tail, discovery.get(m - 1 - tail))) {
            tail++;
        }
        if (head == n && head == m) {
            touched = Set.of();
            outputChanged = false;
            return true; // nothing changed
        }
        List<Entry> oldWindow = discovery.subList(head, m - tail);
        Map<String, Entry> window = new HashMap<>();
        for (int j = head; j < m - tail; j++) {
            window.put(discovery.get(j).name, discovery.get(j));
        }
        List<Entry> middle = new ArrayList<>(n - head - tail);
        List<Entry> added = new ArrayList<>();
        List<Entry> changedInPlace = new ArrayList<>();
        for (int i = head; i < n - tail; i++) {
            Backend b = servers.backend(i);
            if (b.haproxyServerId() != null || (b.haproxyServerOptions() != null && ServiceRenderer.explicitId(b) != null)) {
                return false;
            }
            String name = ServiceRenderer.serverName(b, b.port());
            Entry e = window.remove(name);
            if (e == null) {
                e = new Entry(name, b, servers.disabled(i));
                added.add(e);
            } else if (!same(servers, i, e)) {
                e.backend = b;
                e.disabled = servers.disabled(i);
                changedInPlace.add(e);
            }
            middle.add(e);
        }
        List<Entry> removed = new ArrayList<>(window.values());

        List<String> addedNames = new ArrayList<>(added.size());
        added.forEach(e -> addedNames.add(e.name));
        List<String> removedNames = new ArrayList<>(removed.size());
        removed.forEach(e -> removedNames.add(e.name));
        ids.assignChanges(addedNames, removedNames, busyIds);

        Set<String> changed = new HashSet<>();
        for (Entry e : removed) {
            primaries.remove(e.name);
            lines.remove(e.name);
            changed.add(e.name);
            if (!"no_shuffle".equals(settings.backendOrder())) {
                int i = Collections.binarySearch(sorted, e, BY_NAME);
                if (i >= 0) {
                    sorted.remove(i);
                }
            }
        }
        for (Entry e : added) {
            primaries.put(e.name, e);
            if (!"no_shuffle".equals(settings.backendOrder())) {
                int i = Collections.binarySearch(sorted, e, BY_NAME);
                sorted.add(i < 0 ? -i - 1 : i, e);
            }
        }
        for (Entry e : added) {
            e.line = line(e.name, e.backend, e.backend.port(), ids.id(e.name), false, e.disabled, lines, changed);
        }
        for (Entry e : changedInPlace) {
            e.line = line(e.name, e.backend, e.backend.port(), ids.id(e.name), false, e.disabled, lines, changed);
        }
        // only the order of the same servers changed: the text too when they are printed in discovery order
        outputChanged = !changed.isEmpty() || "no_shuffle".equals(settings.backendOrder()) && !middle.equals(oldWindow);
        List<Entry> next = new ArrayList<>(n);
        next.addAll(discovery.subList(0, head));
        next.addAll(middle);
        next.addAll(discovery.subList(m - tail, m));
        discovery = next;
        touched = changed;
        if (outputChanged) {
            print(printOrder());
        }
        return true;
    }

    private static final java.util.Comparator<Entry> BY_NAME = (a, b) -> a.name.compareTo(b.name);

    private static boolean same(Servers servers, int i, Entry e) {
        Backend b = servers.backend(i);
        return servers.disabled(i) == e.disabled && (b == e.backend || b.equals(e.backend));
    }

    /** Renders every server again (each line still comes from the cache when what it depends on is unchanged). */
    private void renderAll(Servers servers, Set<Integer> busyIds) {
        List<Line> before = printed;
        boolean first = discovery.isEmpty() && primaries.isEmpty() && printed.isEmpty();
        renderEverything(servers, busyIds);
        outputChanged = first || !sameText(before, printed);
    }

    private void renderEverything(Servers servers, Set<Integer> busyIds) {
        int n = servers.size();
        Integer backupPort = settings.serverBackupPort();
        List<Entry> entries = new ArrayList<>(n);
        Map<String, Entry> byName = new HashMap<>(n * 4 / 3 + 1);
        List<String> primaryNames = new ArrayList<>(n);
        Map<String, Integer> explicit = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            Backend b = servers.backend(i);
            String name = ServiceRenderer.serverName(b, b.port());
            Entry e = new Entry(name, b, servers.disabled(i));
            entries.add(e);
            byName.put(name, e);
            primaryNames.add(name);
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
        List<String> names = primaryNames;
        Set<String> twins = new HashSet<>();
        if (backupPort != null) {
            names = new ArrayList<>(n * 2);
            for (Entry e : entries) {
                names.add(e.name);
                String twin = ServiceRenderer.serverName(e.backend, backupPort);
                if (!byName.containsKey(twin) && twins.add(twin)) {
                    names.add(twin);
                }
            }
        }
        Map<String, Integer> assigned = ids.assign(names, explicit, busyIds);
        explicitIds = !explicit.isEmpty();

        Set<String> changed = new HashSet<>();
        for (String name : primaries.keySet()) {
            if (!byName.containsKey(name)) {
                changed.add(name);
            }
        }
        Map<String, Line> next = new HashMap<>(names.size() * 4 / 3 + 1);
        for (Entry e : entries) {
            e.line = line(e.name, e.backend, e.backend.port(), assigned.get(e.name), false, e.disabled, next, changed);
        }
        discovery = entries;
        primaries = byName;
        sorted.clear();
        if (!"no_shuffle".equals(settings.backendOrder())) {
            sorted.addAll(entries);
            sorted.sort(BY_NAME);
        }
        if (backupPort == null) {
            lines = next;
            touched = changed;
            print(printOrder());
            return;
        }
        // each backup twin is printed after the first server (in print order) that has it
        List<Line> out = new ArrayList<>(names.size());
        Set<String> twinsLeft = new HashSet<>(twins);
        for (Entry e : printOrder()) {
            out.add(e.line);
            Backend b = e.backend;
            String twin = ServiceRenderer.serverName(b, backupPort);
            if (twinsLeft.remove(twin)) {
                out.add(line(twin, b, backupPort, assigned.get(twin), true, e.disabled, next, changed));
            }
        }
        for (String name : lines.keySet()) {
            if (!next.containsKey(name)) {
                changed.add(name);
            }
        }
        lines = next;
        touched = changed;
        join(out);
    }

    private void print(List<Entry> order) {
        List<Line> out = new ArrayList<>(order.size());
        for (Entry e : order) {
            out.add(e.line);
        }
        join(out);
    }

    private void join(List<Line> out) {
        long size = headBytes.length;
        byte[][] text = new byte[out.size()][];
        for (int i = 0; i < text.length; i++) {
            text[i] = out.get(i).bytes();
            size += text[i].length;
        }
        printed = out;
        printedBytes = text;
        byteSize = size;
    }

    /** Whether two printings give the same text. */
    private static boolean sameText(List<Line> a, List<Line> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i) && !java.util.Arrays.equals(a.get(i).bytes(), b.get(i).bytes())) {
                return false;
            }
        }
        return true;
    }

    /** The cached line of {@code name} if what it depends on is unchanged, else a new one; put into {@code next}. */
    private Line line(String name, Backend b, int port, Integer id, boolean backup, boolean disabled, Map<String, Line> next,
            Set<String> changed) {
        Line old = lines.get(name);
        Line l = old;
        if (old == null || old.port() != port || old.backup() != backup || old.disabled() != disabled
                || !Objects.equals(old.id(), id) || old.backend() != b && !old.backend().equals(b)) {
            ServerSpec spec = renderer.spec(settings, cookies, b, port, id, weights, backup, disabled);
            l = new Line(b, port, id, backup, disabled, spec, ("\t" + spec.line() + "\n").getBytes(StandardCharsets.UTF_8));
            if (old == null || !old.spec().equals(spec)) {
                changed.add(name);
            }
        }
        next.put(name, l);
        return l;
    }

    /** The primary servers in the order they are printed ({@code backend_order}). */
    private List<Entry> printOrder() {
        String order = settings.backendOrder();
        if ("no_shuffle".equals(order)) {
            return discovery;
        }
        if ("asc".equals(order)) {
            return sorted;
        }
        if ("desc".equals(order)) {
            List<Entry> copy = new ArrayList<>(sorted);
            Collections.reverse(copy);
            return copy;
        }
        // a stable shuffle of the sorted servers: the same servers give the same order on every
        // host start. The permutation depends on the count only (Collections.shuffle's algorithm,
        // kept for the count), so a server replaced by another costs no new one
        int n = sorted.size();
        if (shuffle == null || shuffle.length != n) {
            Random random = new Random(renderer.shuffleSeed(service));
            shuffle = new int[n];
            for (int i = 0; i < n; i++) {
                shuffle[i] = i;
            }
            for (int i = n; i > 1; i--) {
                int j = random.nextInt(i);
                int t = shuffle[i - 1];
                shuffle[i - 1] = shuffle[j];
                shuffle[j] = t;
            }
        }
        Entry[] out = new Entry[n];
        for (int i = 0; i < n; i++) {
            out[i] = sorted.get(shuffle[i]);
        }
        return java.util.Arrays.asList(out);
    }
}
