package io.synapse.dns;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Turns a nameserver's response into an {@link Answer}, or says why it is not one. */
final class Responses {
    /** Longest CNAME chain followed inside one answer. */
    static final int MAX_CNAMES = 8;

    private Responses() {}

    /** An answer, or the reason the response is a failure (SERVFAIL, REFUSED, a referral...). */
    record Outcome(Answer answer, String failure, Throwable cause) {
        static Outcome failed(String failure, Throwable cause) {
            return new Outcome(null, failure, cause);
        }
    }

    static Outcome classify(Question question, Message response) {
        int rcode = response.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return new Outcome(Answer.empty(Answer.Kind.NXDOMAIN, negativeTtl(response)), null, null);
        }
        if (rcode != Rcode.NOERROR) {
            return Outcome.failed(Rcode.string(rcode), null);
        }
        List<Record> answer = response.getSection(Section.ANSWER);
        long ttl = Long.MAX_VALUE;
        // follow a CNAME chain inside the answer
        Name name = question.name();
        Set<Name> seen = new HashSet<>();
        for (int i = 0; i < MAX_CNAMES; i++) {
            CNAMERecord cname = null;
            for (Record r : answer) {
                if (r.getType() == Type.CNAME && r.getName().equals(name)) {
                    cname = (CNAMERecord) r;
                }
            }
            if (cname == null || !seen.add(name)) {
                break;
            }
            ttl = Math.min(ttl, cname.getTTL());
            name = cname.getTarget();
        }
        List<String> addresses = new ArrayList<>();
        List<Answer.Srv> srv = new ArrayList<>();
        for (Record r : answer) {
            if (!r.getName().equals(name) || r.getType() != question.type()) {
                continue;
            }
            ttl = Math.min(ttl, r.getTTL());
            if (r instanceof SRVRecord s) {
                srv.add(new Answer.Srv(s.getPriority(), s.getWeight(), s.getPort(), s.getTarget()));
            } else if (r instanceof ARecord a) {
                addresses.add(Addresses.text(a.getAddress()));
            } else if (r instanceof AAAARecord a) {
                addresses.add(Addresses.text(a.getAddress()));
            }
        }
        if (addresses.isEmpty() && srv.isEmpty()) {
            boolean hasSoa = response.getSection(Section.AUTHORITY).stream().anyMatch(r -> r.getType() == Type.SOA);
            boolean referral = !hasSoa && !response.getHeader().getFlag(Flags.AA)
                    && response.getSection(Section.AUTHORITY).stream().anyMatch(r -> r.getType() == Type.NS);
            if (referral) {
                return Outcome.failed("a referral, not an answer: the nameserver does not serve this name"
                        + " and does not recurse", null);
            }
            return new Outcome(Answer.empty(Answer.Kind.NODATA, negativeTtl(response)), null, null);
        }
        Map<Name, List<String>> additional = new LinkedHashMap<>();
        if (question.type() == Type.SRV) {
            Set<Name> targets = new HashSet<>();
            srv.forEach(s -> targets.add(s.target()));
            Map<Name, TreeSet<String>> byTarget = new LinkedHashMap<>();
            for (Record r : response.getSection(Section.ADDITIONAL)) {
                InetAddress address = r instanceof ARecord a ? a.getAddress() : r instanceof AAAARecord a ? a.getAddress() : null;
                if (address != null && targets.contains(r.getName())) {
                    byTarget.computeIfAbsent(r.getName(), n -> new TreeSet<>()).add(Addresses.text(address));
                    ttl = Math.min(ttl, r.getTTL());
                }
            }
            byTarget.forEach((n, set) -> additional.put(n, List.copyOf(set)));
        }
        addresses = List.copyOf(new TreeSet<>(addresses));
        return new Outcome(new Answer(Answer.Kind.RECORDS, addresses, srv, additional, ttl), null, null);
    }

    /** RFC 2308: the smaller of the SOA record's TTL and its minimum field; -1 without an SOA. */
    static long negativeTtl(Message response) {
        for (Record r : response.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa) {
                return Math.min(soa.getTTL(), soa.getMinimum());
            }
        }
        return -1;
    }
}
