package io.synapse.dns;

import org.xbill.DNS.Name;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What a nameserver answered to a {@link Question} when it did answer: records, or that the name
 * has none of the type ({@link Kind#NODATA}) or does not exist ({@link Kind#NXDOMAIN}). Timeouts,
 * SERVFAIL, REFUSED and the like are not answers: they are failures.
 *
 * @param kind what kind of answer
 * @param addresses for A and AAAA questions: the addresses, sorted, in text form
 * @param srv for SRV questions: the records, in answer order
 * @param additional for SRV questions: the addresses the additional section gives for targets
 * @param ttlSeconds how long the answer may be used: the smallest TTL of the records it is made of
 *     (for an empty answer the SOA's negative TTL), or -1 when the answer says nothing
 */
record Answer(Kind kind, List<String> addresses, List<Srv> srv, Map<Name, List<String>> additional, long ttlSeconds) {
    enum Kind { RECORDS, NODATA, NXDOMAIN }

    /** One SRV record. A target of {@code .} means "no service here" (RFC 2782). */
    record Srv(int priority, int weight, int port, Name target) {
        Srv {
            requireNonNull(target, "target is null");
        }

        boolean noService() {
            return target.equals(Name.root);
        }
    }

    Answer {
        requireNonNull(kind, "kind is null");
        addresses = List.copyOf(addresses);
        srv = List.copyOf(srv);
        additional = Map.copyOf(additional);
    }

    static Answer empty(Kind kind, long ttlSeconds) {
        return new Answer(kind, List.of(), List.of(), Map.of(), ttlSeconds);
    }

    boolean isEmpty() {
        return kind != Kind.RECORDS;
    }

    /** {@code NXDOMAIN}, {@code no records} or {@code 3 records}: for log lines. */
    String describe() {
        return switch (kind) {
            case NXDOMAIN -> "NXDOMAIN (no such name)";
            case NODATA -> "no records of that type";
            case RECORDS -> (addresses.size() + srv.size()) + " record" + (addresses.size() + srv.size() == 1 ? "" : "s");
        };
    }
}
