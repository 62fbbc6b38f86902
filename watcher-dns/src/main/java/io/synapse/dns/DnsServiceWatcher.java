package io.synapse.dns;

import io.synapse.common.concurrent.SharedResources;
import io.synapse.common.log.Changes;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * The {@code dns} watcher of one service. It subscribes to its questions on the shared {@link
 * DnsClient} of its nameservers (the configured SRV names, or A and AAAA of each host of the host
 * list, plus A and AAAA of SRV targets whose addresses the additional section did not give) and
 * publishes the whole set when every question has an answer and the set differs from the last one.
 *
 * <p>Failures: while any of its questions fails (timeout, SERVFAIL, REFUSED...), it reports
 * {@code onFailure} and publishes nothing, so the engine keeps the last good set. An NXDOMAIN or
 * empty answer is an answer: the set is empty (the engine's {@code use_previous_backends} and
 * {@code default_servers} rules apply), and it is logged once.
 *
 * <p>What is missed: a change that is undone within one TTL (or {@code min_interval}).
 */
final class DnsServiceWatcher implements ServiceWatcher, DnsClient.Subscriber {
    private static final Logger log = LoggerFactory.getLogger(DnsServiceWatcher.class);

    private enum State { LATENT, STARTED, CLOSED }

    private final String service;
    private final Settings settings;
    private final WatcherListener listener;
    private final SharedResources<ResolverKey, DnsClient> clients;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final Set<Question> configured;

    // guarded by this
    private SharedResources.Lease<ResolverKey, DnsClient> lease;
    private final Set<Question> subscribed = new LinkedHashSet<>();
    private final Map<Question, Result> results = new HashMap<>();
    private List<Backend> published;
    private boolean failing;
    private Set<String> noted = Set.of();
    private Set<Rejection> warned = Set.of();

    /** A record that cannot become a backend, and why. */
    private record Rejection(String registration, String reason) {}

    /** The last answer to a question, and the current failure (null while it answers). */
    private record Result(Answer answer, String failure, Throwable cause) {}

