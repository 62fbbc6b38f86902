package io.synapse.haproxy;

import java.util.Locale;
import java.util.Set;

/**
 * Where an HAProxy proxy keyword may stand, so that a service's {@code listen} lines can be split
 * between its frontend and its backend (HAProxy 2.6 configuration manual, section 4.1).
 */
final class Keywords {
    private Keywords() {}

    enum Place { FRONTEND, BACKEND, BOTH }

    private static final Set<String> FRONTEND_ONLY = Set.of(
            "bind", "capture", "declare", "default_backend", "maxconn", "monitor", "monitor-uri", "monitor-net",
            "rate-limit", "unique-id-format", "unique-id-header", "use_backend", "log-format", "log-format-sd",
            "error-log-format", "log-tag", "option httplog", "option tcplog", "option clitcpka", "option dontlognull",
            "option dontlog-normal", "option http-ignore-probes", "option http-use-proxy-header", "option logasap",
            "option socket-stats", "option accept-invalid-http-request", "option idle-close-on-response",
            "option contstats", "option nolinger-frontend", "timeout client", "timeout client-fin",
            "timeout http-request", "timeout http-keep-alive", "tcp-request connection", "tcp-request session",
            "http-request redirect-frontend", "stats-frontend");

    private static final Set<String> BACKEND_ONLY = Set.of(
            "server", "server-template", "balance", "cookie", "default-server", "dispatch", "fullconn", "hash-type",
            "hash-balance-factor", "http-check", "http-reuse", "load-server-state-from-file", "persist", "retries",
            "retry-on", "server-state-file-name", "source", "stick", "stick-table", "stick-store-request",
            "stick-store-response", "stick on", "stick match", "tcp-check", "tcp-response", "timeout server",
            "timeout server-fin", "timeout connect", "timeout queue", "timeout check", "timeout tarpit",
            "option httpchk", "option redispatch", "option allbackups", "option abortonclose", "option persist",
            "option srvtcpka", "option ssl-hello-chk", "option tcp-check", "option smtpchk", "option mysql-check",
            "option pgsql-check", "option redis-check", "option ldap-check", "option spop-check",
            "option external-check", "option checkcache", "option log-health-checks", "option prefer-last-server",
            "option accept-invalid-http-response", "option h1-case-adjust-bogus-server", "option http-pretend-keepalive",
            "option independent-streams", "option nolinger-backend", "option transparent", "email-alert", "external-check",
            "stats");

    /** Keywords valid in both: mode, log, acl, http-request, option forwardfor, errorfile, ... */
    private static final Set<String> BOTH = Set.of(
            "mode", "log", "acl", "http-request", "http-response", "http-after-response", "http-error", "tcp-request",
            "tcp-request content", "tcp-request inspect-delay", "errorfile", "errorfiles", "errorloc", "errorloc302",
            "errorloc303", "compression", "description", "disabled", "enabled", "id", "filter", "option forwardfor",
            "option httpclose", "option http-server-close", "option http-keep-alive", "option http-buffer-request",
            "option http-no-delay", "option originalto", "option splice-auto", "option splice-request",
            "option splice-response", "option tcpka", "option nolinger", "option h1-case-adjust-bogus-client",
            "option http-restrict-req-hdr-names", "option disable-h2-upgrade", "no", "timeout tunnel",
            "http-send-name-header", "ignore-persist", "force-persist", "redirect", "grace", "backlog", "max-keep-alive-queue",
            "stats", "email-alert", "unique-id");

    /** Where {@code line}'s keyword may stand, or null when it is not known. */
    static Place placeOf(String line) {
        String[] words = line.trim().toLowerCase(Locale.ROOT).split("\\s+");
        if (words.length == 0 || words[0].isEmpty()) {
            return null;
        }
        String first = words[0];
        if ("no".equals(first) && words.length > 1) {
            first = words[1];
            words = java.util.Arrays.copyOfRange(words, 1, words.length);
        }
        String two = words.length > 1 ? first + " " + words[1] : first;
        if (FRONTEND_ONLY.contains(two)) {
            return Place.FRONTEND;
        }
        if (BACKEND_ONLY.contains(two)) {
            return Place.BACKEND;
        }
        if (BOTH.contains(two)) {
            return Place.BOTH;
        }
        if (FRONTEND_ONLY.contains(first)) {
            return Place.FRONTEND;
        }
        if (BACKEND_ONLY.contains(first)) {
            return Place.BACKEND;
        }
        if (BOTH.contains(first) || "option".equals(first) && words.length > 1) {
            return Place.BOTH;
        }
        if ("timeout".equals(first)) {
            return Place.BOTH;
        }
        return null;
    }
}
