package io.synapse.engine;

import io.synapse.config.LabelFilter;
import io.synapse.config.ServiceConfig;
import io.synapse.spi.Backend;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class MergeTest {
    private static final Backend D1 = Backend.of("d1", "10.9.0.1", 80);
    private static final Backend A = Backend.of("a", "10.0.0.1", 8080);
    private static final Backend B = Backend.of("b", "10.0.0.2", 8080);

    private static ServiceConfig service(List<Backend> defaults, boolean keep, boolean usePrevious, Integer portOverride,
            boolean leader, List<LabelFilter> filters) {
        return service("fake", defaults, keep, usePrevious, portOverride, leader, filters);
    }

    private static ServiceConfig service(String method, List<Backend> defaults, boolean keep, boolean usePrevious,
            Integer portOverride, boolean leader, List<LabelFilter> filters) {
        return new ServiceConfig("api", method, null, null, filters, defaults, keep, usePrevious, portOverride, leader, Map.of());
    }

    @Test
    void discoveredSetReplacesTheCurrentOne() {
        ServiceConfig s = service(List.of(D1), false, true, null, false, List.of());
        assertThat(Merge.next(s, List.of(D1), List.of(A, B))).contains(List.of(A, B));
    }

    @Test
    void comparedAsASet() {
        ServiceConfig s = service(List.of(), false, true, null, false, List.of());
        assertThat(Merge.next(s, List.of(A, B), List.of(B, A))).isEmpty();
    }

    @Test
    void keepDefaultServersAddsThem() {
        ServiceConfig s = service(List.of(D1), true, true, null, false, List.of());
        assertThat(Merge.next(s, List.of(), List.of(A))).contains(List.of(A, D1));
    }

    @Test
    void emptyDiscoveryFallsBackToDefaultServers() {
        ServiceConfig s = service(List.of(D1), false, true, null, false, List.of());
        assertThat(Merge.next(s, List.of(A), List.of())).contains(List.of(D1));
    }

    @Test
    void emptyDiscoveryWithoutDefaultsKeepsThePreviousSet() {
        ServiceConfig s = service(List.of(), false, true, null, false, List.of());
        assertThat(Merge.next(s, List.of(A, B), List.of())).isEmpty();
    }

    @Test
    void emptyDiscoveryEmptiesWhenUsePreviousBackendsIsOff() {
        ServiceConfig s = service(List.of(), false, false, null, false, List.of());
        assertThat(Merge.next(s, List.of(A, B), List.of())).contains(List.of());
        assertThat(Merge.next(s, List.of(), List.of())).isEqualTo(Optional.empty());
    }

    @Test
    void portOverrideAppliesToDefaultsTooAndThenDeduplicates() {
        ServiceConfig s = service(List.of(D1), true, true, 9000, false, List.of());
        Backend a2 = Backend.of("a", "10.0.0.1", 8081);
        assertThat(Merge.next(s, List.of(), List.of(A, a2))).contains(List.of(A.withPort(9000), D1.withPort(9000)));
    }

    @Test
    void defaultServersUsedAsTheFallbackKeepTheirPorts() {
        ServiceConfig s = service(List.of(D1), false, true, 9000, false, List.of());
        assertThat(Merge.next(s, List.of(A), List.of())).contains(List.of(D1));
        assertThat(Merge.fallback(s)).containsExactly(D1);
    }

    @Test
    void theBaseWatcherAlwaysHasTheDefaultServersAsWritten() {
        ServiceConfig s = service("base", List.of(D1), true, true, 9000, false, List.of());
        assertThat(Merge.next(s, List.of(), List.of())).contains(List.of(D1));
        assertThat(Merge.next(s, List.of(D1), List.of())).isEmpty();
    }

    @Test
    void aDuplicateDefaultServerKeepsItsFirstPositionAndItsLastAttributes() {
        Backend first = D1.toBuilder().haproxyServerOptions("maxconn 10").build();
        Backend last = D1.toBuilder().haproxyServerOptions("maxconn 20").build();
        ServiceConfig s = service(List.of(first, A, last), false, true, null, false, List.of());
        assertThat(Merge.fallback(s)).containsExactly(last, A);
        // discovered and kept default servers: the first of each wins, as Ruby's uniq
        ServiceConfig kept = service(List.of(first, last), true, true, null, false, List.of());
        assertThat(Merge.next(kept, List.of(), List.of(A))).contains(List.of(A, first));
    }

    @Test
    void dedupeOnHostPortAndName() {
        Backend unnamed = Backend.of("10.0.0.1", 8080);
        assertThat(Merge.dedupe(List.of(A, A, unnamed, unnamed))).containsExactly(A, unnamed);
    }

    @Test
    void labelFiltersAllMustHoldAndMissingLabelIsNull() {
        Backend az1 = A.toBuilder().labels(Map.of("az", "a")).build();
        Backend az2canary = B.toBuilder().labels(Map.of("az", "a", "canary", "true")).build();
        Backend none = Backend.of("c", "10.0.0.3", 8080);
        ServiceConfig s = service(List.of(), false, true, null, false,
                List.of(new LabelFilter("az", "a", true), new LabelFilter("canary", "true", false)));
        assertThat(Merge.visible(s, List.of(az1, az2canary, none))).containsExactly(az1);
        ServiceConfig missing = service(List.of(), false, true, null, false, List.of(new LabelFilter("az", null, true)));
        assertThat(Merge.visible(missing, List.of(az1, none))).containsExactly(none);
    }

    @Test
    void leaderElectionKeepsTheSmallestId() {
        Backend a = A.toBuilder().id(12L).build();
        Backend b = B.toBuilder().id(3L).build();
        ServiceConfig s = service(List.of(), false, true, null, true, List.of());
        assertThat(Merge.visible(s, List.of(a, b, Backend.of("10.0.0.9", 1)))).containsExactly(b);
    }

    @Test
    void diffForTheLogLine() {
        assertThat(Merge.diff(List.of(A), List.of(A, B))).isEqualTo(" (+b@10.0.0.2:8080)");
        assertThat(Merge.diff(List.of(A, B), List.of(B))).isEqualTo(" (-a@10.0.0.1:8080)");
    }
}
