package io.synapse.engine;

import io.synapse.common.log.Changes;
import io.synapse.config.LabelFilter;
import io.synapse.config.ServiceConfig;
import io.synapse.spi.Backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The reference's merge rules, as pure functions. */
final class Merge {
    private Merge() {}

    /** The watcher that discovers nothing: its service always has its default servers, as written. */
    static final String BASE_METHOD = "base";

    /**
     * What discovery + rules give before the empty-set rules: defaults (if kept), port override,
     * de-duplication (the first of each host, port and name is kept).
     */
    static List<Backend> candidates(ServiceConfig service, List<Backend> discovered) {
        List<Backend> all = new ArrayList<>(discovered);
        if (service.keepDefaultServers()) {
            all.addAll(service.defaultServers());
        }
        return dedupe(overridePorts(service, all));
    }

    static List<Backend> overridePorts(ServiceConfig service, List<Backend> backends) {
        Integer override = service.backendPortOverride();
        if (override == null) {
            return backends;
        }
        List<Backend> out = new ArrayList<>(backends.size());
        for (Backend b : backends) {
            out.add(b.withPort(override));
        }
        return out;
    }

    /** Keeps the first backend of each (host, port, name). */
    static List<Backend> dedupe(List<Backend> backends) {
        Map<String, Backend> seen = new LinkedHashMap<>();
        for (Backend b : backends) {
            seen.putIfAbsent(b.identity(), b);
        }
        return seen.size() == backends.size() ? backends : new ArrayList<>(seen.values());
    }

    /**
     * The default servers used as the fallback (nothing discovered, or the {@code base} watcher), as
     * Ruby uses them: with the ports written in the config (no port override), and a server listed
     * twice kept once, at its first entry's position with its last entry's attributes.
     */
    static List<Backend> fallback(ServiceConfig service) {
        List<Backend> defaults = service.defaultServers();
        Set<String> identities = new HashSet<>();
        for (Backend b : defaults) {
            if (!identities.add(b.identity())) {
                Map<String, Backend> seen = new LinkedHashMap<>();
                for (Backend d : defaults) {
                    seen.put(d.identity(), d); // replaces the value, keeps the first position
                }
                return List.copyOf(seen.values());
            }
        }
        return List.copyOf(defaults); // no server listed twice (the usual case): the config's own list
    }

    /**
     * The new set for a service, or empty when nothing changes. {@code current} is the set in use.
     * Compared as sets: a mere reordering is no change.
     */
    static Optional<List<Backend>> next(ServiceConfig service, List<Backend> current, List<Backend> discovered) {
        if (BASE_METHOD.equals(service.method())) {
            List<Backend> defaults = fallback(service);
            return sameSet(defaults, current) ? Optional.empty() : Optional.of(defaults);
        }
        List<Backend> candidates = candidates(service, discovered);
        if (!candidates.isEmpty()) {
            return sameSet(candidates, current) ? Optional.empty() : Optional.of(List.copyOf(candidates));
        }
        if (!service.defaultServers().isEmpty()) {
            List<Backend> defaults = fallback(service);
            return sameSet(defaults, current) ? Optional.empty() : Optional.of(defaults);
        }
        if (service.usePreviousBackends()) {
            return Optional.empty();
        }
        return current.isEmpty() ? Optional.empty() : Optional.of(List.of());
    }

    static boolean sameSet(List<Backend> a, List<Backend> b) {
        // mostly the same backends in the same order (often the same objects): no hashing then
        return a.size() == b.size() && (a.equals(b) || new HashSet<>(a).equals(new HashSet<>(b)));
    }

    /** Label filters (all must hold), then leader election (the smallest id wins). */
    static List<Backend> visible(ServiceConfig service, List<Backend> merged) {
        List<Backend> out = merged;
        List<LabelFilter> filters = service.labelFilters();
        if (!filters.isEmpty()) {
            out = new ArrayList<>();
            for (Backend b : merged) {
                if (filters.stream().allMatch(f -> f.test(b))) {
                    out.add(b);
                }
            }
        }
        if (service.leaderElection()) {
            return out.stream().filter(b -> b.id() != null).min(Comparator.comparing(Backend::id)).map(List::of).orElse(List.of());
        }
        return out;
    }

    /** {@code (+10.0.0.5:8080, -10.0.0.6:8080, ~10.0.0.7:8080)} for a log line ({@code ~}: same server, other weight, labels...). */
    static String diff(List<Backend> before, List<Backend> after) {
        return Changes.diffByKey(before, after, Backend::identity);
    }
}
