package io.synapse.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.spi.WatcherFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One registry under test (a real 3-member ZooKeeper ensemble or etcd cluster on loopback): what
 * the simulated hosts' watchers are configured with, what nerve-like writers do to it, and what
 * its servers report about themselves.
 */
interface Registry extends AutoCloseable {
    /** {@code zookeeper} or {@code etcd}. */
    String name();

    int members();

    /** The {@code discovery} section of {@code service}'s synapse config. */
    ObjectNode discovery(String service);

    /**
     * A watcher factory with its own, new client pool: every service of one simulated host shares
     * one registry client, as on a real host, and no two hosts share one.
     */
    WatcherFactory<?> hostFactory(int host);

    /** Called once the host's engine started (its client exists). */
    void hostStarted(int host);

    /** What the hosts' clients did, counted client-side; {@code null} when only the servers count. */
    ClientCounts clientCounts();

    /** Registers {@code registration} as nerve would; returns the handle to deregister it with. */
    String register(String service, NerveRegistration registration) throws Exception;

    void deregister(String service, String handle) throws Exception;

    /**
     * Waits (up to {@code timeout}) until the writers registered again whatever a lost session
     * took (as nerve does); false when they had not by then. Nothing to wait for by default.
     */
    default boolean awaitWriters(Duration timeout) throws InterruptedException {
        return true;
    }

    /** Every service's backends ({@code host:port}) as the registry holds them now. */
    Map<String, Set<String>> contents(Iterable<String> services) throws Exception;

    /** The servers' own counters, CPU and memory, member by member. */
    ServerSample sample();

    /** The member that leads now, or -1 when none answers as leader. */
    int leader();

    /** Among the followers, the one holding the most client connections (or watch streams). */
    int busiestFollower();

    void kill(int member);

    void restart(int member);

    @Override
    void close();

    /**
     * What each member reported about itself (an empty map for a member that is down): its
     * counters and gauges, {@code cpu_seconds} (CPU time since it started) and {@code rss}
     * (resident memory, bytes).
     */
    record ServerSample(List<Map<String, Double>> members) {
        /** The sum of {@code key} over the members now (for gauges). */
        double sum(String key) {
            return members.stream().mapToDouble(m -> m.getOrDefault(key, 0.0)).sum();
        }

        /** The highest value of {@code key} on one member now. */
        double max(String key) {
            return members.stream().mapToDouble(m -> m.getOrDefault(key, 0.0)).max().orElse(0);
        }

        /**
         * How much each counter grew since {@code before}, summed over the members. A member whose
         * counter went down was restarted meanwhile: it counts from zero. A member down now adds
         * nothing (what it counted before it died is lost).
         */
        Map<String, Double> since(ServerSample before) {
            Map<String, Double> out = new java.util.TreeMap<>();
            for (int i = 0; i < members.size(); i++) {
                Map<String, Double> then = i < before.members.size() ? before.members.get(i) : Map.of();
                for (Map.Entry<String, Double> e : members.get(i).entrySet()) {
                    double was = then.getOrDefault(e.getKey(), 0.0);
                    double grew = e.getValue() >= was ? e.getValue() - was : e.getValue();
                    out.merge(e.getKey(), grew, Double::sum);
                }
            }
            return out;
        }
    }

    /**
     * Client-side counts of the hosts' registry operations.
     *
     * @param listings child listings
     * @param dataReads data reads
     * @param exists existence checks
     * @param withWatch operations that set a watch
     * @param responseBytes bytes of data in the answers (ZooKeeper: node data only)
     * @param maxHostReads the most reads (listings + data + exists) one host made
     */
    record ClientCounts(long listings, long dataReads, long exists, long withWatch, long responseBytes, long maxHostReads,
                        long[] perHostReads) {
        long reads() {
            return listings + dataReads + exists;
        }

        ClientCounts minus(ClientCounts before) {
            long max = 0;
            long[] per = new long[perHostReads.length];
            for (int i = 0; i < per.length; i++) {
                per[i] = perHostReads[i] - (i < before.perHostReads.length ? before.perHostReads[i] : 0);
                max = Math.max(max, per[i]);
            }
            return new ClientCounts(listings - before.listings, dataReads - before.dataReads, exists - before.exists,
                    withWatch - before.withWatch, responseBytes - before.responseBytes, max, per);
        }
    }
}
