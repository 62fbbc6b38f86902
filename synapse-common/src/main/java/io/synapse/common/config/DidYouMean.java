package io.synapse.common.config;

import java.util.Collection;

/** Suggests the closest known key for a misspelt one. */
public final class DidYouMean {
    private DidYouMean() {}

    /** {@code " (did you mean \"x\"?)"}, or an empty string when nothing is close. */
    public static String suggest(String unknown, Collection<String> known) {
        String best = closest(unknown, known);
        return best == null ? "" : " (did you mean \"" + best + "\"?)";
    }

    /** The known word closest to {@code unknown} (a prefix, or a few edits away), or {@code null}. */
    public static String closest(String unknown, Collection<String> known) {
        if (unknown.length() >= 3) {
            String prefixed = known.stream().filter(k -> k.startsWith(unknown) || unknown.startsWith(k))
                    .min(java.util.Comparator.comparingInt(String::length)).orElse(null);
            if (prefixed != null) {
                return prefixed;
            }
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = distance(unknown.toLowerCase(java.util.Locale.ROOT), candidate.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        if (best == null) {
            return null;
        }
        int limit = Math.max(2, Math.min(unknown.length(), best.length()) / 3);
        return bestDistance <= limit ? best : null;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