    DnsServiceWatcher(String service, Settings settings, WatcherListener listener, SharedResources<ResolverKey, DnsClient> clients) {
        this.service = requireNonNull(service, "service is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.clients = requireNonNull(clients, "clients is null");
        Set<Question> questions = new LinkedHashSet<>(settings.srv());
        settings.servers().forEach(h -> questions.addAll(h.questions()));
        this.configured = Set.copyOf(questions);
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        synchronized (this) {
            try {
                lease = clients.acquire(settings.resolver());
            } catch (RuntimeException e) {
                log.debug("service {}: dns resolver failure", service, e);
                listener.onFailure("dns resolver for " + settings.resolver().describe() + " could not start: " + e, e);
                return;
            }
            if (configured.isEmpty()) {
                // a host list of IP addresses only: nothing to resolve
                recompute();
                return;
            }
            for (Question q : ordered(configured)) {
                subscribe(q);
            }
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        SharedResources.Lease<ResolverKey, DnsClient> l;
        List<Question> questions;
        synchronized (this) {
            l = lease;
            questions = List.copyOf(subscribed);
            subscribed.clear();
            results.clear();
        }
        if (l == null) {
            return;
        }
        for (Question q : questions) {
            l.get().unsubscribe(q, this);
        }
        l.close();
    }

    @Override
    public Duration minInterval() {
        return settings.minInterval();
    }

    @Override
    public Duration maxInterval() {
        return settings.maxInterval();
    }

    @Override
    public synchronized void onAnswer(Question question, Answer answer) {
        if (state.get() != State.STARTED || !subscribed.contains(question)) {
            return;
        }
        results.put(question, new Result(answer, null, null));
        if (question.type() == Type.SRV) {
            followTargets();
        }
        recompute();
    }

    @Override
    public synchronized void onQueryFailure(Question question, String message, Throwable cause) {
        if (state.get() != State.STARTED || !subscribed.contains(question)) {
            return;
        }
        Result before = results.get(question);
        results.put(question, new Result(before == null ? null : before.answer(), message, cause));
        recompute();
    }

    private void subscribe(Question q) {
        if (subscribed.add(q)) {
            lease.get().subscribe(q, this);
        }
    }

    private void unsubscribe(Question q) {
        if (subscribed.remove(q)) {
            results.remove(q);
            lease.get().unsubscribe(q, this);
        }
    }

    /** Subscribes to A and AAAA of the SRV targets the additional sections left out; drops the rest. */
    private void followTargets() {
        Set<Question> wanted = new LinkedHashSet<>(configured);
        for (Question q : settings.srv()) {
            Result r = results.get(q);
            if (r == null || r.answer() == null) {
                continue;
            }
            for (Answer.Srv srv : r.answer().srv()) {
                if (!srv.noService() && !r.answer().additional().containsKey(srv.target())) {
                    wanted.add(new Question(srv.target(), Type.A));
                    wanted.add(new Question(srv.target(), Type.AAAA));
                }
            }
        }
        for (Question q : List.copyOf(subscribed)) {
            if (!wanted.contains(q)) {
                unsubscribe(q);
            }
        }
        for (Question q : wanted) {
            subscribe(q);
        }
    }

    /** Publishes the set when every question has a result and none is failing. */
    private void recompute() {
        List<String> failures = new ArrayList<>();
        Throwable cause = null;
        for (Question q : subscribed) {
            Result r = results.get(q);
            if (r == null) {
                return; // waiting for a first result
            }
            if (r.failure() != null) {
                failures.add(r.failure());
                cause = cause == null ? r.cause() : cause;
            }
        }
        if (!failures.isEmpty()) {
            failing = true;
            String message = failures.get(0) + (failures.size() > 1 ? " (and " + (failures.size() - 1) + " more failing)" : "");
            listener.onFailure(message, cause);
            return;
        }
        Set<String> notes = new LinkedHashSet<>();
        Set<Rejection> warnings = new LinkedHashSet<>();
        List<Backend> backends = settings.srv().isEmpty() ? fromHosts(notes, warnings) : fromSrv(notes, warnings);
        // each empty answer and each skipped record is logged once, again only after it went away
        for (String note : notes) {
            if (!noted.contains(note)) {
                log.info("service {}: {}", service, note);
            }
        }
        for (Rejection r : warnings) {
            if (!warned.contains(r)) {
                log.warn("service {}: skipping {}: {}", service, r.registration(), r.reason());
                listener.onRejected(r.registration(), r.reason());
            }
        }
        noted = notes;
        warned = warnings;
        if (backends.equals(published) && !failing) {
            return;
        }
        log.debug("service {}: dns {}", service, Changes.summary(published == null ? List.of() : published, backends, "backends"));
        published = backends;
        failing = false;
        listener.onBackends(backends);
    }

    private List<Backend> fromHosts(Set<String> notes, Set<Rejection> warnings) {
        Map<String, Backend> out = new LinkedHashMap<>();
        for (Settings.Host host : settings.servers()) {
            List<String> addresses = host.address() ? List.of(host.host()) : addresses(Question.absolute(host.host()));
            if (addresses.isEmpty()) {
                notes.add("dns " + host.host() + " has no A or AAAA records" + emptyReason(Question.absolute(host.host()))
                        + "; server " + (host.name() == null ? host.host() : RegistryValues.quote(host.name())) + " has no backends");
            }
            for (String address : addresses) {
                add(out, Backend.builder(address, host.port()).name(host.name()).labels(host.labels()),
                        RegistryValues.quote(host.name() == null ? host.host() : host.name()) + " (" + address + ")", warnings);
            }
        }
        return List.copyOf(out.values());
    }

    private List<Backend> fromSrv(Set<String> notes, Set<Rejection> warnings) {
        Map<String, Backend> out = new LinkedHashMap<>();
        for (Question q : settings.srv()) {
            Answer answer = results.get(q).answer();
            if (answer.isEmpty()) {
                notes.add("dns " + q.describe() + ": " + answer.describe() + "; no backends from it");
                continue;
            }
            int primary = answer.srv().stream().mapToInt(Answer.Srv::priority).min().orElse(0);
            Map<Integer, Integer> groupMax = new HashMap<>();
            for (Answer.Srv srv : answer.srv()) {
                groupMax.merge(srv.priority(), srv.weight(), Math::max);
            }
            List<Answer.Srv> records = new ArrayList<>(answer.srv());
            records.sort(Comparator.comparingInt(Answer.Srv::priority)
                    .thenComparing(Comparator.comparingInt(Answer.Srv::weight).reversed())
                    .thenComparing(s -> s.target().toString())
                    .thenComparingInt(Answer.Srv::port));
            for (Answer.Srv srv : records) {
                if (srv.noService()) {
                    continue;
                }
                List<String> addresses = answer.additional().get(srv.target());
                if (addresses == null) {
                    addresses = addresses(srv.target());
                }
                String target = Question.text(srv.target());
                if (addresses.isEmpty()) {
                    notes.add("dns " + q.describe() + ": target " + target + " has no A or AAAA records" + emptyReason(srv.target()));
                    continue;
                }
                int weight = SrvWeights.haproxyWeight(srv.weight(), groupMax.get(srv.priority()));
                boolean backup = srv.priority() != primary;
                Map<String, String> labels = Map.of(
                        "srv_name", Question.text(q.name()),
                        "srv_priority", Integer.toString(srv.priority()),
                        "srv_weight", Integer.toString(srv.weight()));
                for (String address : addresses) {
                    add(out, Backend.builder(address, srv.port()).name(target).weight(weight)
                            .haproxyServerOptions("weight " + weight + (backup ? " backup" : "")).labels(labels),
                            "SRV record " + RegistryValues.quote(Question.text(q.name()) + " " + srv.priority() + " " + srv.weight() + " "
                                    + srv.port() + " " + Question.text(srv.target())) + " (" + address + ")", warnings);
                }
            }
        }
        return List.copyOf(out.values());
    }

    /** The addresses of A and AAAA answers of a name: IPv4 first, each sorted. */
    private List<String> addresses(Name name) {
        List<String> out = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            Result r = results.get(new Question(name, type));
            if (r != null && r.answer() != null) {
                out.addAll(r.answer().addresses());
            }
        }
        return out;
    }

    private String emptyReason(Name name) {
        Result a = results.get(new Question(name, Type.A));
        return a != null && a.answer() != null && a.answer().kind() == Answer.Kind.NXDOMAIN ? " (NXDOMAIN)" : "";
    }

    private void add(Map<String, Backend> out, Backend.Builder builder, String what, Set<Rejection> warnings) {
        try {
            Backend b = builder.build();
            out.putIfAbsent(b.identity(), b);
        } catch (IllegalArgumentException e) {
            warnings.add(new Rejection(what, e.getMessage()));
        }
    }

    /** Questions in a stable order: SRV first, then by name. */
    private static List<Question> ordered(Set<Question> questions) {
        List<Question> out = new ArrayList<>(questions);
        out.sort(Comparator.comparing((Question q) -> q.type() != Type.SRV).thenComparing(q -> q.name().toString())
                .thenComparingInt(Question::type));
        return out;
    }
}
