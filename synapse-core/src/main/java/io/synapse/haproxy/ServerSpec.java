package io.synapse.haproxy;

/**
 * One server as the file has it ({@link #line}) and as the runtime API gets it: {@code add server
 * <backend>/<name> <address> <liveArgs>}. Both come from the same rendering, so a server added live
 * has the name, id and options of its line.
 *
 * @param line the whole server line, without the leading tab
 * @param address {@code host:port} as on the line
 * @param ip whether the host is an IP address (HAProxy 2.6 cannot add a server by DNS name live)
 * @param id the server id on the line, or null when none was left ({@code max_server_id})
 * @param liveArgs everything on the line after the address but {@code cookie}, {@code init-addr} and
 *     {@code disabled}: {@code id}, {@code server_options}, the registration's options, {@code weight},
 *     {@code backup}
 * @param cookie whether the line carries a {@code cookie}
 * @param disabled whether the line ends with {@code disabled} (a server only the state file remembers)
 */
record ServerSpec(String name, String line, String address, boolean ip, Integer id, String liveArgs, boolean cookie,
        boolean disabled) {

    /** {@link #liveArgs} without any {@code weight N}: two servers that differ only by weight (and state) have equal bases. */
    String base() {
        if (!liveArgs.contains("weight ")) {
            return liveArgs;
        }
        StringBuilder out = new StringBuilder(liveArgs.length());
        String[] w = liveArgs.split(" ");
        for (int i = 0; i < w.length; i++) {
            if ("weight".equals(w[i]) && i + 1 < w.length) {
                i++;
                continue;
            }
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(w[i]);
        }
        return out.toString();
    }

    /** The same server but for its weight and state: a {@code set server} can turn one into the other. */
    boolean sameBase(ServerSpec other) {
        return address.equals(other.address) && java.util.Objects.equals(id, other.id) && cookie == other.cookie
                && base().equals(other.base());
    }

    /** The weight HAProxy gives this server: its last {@code weight}, else the backend's default. */
    int weight(BackendTraits traits) {
        return BackendTraits.lastWeight(liveArgs, traits.defaultWeight());
    }

    boolean has(String keyword) {
        return (" " + liveArgs + " ").contains(" " + keyword + " ");
    }

    /**
     * Why HAProxy 2.6 cannot add this server live in a backend with {@code traits}, or null when it can.
     */
    String notLive(BackendTraits traits) {
        if (!traits.dynamicBalance()) {
            return "its balance algorithm is not dynamic (add server needs roundrobin, leastconn, first, random or hash-type consistent)";
        }
        if (cookie && traits.cookies() == BackendTraits.Cookies.STATIC) {
            return "it uses static cookies, which add server refuses (use \"cookie <name> insert dynamic\" and dynamic-cookie-key)";
        }
        if (!ip) {
            return "its host is a DNS name";
        }
        if (id == null) {
            return "no server id is left (max_server_id)";
        }
        String kw = BackendTraits.refused(liveArgs);
        if (kw == null) {
            kw = traits.refusedDefault();
        }
        return kw == null ? null : "add server refuses '" + kw + "'";
    }

    /** The {@code add server} command for this server in {@code backend}. */
    String addCommand(String backend, BackendTraits traits) {
        StringBuilder c = new StringBuilder(64 + liveArgs.length() + traits.defaultServer().length());
        c.append("add server ").append(backend).append('/').append(name).append(' ').append(address);
        if (!traits.defaultServer().isEmpty()) {
            // HAProxy does not apply default-server to a live server; the server's own keywords come after and win
            c.append(' ').append(traits.defaultServer());
        }
        if (!liveArgs.isEmpty()) {
            c.append(' ').append(liveArgs);
        }
        return c.toString();
    }
}
