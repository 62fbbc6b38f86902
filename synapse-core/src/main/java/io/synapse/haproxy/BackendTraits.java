package io.synapse.haproxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What decides whether HAProxy 2.6 can take a backend's servers live ({@code add server}), read
 * from the {@code defaults} lines and the backend's own lines (the later line wins, as in HAProxy).
 *
 * @param dynamicBalance whether {@code add server} and any {@code set weight} work: {@code
 *     roundrobin}, {@code leastconn}, {@code first}, {@code random}, or any hash with {@code
 *     hash-type consistent}. HAProxy refuses both for {@code static-rr} and map-based hashes
 * @param cookies the backend's {@code cookie} directive: a live server cannot get a static cookie
 * @param defaultServer the {@code default-server} keywords of {@code defaults} then of the backend:
 *     HAProxy does not apply them to a server added live, so they are sent with it
 * @param defaultWeight the weight of a server whose line has none
 * @param refusedDefault a {@code default-server} keyword that {@code add server} refuses, or null
 */
record BackendTraits(boolean dynamicBalance, Cookies cookies, String defaultServer, int defaultWeight, String refusedDefault) {

    enum Cookies { NONE, STATIC, DYNAMIC }

    /**
     * Server keywords {@code add server} refuses in HAProxy 2.6 ({@code '<kw>' option is not
     * accepted for dynamic server}, or unknown to it); a server whose line has one is reloaded in.
     */
    static final Set<String> REFUSED_LIVE = Set.of("cookie", "redir", "init-addr", "resolvers", "resolve-prefer",
            "resolve-opts", "resolve-net", "namespace", "max-reuse", "stick", "non-stick", "socks4", "tcp-ut",
            "log-proto", "no-check", "no-ssl", "ssl-reuse", "no-agent-check", "no-check-ssl", "hash-key", "interface",
            "shard", "no-verifyhost");

    private static final Set<String> DYNAMIC_ALGORITHMS = Set.of("roundrobin", "leastconn", "first", "random");

    static BackendTraits of(List<String> defaults, ServiceSettings settings) {
        String balance = "roundrobin";
        String hashType = "map-based";
        String cookie = null;
        List<String> defaultServer = new ArrayList<>();
        for (List<String> section : List.of(defaults, settings.backend())) {
            for (String line : section) {
                String[] w = line.trim().split("\\s+");
                switch (w[0].toLowerCase(Locale.ROOT)) {
                    case "balance" -> balance = w.length > 1 ? w[1].toLowerCase(Locale.ROOT) : balance;
                    case "hash-type" -> hashType = w.length > 1 ? w[1].toLowerCase(Locale.ROOT) : hashType;
                    case "cookie" -> cookie = line.trim();
                    case "default-server" -> defaultServer.add(line.trim().substring(w[0].length()).trim());
                    default -> { }
                }
            }
        }
        // "balance hdr(host)", "balance url_param id": the algorithm is the first word, before any "("
        int paren = balance.indexOf('(');
        String algorithm = paren > 0 ? balance.substring(0, paren) : balance;
        boolean dynamic = DYNAMIC_ALGORITHMS.contains(algorithm) || hashType.startsWith("consistent");
        Cookies cookies = Cookies.NONE;
        if (cookie != null && !settings.tcpMode()) {
            cookies = Set.of(cookie.split("\\s+")).contains("dynamic") ? Cookies.DYNAMIC : Cookies.STATIC;
        }
        String joined = String.join(" ", defaultServer).trim();
        return new BackendTraits(dynamic, cookies, joined, lastWeight(joined, 1), refused(joined));
    }

    /** The first keyword of {@code words} that {@code add server} refuses, or null. */
    static String refused(String words) {
        if (words.isEmpty()) {
            return null;
        }
        for (String w : words.split(" ")) {
            if (REFUSED_LIVE.contains(w)) {
                return w;
            }
        }
        return null;
    }

    /** The value of the last {@code weight N} in {@code words}, else {@code otherwise}. */
    static int lastWeight(String words, int otherwise) {
        int weight = otherwise;
        String[] w = words.split(" ");
        for (int i = 0; i + 1 < w.length; i++) {
            if ("weight".equals(w[i]) && w[i + 1].matches("[0-9]{1,3}")) {
                weight = Integer.parseInt(w[i + 1]);
            }
        }
        return weight;
    }
}
