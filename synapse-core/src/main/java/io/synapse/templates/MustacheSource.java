package io.synapse.templates;

import java.util.ArrayList;
import java.util.List;

/**
 * A template's text as handed to Mustache.java 0.9.14, with two of its whitespace quirks worked
 * around so that templates render as the Mustache spec says, and a map back to the user's lines.
 *
 * <ul>
 *   <li>Mustache.java treats a line as standalone (drops its newline and indentation) when it holds
 *       a section tag and other tags but no text: {@code {{#backends}}{{address}}} then a newline
 *       renders every address on one line. The spec makes only a line with a single tag
 *       standalone. Each section tag on a line that holds anything else gets a {@link #MARK} on
 *       both sides, which the parser counts as text; the compiler's visitor drops the marks.
 *   <li>Mustache.java keeps the line of a standalone comment ({@code {{! note }}} alone on its
 *       line) as an empty line; the spec removes it. Such lines are removed here.
 * </ul>
 *
 * Mustache.java counts lines by the newlines outside tags; {@link #line(int)} turns its line
 * numbers back into the user's.
 */
final class MustacheSource {
    /** Marks text Mustache.java must see as text; removed before it reaches a compiled template. */
    static final char MARK = '\0';

    private final String text;
    private final int[] lines;

    private MustacheSource(String text, int[] lines) {
        this.text = text;
        this.lines = lines;
    }

    /** The text to compile. */
    String text() {
        return text;
    }

    /** The user's line number for a line number Mustache.java reports. */
    int line(int mustacheLine) {
        if (mustacheLine < 1) {
            return mustacheLine;
        }
        return mustacheLine < lines.length ? lines[mustacheLine] : lines[lines.length - 1] + (mustacheLine - lines.length + 1);
    }

    private enum Action { KEEP, MARK, DROP_LINE }

    private record Tag(int start, int end, Action action) {}

    /** Prepares {@code source} (which must not contain {@link #MARK}). */
    static MustacheSource of(String source) {
        List<Tag> tags = new ArrayList<>();
        String open = "{{";
        String close = "}}";
        int i = 0;
        while ((i = source.indexOf(open, i)) >= 0) {
            int j = source.indexOf(close, i + open.length());
            if (j < 0) {
                break; // the parser reports it
            }
            String content = source.substring(i + open.length(), j);
            int after = j + close.length();
            if (content.startsWith("{") && "}}".equals(close) && after < source.length() && source.charAt(after) == '}') {
                after++;
            }
            Action action = Action.KEEP;
            if (content.length() > 1 && content.startsWith("=") && content.endsWith("=")) {
                String[] delimiters = content.substring(1, content.length() - 1).trim().split("\\s+");
                if (delimiters.length == 2) {
                    open = delimiters[0];
                    close = delimiters[1];
                }
            } else if (!content.isEmpty() && "#^/".indexOf(content.charAt(0)) >= 0) {
                action = aloneOnItsLine(source, i, after) ? Action.KEEP : Action.MARK;
            } else if (content.startsWith("!") && content.indexOf('\n') < 0 && aloneOnItsLine(source, i, after)) {
                action = Action.DROP_LINE;
            }
            tags.add(new Tag(i, after, action));
            i = after;
        }

        StringBuilder out = new StringBuilder(source.length() + tags.size() * 2);
        List<Integer> map = new ArrayList<>();
        map.add(0);
        map.add(1);
        int line = 1;
        int from = 0;
        for (Tag tag : tags) {
            int start = tag.start();
            int end = tag.end();
            if (tag.action() == Action.DROP_LINE) {
                while (start > 0 && source.charAt(start - 1) != '\n') {
                    start--;
                }
                end = source.indexOf('\n', tag.end());
                end = end < 0 ? source.length() : end + 1;
            }
            // text: each newline starts a line for Mustache.java
            for (int c = from; c < start; c++) {
                if (source.charAt(c) == '\n') {
                    line++;
                    map.add(line);
                }
            }
            out.append(source, from, start);
            // newlines inside a tag do not count for Mustache.java
            line += count(source, start, end);
            switch (tag.action()) {
                case KEEP -> out.append(source, start, end);
                case MARK -> out.append(MARK).append(source, start, end).append(MARK);
                case DROP_LINE -> map.set(map.size() - 1, line); // the next line takes the dropped one's number
            }
            from = end;
        }
        for (int c = from; c < source.length(); c++) {
            if (source.charAt(c) == '\n') {
                line++;
                map.add(line);
            }
        }
        out.append(source, from, source.length());
        return new MustacheSource(out.toString(), map.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int count(String s, int from, int to) {
        int n = 0;
        for (int c = from; c < to; c++) {
            if (s.charAt(c) == '\n') {
                n++;
            }
        }
        return n;
    }

    /** Whether the rest of the line around {@code [from, to)} is blank. */
    private static boolean aloneOnItsLine(String text, int from, int to) {
        for (int k = from - 1; k >= 0 && text.charAt(k) != '\n'; k--) {
            if (!isBlank(text.charAt(k))) {
                return false;
            }
        }
        for (int k = to; k < text.length() && text.charAt(k) != '\n'; k++) {
            if (!isBlank(text.charAt(k))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
    }
}
