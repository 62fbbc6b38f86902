package io.synapse.haproxy;

import io.micrometer.core.instrument.Metrics;
import io.synapse.output.AtomicFiles;
import io.synapse.output.Commands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The one place where the running HAProxy is changed: server changes through the runtime API, and
 * reloads. It keeps what it believes HAProxy runs (per service: the non-server lines and every
 * server), compares it with what the generator rendered, and sends only the difference:
 *
 * <ul>
 *   <li>a new server: {@code add server} with the name, id and options of its line, then {@code
 *       set server ... state ready}, {@code enable health} / {@code enable agent} for checks;
 *   <li>a server gone: {@code set server ... state maint}, then {@code del server}; HAProxy refuses
 *       the delete while requests are still in flight, so the server waits in maintenance and the
 *       delete is retried;
 *   <li>a new weight or state: {@code set server ... weight|state};
 *   <li>other options of a server: {@code del server} and {@code add server} again.
 * </ul>
 *
 * Anything else (a non-server line, a new or removed service, a server HAProxy 2.6 cannot add live,
 * a socket that cannot be reached or answers something unexpected) is left to one reload, which is
 * coalesced and rate-limited by the {@link Reloader}. Just before a reload, {@code show servers
 * state} is written to the {@code server-state-file}, without the servers whose line changed, so
 * that weights and maintenance set at run time survive it.
 *
 * <p>The generator renders, applies and writes under {@link #lock()}; a reload takes the same lock,
 * so the file HAProxy loads is the one this model describes.
 */
final class HaproxyControl implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HaproxyControl.class);
    static final String DELETED = "Server deleted.";
    static final String NO_SUCH_SERVER = "No such server.";
    static final String ADDED = "New server registered.";
    static final String BUSY = "Server still has connections attached to it, cannot remove it.";
    /** How long a new server may wait for a server HAProxy still has (same name or id) before a reload brings it in. */
    static final long BLOCKED_MAX_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long MASTER_RELOAD_TIMEOUT_MILLIS = 120_000;
    private static final long NEW_PID_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ReentrantLock lock = new ReentrantLock();
    private final GlobalSettings global;
    private final RuntimeApi api;
    private final MasterCli master;
    private final Reloader reloader;
    private final Supplier<Map<String, ServiceSection>> sections;
    private final ScheduledExecutorService retries;

    /** What HAProxy runs, per service; null when not known (it runs a file synapse did not write, or nothing yet). */
    private Map<String, Running> running;
    private byte[] runningShared;
    /** The shared frontend the generator rendered last. */
    private byte[] latestShared;
    /** Why a reload is needed, by what it is about (a service, or service/server); empty when none is. */
    private final Map<String, String> reasons = new LinkedHashMap<>();
    /** Whether the file on disk is the one {@link #sections} renders (the last write succeeded). */
    private boolean fileCurrent;
    /** The runtime API failed and that was logged: one warning per episode. */
    private boolean trouble;
    private boolean retryScheduled;
    private boolean stateFileChecked;
    private long retryDelayMillis = 50;
    private volatile long reloads;
    private volatile long liveCommands;

    /** One service as HAProxy runs it. */
    private static final class Running {
        final String head;
        final String backend;
        final BackendTraits traits;
        /** The servers HAProxy has, as this side last set them. */
        final Map<String, ServerSpec> servers = new HashMap<>();
        final Map<Integer, String> ids = new HashMap<>();
        /** In maintenance, waiting for {@code del server} (requests in flight). */
        final Set<String> pending = new LinkedHashSet<>();
        /** Wanted servers waiting for a name or id that a pending server still holds, since (nanoTime). */
        final Map<String, Long> blocked = new LinkedHashMap<>();
        /** Servers left to the next reload. */
        final Set<String> unsynced = new HashSet<>();

        Running(ServiceSection s) {
            this.head = s.head();
            this.backend = s.backendName();
            this.traits = s.traits();
            s.forEachSpec(spec -> put(spec));
        }

        void put(ServerSpec spec) {
            ServerSpec old = servers.put(spec.name(), spec);
            if (old != null && old.id() != null) {
                ids.remove(old.id(), old.name());
            }
            if (spec.id() != null) {
                ids.put(spec.id(), spec.name());
            }
        }

        void remove(String name) {
            ServerSpec old = servers.remove(name);
            if (old != null && old.id() != null) {
                ids.remove(old.id(), name);
            }
            pending.remove(name);
        }
    }

    private enum Kind { ADD, READY, MAINT, WEIGHT, HEALTH, AGENT, COOKIES, DEL }

    /**
     * One command. {@code target} is what the server is once it (and the server's other commands of
     * the batch) succeeded; {@code after}, a command of an earlier batch that must have succeeded
     * first.
     */
    private record Cmd(Kind kind, Running running, String service, String server, String text, ServerSpec target, Cmd after) {}

    HaproxyControl(GlobalSettings global, Supplier<Map<String, ServiceSection>> sections) {
        this.global = requireNonNull(global, "global is null");
        this.sections = requireNonNull(sections, "sections is null");
        this.api = global.doSocket() ? new RuntimeApi(global.socketFilePaths(), global.masterSocketPath()) : null;
        this.master = global.masterSocketPath() == null ? null : new MasterCli(global.masterSocketPath());
        this.reloader = global.doReloads() ? new Reloader(global.restartInterval(), global.restartJitter(), this::reload) : null;
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "haproxy-runtime-retry");
            t.setDaemon(true);
            return t;
        });
    }

    ReentrantLock lock() {
        return lock;
    }

    long reloads() {
        return reloads;
    }

    long liveCommands() {
        return liveCommands;
    }

    /** The ids of {@code service}'s servers that HAProxy still has in maintenance: not to be given to new servers yet. */
    Set<Integer> busyIds(String service) {
        Running r = running == null ? null : running.get(service);
        if (r == null || r.pending.isEmpty()) {
            return Set.of();
        }
        Set<Integer> busy = new HashSet<>();
        for (String name : r.pending) {
            ServerSpec s = r.servers.get(name);
            if (s != null && s.id() != null) {
                busy.add(s.id());
            }
        }
        return busy;
    }

    /** The file on disk is what HAProxy runs (found unchanged at start-up). */
    void assumeRunning(byte[] shared) {
        latestShared = shared;
        adoptFile(shared);
        fileCurrent = true;
    }

    /** HAProxy runs something else than what is rendered now: only a reload can tell it. */
    void unknownRunning(String why) {
        running = null;
        reasons.putIfAbsent("*", why);
    }

    /**
     * Brings HAProxy up to the rendered {@code changed} sections through the runtime API where it
     * can; what it cannot is remembered for the next reload. Call before writing the file.
     */
    void apply(List<ServiceSection> changed, byte[] shared) {
        fileCurrent = false;
        latestShared = shared;
        if (api == null) {
            // do_socket false (Ruby's choice): every change is a reload
            reasons.putIfAbsent("*", "the file changed and do_socket is false");
            return;
        }
        if (running == null) {
            return;
        }
        if (!Arrays.equals(shared, runningShared)) {
            reasons.putIfAbsent("shared-frontend", "the shared frontend changed");
        }
        Map<String, ServiceSection> all = sections.get();
        for (String service : all.keySet()) {
            if (!running.containsKey(service)) {
                reasons.putIfAbsent(service, "service " + service + " is new");
            }
        }
        for (String service : running.keySet()) {
            if (!all.containsKey(service)) {
                reasons.putIfAbsent(service, "service " + service + " was removed");
            }
        }
        List<Cmd> batch = new ArrayList<>();
        List<Cmd> later = new ArrayList<>();
        int touched = 0;
        for (ServiceSection s : changed) {
            Running r = running.get(s.service());
            if (r == null) {
                continue;
            }
            if (!r.head.equals(s.head())) {
                reasons.putIfAbsent(s.service(), "service " + s.service() + ": its frontend or backend lines changed");
                continue;
            }
            if (s.touched().isEmpty() && r.pending.isEmpty() && r.blocked.isEmpty()) {
                continue;
            }
            touched += s.touched().size();
            plan(s, r, s.touched(), batch, later);
        }
        execute(batch, later, touched);
    }

    /** The file was written: a reload, if one is needed, may load it now. */
    void installed() {
        if (!stateFileChecked) {
            stateFileChecked = true;
            Path path = global.serverStateFile();
            if (path != null && !java.nio.file.Files.exists(path)) {
                clearServerState(); // HAProxy warns about a missing one
            }
        }
        fileCurrent = true;
        if (reasons.isEmpty()) {
            return;
        }
        if (reloader != null) {
            reloader.request();
        } else {
            // nobody here reloads (do_reloads false): whoever does will load this file
            adoptFile(latestShared);
        }
    }

    /** Everything rendered is what HAProxy runs now. */
    private void adoptFile(byte[] shared) {
        reasons.clear();
        if (api == null) {
            running = Map.of(); // nothing to compare with: without the runtime API every change reloads
            return;
        }
        Map<String, Running> next = new HashMap<>();
        sections.get().forEach((service, section) -> next.put(service, new Running(section)));
        running = next;
        runningShared = shared;
    }

    /** Plans the commands that take {@code r} to {@code s} for {@code names} and the servers still waiting. */
    private void plan(ServiceSection s, Running r, Set<String> names, List<Cmd> batch, List<Cmd> later) {
        Set<String> todo = new LinkedHashSet<>(names);
        todo.addAll(r.pending);
        todo.addAll(r.blocked.keySet());
        List<Cmd> adds = new ArrayList<>();
        List<Cmd> sets = new ArrayList<>();
        List<Cmd> removals = new ArrayList<>();
        Map<String, Cmd> deletes = new HashMap<>();
        List<ServerSpec> waiting = new ArrayList<>();
        String b = r.backend;
        for (String name : todo) {
            if (r.unsynced.contains(name)) {
                continue; // left to the reload
            }
            ServerSpec want = s.spec(name);
            ServerSpec have = r.servers.get(name);
            boolean pending = r.pending.contains(name);
            if (want == null) {
                r.blocked.remove(name);
                if (have != null) {
                    if (!pending) {
                        removals.add(new Cmd(Kind.MAINT, r, s.service(), name, "set server " + b + "/" + name + " state maint", null, null));
                    }
                    Cmd del = new Cmd(Kind.DEL, r, s.service(), name, "del server " + b + "/" + name, null, null);
                    removals.add(del);
                    deletes.put(name, del);
                }
                continue;
            }
            if (have == null) {
                waiting.add(want);
                continue;
            }
            if (have.equals(want) && !pending) {
                r.blocked.remove(name);
                continue;
            }
            if (have.sameBase(want)) {
                r.blocked.remove(name);
                if (pending) {
                    r.pending.remove(name); // it came back before it could be deleted
                }
                int weight = want.weight(r.traits);
                if (weight != have.weight(r.traits)) {
                    if (!r.traits.dynamicBalance() && weight != 0) {
                        unsynced(r, s.service(), name, "its balance algorithm takes weights 0% and 100% only at run time");
                        continue;
                    }
                    sets.add(new Cmd(Kind.WEIGHT, r, s.service(), name, "set server " + b + "/" + name + " weight " + weight, want, null));
                }
                if (want.disabled() != have.disabled() || pending) {
                    String state = want.disabled() ? "maint" : "ready";
                    sets.add(new Cmd(want.disabled() ? Kind.MAINT : Kind.READY, r, s.service(), name,
                            "set server " + b + "/" + name + " state " + state, want, null));
                }
                if (sets.isEmpty() || !sets.get(sets.size() - 1).server().equals(name)) {
                    r.put(want); // nothing HAProxy shows differs (a weight written another way)
                }
                continue;
            }
            // other options: the server is added again under its name, if it can be
            String why = want.notLive(r.traits);
            if (why != null) {
                unsynced(r, s.service(), name, why);
                continue;
            }
            if (!pending) {
                removals.add(new Cmd(Kind.MAINT, r, s.service(), name, "set server " + b + "/" + name + " state maint", null, null));
            }
            Cmd del = new Cmd(Kind.DEL, r, s.service(), name, "del server " + b + "/" + name, null, null);
            removals.add(del);
            deletes.put(name, del);
            waiting.add(want);
        }
        for (ServerSpec want : waiting) {
            String why = want.notLive(r.traits);
            if (why != null) {
                r.blocked.remove(want.name());
                unsynced(r, s.service(), want.name(), why);
                continue;
            }
            // the name, or the id, may still be held by a server HAProxy has: add after its delete
            Cmd dependsOn = deletes.get(want.name());
            String holder = r.ids.get(want.id());
            if (dependsOn == null && holder != null && !holder.equals(want.name())) {
                dependsOn = deletes.get(holder);
                if (dependsOn == null) {
                    r.blocked.putIfAbsent(want.name(), System.nanoTime());
                    continue;
                }
            }
            if (dependsOn == null && r.servers.containsKey(want.name())) {
                r.blocked.putIfAbsent(want.name(), System.nanoTime());
                continue;
            }
            List<Cmd> into = dependsOn == null ? adds : later;
            addCommands(s, r, want, dependsOn, into);
        }
        // new servers first, then weights and states, then removals: a backend whose servers are
        // all replaced at once never has none
        batch.addAll(adds);
        batch.addAll(sets);
        batch.addAll(removals);
    }

    private void addCommands(ServiceSection s, Running r, ServerSpec want, Cmd after, List<Cmd> into) {
        String b = r.backend;
        String name = want.name();
        Cmd add = new Cmd(Kind.ADD, r, s.service(), name, want.addCommand(b, r.traits), want, after);
        into.add(add);
        if (!want.disabled()) {
            into.add(new Cmd(Kind.READY, r, s.service(), name, "set server " + b + "/" + name + " state ready", want, add));
        }
        if (want.has("check")) {
            into.add(new Cmd(Kind.HEALTH, r, s.service(), name, "enable health " + b + "/" + name, want, add));
        }
        if (want.has("agent-check")) {
            into.add(new Cmd(Kind.AGENT, r, s.service(), name, "enable agent " + b + "/" + name, want, add));
        }
        if (r.traits.cookies() == BackendTraits.Cookies.DYNAMIC) {
            into.add(new Cmd(Kind.COOKIES, r, s.service(), name, "enable dynamic-cookie backend " + b, want, add));
        }
    }

    /** Runs the planned commands, then the ones that waited for a delete of the first batch ({@code touched} -1: a retry). */
    private void execute(List<Cmd> batch, List<Cmd> later, int touched) {
        if (batch.isEmpty() && later.isEmpty()) {
            scheduleRetryIfWaiting();
            return;
        }
        long t0 = System.nanoTime();
        Set<Cmd> ok = new HashSet<>();
        boolean worked = send(batch, ok);
        List<Cmd> second = new ArrayList<>();
        for (Cmd c : later) {
            Cmd dependency = c.kind() == Kind.ADD ? c.after() : c.after().after();
            if (ok.contains(dependency)) {
                second.add(c);
            } else if (c.kind() == Kind.ADD && !c.running().unsynced.contains(c.server())) {
                c.running().blocked.putIfAbsent(c.server(), System.nanoTime());
            }
        }
        if (!second.isEmpty()) {
            worked &= send(second, ok);
        }
        if (worked && trouble) {
            trouble = false;
            LOG.info("haproxy: the runtime API ({}) answers as expected again", api.target());
        }
        long sent = batch.size() + second.size();
        liveCommands += sent;
        if (touched >= 0) {
            // synapse_haproxy_runtime_updates_total: changes the runtime API took (ok) or that fell back to a reload (failed)
            Metrics.counter("synapse.haproxy.runtime.updates", "result", worked ? "ok" : "failed").increment();
        }
        if (worked && touched >= 0) {
            LOG.info("haproxy: {} server change(s) applied through the runtime API in {} ms ({} command(s)), no reload", touched,
                    String.format("%.1f", (System.nanoTime() - t0) / 1e6), sent);
        } else if (worked) {
            LOG.debug("haproxy: retried {} command(s) for servers that were waiting", sent);
        }
        scheduleRetryIfWaiting();
    }

    /** Sends {@code cmds} and records what each answer means; false when anything unexpected happened. */
    private boolean send(List<Cmd> runnable, Set<Cmd> ok) {
        List<String> answers;
        try {
            List<String> texts = new ArrayList<>(runnable.size());
            runnable.forEach(c -> texts.add(c.text()));
            answers = api.run(texts);
        } catch (IOException e) {
            problem("cannot be used (" + e.getMessage() + ")");
            for (Cmd c : runnable) {
                unsynced(c.running(), c.service(), c.server(), "the runtime API failed");
            }
            return false;
        }
        boolean expected = true;
        Set<String> failed = new HashSet<>();
        for (int i = 0; i < runnable.size(); i++) {
            Cmd c = runnable.get(i);
            String answer = answers.get(i);
            Running r = c.running();
            String key = c.service() + "/" + c.server();
            if (c.kind() != Kind.ADD && c.kind() != Kind.DEL && c.after() != null && !ok.contains(c.after())) {
                continue; // the add it follows failed
            }
            switch (c.kind()) {
                case ADD -> {
                    if (ADDED.equals(answer)) {
                        r.put(c.target());
                        r.blocked.remove(c.server());
                        ok.add(c);
                    } else {
                        failed.add(key);
                    }
                }
                case DEL -> {
                    if (DELETED.equals(answer) || NO_SUCH_SERVER.equals(answer)) {
                        r.remove(c.server());
                        ok.add(c);
                    } else if (BUSY.equals(answer)) {
                        r.pending.add(c.server()); // in maintenance: retried until its requests are done
                        continue;
                    } else {
                        failed.add(key);
                    }
                }
                default -> {
                    if (answer.isEmpty()) {
                        ok.add(c);
                    } else {
                        failed.add(key);
                    }
                }
            }
            if (failed.contains(key) && !r.unsynced.contains(c.server())) {
                expected = false;
                problem("answered \"" + RuntimeApi.firstLine(answer) + "\" to \"" + c.text() + "\"");
                unsynced(r, c.service(), c.server(), "the runtime API refused " + c.kind().name().toLowerCase() + ": " + RuntimeApi.firstLine(answer));
            }
        }
        // weights and states that all went through
        for (Cmd c : runnable) {
            if ((c.kind() == Kind.WEIGHT || c.kind() == Kind.READY || c.kind() == Kind.MAINT) && c.target() != null
                    && c.after() == null && ok.contains(c) && !failed.contains(c.service() + "/" + c.server())) {
                c.running().put(c.target());
            }
        }
        return expected;
    }

    private void problem(String what) {
        if (!trouble) {
            trouble = true;
            LOG.warn("haproxy: the runtime API ({}) {}; reloading instead (logged once until it works again)", api.target(), what);
        } else {
            LOG.debug("haproxy: the runtime API ({}) {}", api.target(), what);
        }
    }

    private void unsynced(Running r, String service, String server, String why) {
        r.unsynced.add(server);
        r.blocked.remove(server);
        reasons.putIfAbsent(service + "/" + server, "server " + r.backend + "/" + server + ": " + why);
    }

    private void scheduleRetryIfWaiting() {
        if (running == null || retryScheduled) {
            return;
        }
        boolean waiting = running.values().stream().anyMatch(r -> !r.pending.isEmpty() || !r.blocked.isEmpty());
        if (!waiting) {
            retryDelayMillis = 50;
            return;
        }
        retryScheduled = true;
        try {
            retries.schedule(this::retry, retryDelayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            retryScheduled = false; // closing
        }
        retryDelayMillis = Math.min(2000, retryDelayMillis * 2);
    }

    /** Retries the deletes HAProxy refused (requests in flight) and the additions that wait for them. */
    private void retry() {
        lock.lock();
        try {
            retryScheduled = false;
            if (running == null) {
                return;
            }
            Map<String, ServiceSection> all = sections.get();
            List<Cmd> batch = new ArrayList<>();
            List<Cmd> later = new ArrayList<>();
            long now = System.nanoTime();
            running.forEach((service, r) -> {
                ServiceSection s = all.get(service);
                if (s == null || !r.head.equals(s.head())) {
                    return;
                }
                for (Map.Entry<String, Long> e : new ArrayList<>(r.blocked.entrySet())) {
                    if (now - e.getValue() > BLOCKED_MAX_NANOS) {
                        unsynced(r, service, e.getKey(), "waited " + TimeUnit.NANOSECONDS.toSeconds(BLOCKED_MAX_NANOS)
                                + " s for a server HAProxy still has (same name or id) to finish its requests");
                    }
                }
                if (!r.pending.isEmpty() || !r.blocked.isEmpty()) {
                    plan(s, r, Set.of(), batch, later);
                }
            });
            boolean any = !batch.isEmpty() || !later.isEmpty();
            execute(batch, later, -1);
            if (any && !reasons.isEmpty() && fileCurrent && reloader != null) {
                reloader.request();
            }
        } finally {
            lock.unlock();
        }
    }

    /** One reload (the {@link Reloader}'s action): returns what happened, or null when there was nothing to do. */
    private String reload() throws Exception {
        lock.lockInterruptibly();
        try {
            if (reasons.isEmpty()) {
                return null;
            }
            if (!fileCurrent) {
                return null; // the file on disk is older than the model: asked again once it is written
            }
            String why = reasons.values().iterator().next() + (reasons.size() > 1 ? " (and " + (reasons.size() - 1) + " more)" : "");
            saveServerState();
            String how;
            if (master != null) {
                long pid = master.reload(MASTER_RELOAD_TIMEOUT_MILLIS);
                if (api != null && !api.viaMaster()) {
                    waitForWorker(pid);
                }
                how = "master socket, worker " + pid;
            } else {
                Long before = api != null ? pidOrNull() : null;
                Commands.Result r = Commands.run(global.reloadCommand(), Duration.ofSeconds(60));
                if (!r.ok()) {
                    throw new IOException("exit " + r.exitCode() + ": " + r.summary());
                }
                how = "reload_command" + (api != null ? waitForNewPid(before) : "");
            }
            clearServerState();
            adoptFile(latestShared);
            reloads++;
            return how + "; " + why;
        } finally {
            lock.unlock();
        }
    }

    /** {@code show servers state} with no server: what the state file holds when no reload is under way. */
    static final String EMPTY_SERVER_STATE = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight"
            + " srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state"
            + " srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port"
            + " srv_check_addr srv_agent_addr srv_agent_port\n";

    /**
     * Empties the {@code server-state-file} once HAProxy loaded it: a later reload by someone else
     * (an operator, systemd) must not apply a state older than the file's lines.
     */
    private void clearServerState() {
        Path path = global.serverStateFile();
        if (path == null) {
            return;
        }
        try {
            AtomicFiles.writeIfChanged(path, EMPTY_SERVER_STATE.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            LOG.warn("haproxy: cannot empty the server state file {}: {}", path, e.getMessage());
        }
    }

    private Long pidOrNull() {
        try {
            return api.workerPid();
        } catch (IOException e) {
            return null;
        }
    }

    /** After reload_command: waits until a new process answers the stats socket (the old one may for a while). */
    private String waitForNewPid(Long before) throws InterruptedException {
        // a socket that did not answer before the reload gets a short wait: it may not exist at all
        long deadline = System.nanoTime() + (before == null ? NEW_PID_TIMEOUT_NANOS / 5 : NEW_PID_TIMEOUT_NANOS);
        Long now = null;
        while (System.nanoTime() < deadline) {
            now = pidOrNull();
            if (now != null && !now.equals(before)) {
                return ", pid " + now;
            }
            Thread.sleep(20);
        }
        LOG.warn("haproxy: reload_command succeeded but {} still answers from pid {} after {} s",
                api.target(), now, TimeUnit.NANOSECONDS.toSeconds(NEW_PID_TIMEOUT_NANOS));
        return ", pid unchanged";
    }

    /**
     * After a master reload: the old worker may answer the stats socket for up to a second, and
     * commands it takes are lost with it. Waits until the new worker answers (or nobody does: then
     * the next command fails and is left to a reload).
     */
    private void waitForWorker(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + NEW_PID_TIMEOUT_NANOS;
        while (System.nanoTime() < deadline) {
            long now;
            try {
                now = api.workerPid();
            } catch (IOException e) {
                return;
            }
            if (now == pid) {
                return;
            }
            Thread.sleep(20);
        }
        LOG.warn("haproxy: {} still answers from an old worker {} s after the reload to worker {}", api.target(),
                TimeUnit.NANOSECONDS.toSeconds(NEW_PID_TIMEOUT_NANOS), pid);
    }

    /**
     * Writes {@code show servers state} to the {@code server-state-file}, less the servers whose line
     * changed (the state file would override the new line: HAProxy matches by name).
     */
    private void saveServerState() {
        Path path = global.serverStateFile();
        if (path == null || api == null || running == null) {
            return;
        }
        String state;
        try {
            state = api.showServersState();
        } catch (IOException e) {
            problem("cannot be used (" + e.getMessage() + "); reloading without saving the server state to " + path);
            return;
        }
        Map<String, ServiceSection> all = sections.get();
        Map<String, Set<String>> stale = new HashMap<>();
        running.forEach((service, r) -> {
            ServiceSection s = all.get(service);
            Set<String> names = stale.computeIfAbsent(r.backend, k -> new HashSet<>());
            for (Map.Entry<String, ServerSpec> e : r.servers.entrySet()) {
                ServerSpec want = s == null ? null : s.spec(e.getKey());
                if (want == null || !want.equals(e.getValue()) || r.unsynced.contains(e.getKey())) {
                    names.add(e.getKey());
                }
            }
        });
        StringBuilder out = new StringBuilder(state.length());
        for (String line : state.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#") && line.indexOf(' ') > 0) {
                String[] w = line.split(" ", 5);
                if (w.length >= 4 && stale.getOrDefault(w[1], Set.of()).contains(w[3])) {
                    continue;
                }
            }
            out.append(line).append('\n');
        }
        try {
            AtomicFiles.write(path, out.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.warn("haproxy: cannot write the server state to {} before reloading: {}", path, e.getMessage());
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
        if (reloader != null) {
            reloader.close();
        }
    }
}
