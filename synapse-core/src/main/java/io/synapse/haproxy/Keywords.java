package io.synapse.haproxy;

import io.synapse.common.registry.RegistryValues;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Where a service's {@code listen} lines go: to the frontend, the backend or both, wherever
 * HAProxy 2.6 accepts the keyword and does not ignore it. The table is the frontend and backend
 * columns of HAProxy 2.6's proxy keywords matrix (configuration manual, section 4.1), kept in
 * {@code proxy-keywords-2.6.txt}; the few rows where a keyword cannot go to every section the
 * matrix allows are corrected here.
 */
final class Keywords {
    private Keywords() {}

    enum Place { FRONTEND, BACKEND, BOTH }

    /** One row of the matrix. */
    record Keyword(String name, boolean frontend, boolean backend, boolean negatable) {}

    /** Where a listen line goes, or why it cannot be a listen line: exactly one of the two is set. */
    record Placement(Place place, String problem) {}

    private static final Map<String, Keyword> TABLE = load();

    private static Map<String, Keyword> load() {
        Map<String, Keyword> table = new TreeMap<>();
        try (InputStream in = requireNonNull(Keywords.class.getResourceAsStream("proxy-keywords-2.6.txt"),
                "proxy-keywords-2.6.txt is missing");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                // "option http-keep-alive                 X  X  (*)": the keyword is everything before the columns
                String[] cols = line.split("\\s{2,}");
                String name = cols[0].trim();
                table.put(name, new Keyword(name, "X".equals(cols[1]), "X".equals(cols[2]), cols.length > 3 && "(*)".equals(cols[3])));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The matrix says "option tcplog" is valid in a backend; HAProxy 2.6 warns that it is ignored there.
        table.put("option tcplog", new Keyword("option tcplog", true, false, false));
        // In both sections, the frontend and the backend (of the same name) would each declare a
        // table of that name, which HAProxy refuses; the stick rules that use it are backend ones.
        table.put("stick-table", new Keyword("stick-table", false, true, false));
        // Missing from the matrix, documented in section 4.2 and accepted by HAProxy 2.6 in a backend
        // (a frontend ignores it with a warning): the key of "cookie ... dynamic", which lets
        // servers added through the runtime API get a cookie.
        table.put("dynamic-cookie-key", new Keyword("dynamic-cookie-key", false, true, false));
        return Collections.unmodifiableMap(table);
    }

    /**
     * Keywords that are valid in a frontend or a backend but cannot be {@code listen} lines, with
     * the reason.
     */
    private static final Map<String, String> NOT_IN_LISTEN = Map.of(
            "id", "would give the frontend and the backend the same id, which HAProxy refuses: put it under frontend or backend instead",
            "bind-process", "has no effect in HAProxy 2.6 (deprecated): remove it");

    /** Every keyword a {@code listen} line may start with (after an optional {@code no}), sorted. */
    static Set<String> listenKeywords() {
        Set<String> out = new TreeSet<>();
        TABLE.values().forEach(k -> {
            if ((k.frontend() || k.backend()) && !NOT_IN_LISTEN.containsKey(k.name())) {
                out.add(k.name());
            }
        });
        return out;
    }

    /** The matrix row of {@code keyword} (as in the manual: {@code "timeout client"}), or null. */
    static Keyword keyword(String keyword) {
        return TABLE.get(keyword);
    }

    /** Where the {@code listen} line {@code line} goes, or the problem with it. */
    static Placement placeListenLine(String line) {
        String[] words = line.trim().toLowerCase(Locale.ROOT).split("\\s+");
        boolean negated = words.length > 1 && "no".equals(words[0]);
        if (negated) {
            words = Arrays.copyOfRange(words, 1, words.length);
        }
        for (int i = 0; i < words.length; i++) {
            int paren = words[i].indexOf('(');
            if (paren > 0) {
                words[i] = words[i].substring(0, paren); // "set-var(check.x)" is the keyword "set-var"
            }
        }
        Keyword k = null;
        for (int n = Math.min(3, words.length); n >= 1 && k == null; n--) {
            k = TABLE.get(String.join(" ", Arrays.copyOfRange(words, 0, n)));
        }
        if (k == null || !(k.frontend() || k.backend())) {
            return new Placement(null, "unknown HAProxy keyword in " + RegistryValues.quote(line)
                    + ": put it under frontend or backend instead");
        }
        String reason = NOT_IN_LISTEN.get(k.name());
        if (reason != null) {
            return new Placement(null, "\"" + k.name() + "\" in a listen line " + reason);
        }
        if (negated && !k.negatable()) {
            return new Placement(null, "HAProxy 2.6 does not accept \"no\" before \"" + k.name() + "\"");
        }
        Place place = k.frontend() && k.backend() ? Place.BOTH : k.frontend() ? Place.FRONTEND : Place.BACKEND;
        return new Placement(place, null);
    }
}
