package io.synapse.common.status;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A small self-contained status page: a title, a health line, a summary, and tables whose failing
 * rows stand out. No JavaScript and no external assets; the page reloads itself every 5 seconds.
 * Every text is HTML-escaped; only the {@link Cell}s made here carry markup.
 */
public final class HtmlPage {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
    private static final String CSS = """
            body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:1.5em 2em;color:#1b1f23;background:#fff}
            h1{font-size:1.5em;margin:0 0 .3em}
            h2{font-size:1.1em;margin:1.6em 0 .4em}
            .health{display:inline-block;padding:.2em .7em;border-radius:.8em;font-weight:600}
            .health.ok{background:#dcf5e3;color:#116329}
            .health.failing{background:#ffe0e0;color:#a40e26}
            ul.problems{color:#a40e26;margin:.4em 0}
            .summary{color:#444;margin:.5em 0}
            table{border-collapse:collapse;min-width:40em}
            th,td{text-align:left;padding:.3em .8em;border-bottom:1px solid #e1e4e8;vertical-align:top}
            th{background:#f6f8fa;font-weight:600}
            td.num{text-align:right;font-variant-numeric:tabular-nums}
            tr.failing td{background:#fff0f0}
            .state{font-weight:600}
            .state.ok{color:#116329}
            .state.failing{color:#a40e26}
            .state.neutral{color:#6a737d}
            details summary{cursor:pointer;color:#0366d6}
            .empty{color:#6a737d;font-style:italic}
            footer{margin-top:2em;color:#6a737d;font-size:.9em}
            code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
            """;

    private final String title;
    private final List<String> summaries = new ArrayList<>();
    private List<String> problems = List.of();
    private final List<Table> tables = new ArrayList<>();
    private Instant generatedAt = Instant.now();

    public HtmlPage(String title) {
        this.title = requireNonNull(title, "title is null");
    }

    /** A line of text under the title. */
    public HtmlPage summary(String text) {
        summaries.add(requireNonNull(text, "text is null"));
        return this;
    }

    /** The reasons the daemon is unhealthy (empty: shown as healthy). */
    public HtmlPage problems(List<String> reasons) {
        this.problems = List.copyOf(requireNonNull(reasons, "reasons is null"));
        return this;
    }

    /** The time printed in the footer (default: when the page was created). */
    public HtmlPage generatedAt(Instant when) {
        this.generatedAt = requireNonNull(when, "when is null");
        return this;
    }

    /** A table with a heading; add its rows to the returned table. */
    public Table table(String heading, String... columns) {
        Table t = new Table(requireNonNull(heading, "heading is null"), List.of(columns));
        tables.add(t);
        return t;
    }

    public String render() {
        StringBuilder out = new StringBuilder(4096);
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"refresh\" content=\"5\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(escape(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n")
                .append("<h1>").append(escape(title)).append("</h1>\n");
        if (problems.isEmpty()) {
            out.append("<p><span class=\"health ok\" id=\"health\">healthy</span></p>\n");
        } else {
            out.append("<p><span class=\"health failing\" id=\"health\">unhealthy</span></p>\n<ul class=\"problems\">\n");
            for (String p : problems) {
                out.append("<li>").append(escape(p)).append("</li>\n");
            }
            out.append("</ul>\n");
        }
        for (String s : summaries) {
            out.append("<p class=\"summary\">").append(escape(s)).append("</p>\n");
        }
        for (Table t : tables) {
            t.render(out);
        }
        out.append("<footer>Generated ").append(TIME.format(generatedAt))
                .append(" &middot; refreshes every 5 s &middot; <a href=\"status\">status JSON</a> &middot; <a href=\"metrics\">Prometheus metrics</a>")
                .append(" &middot; <a href=\"healthz\">health</a></footer>\n</body>\n</html>\n");
        return out.toString();
    }

    /** A cell holding markup made by this class. */
    public static final class Cell {
        private final String html;
        private final String cssClass;

        private Cell(String html, String cssClass) {
            this.html = html;
            this.cssClass = cssClass;
        }
    }

    /** A right-aligned number. */
    public static Cell number(long value) {
        return new Cell(Long.toString(value), "num");
    }

    /** A right-aligned text (a duration, a figure with a unit). */
    public static Cell number(String text) {
        return new Cell(escape(text), "num");
    }

    /** A state word in green ({@code ok}), red ({@code failing}) or grey (neither: {@code null}). */
    public static Cell state(Boolean ok, String text) {
        String cls = ok == null ? "neutral" : ok ? "ok" : "failing";
        return new Cell("<span class=\"state " + cls + "\">" + escape(text) + "</span>", null);
    }

    /** A state word followed by a detail in plain text (a failure's reason). */
    public static Cell state(Boolean ok, String text, String detail) {
        Cell s = state(ok, text);
        return detail == null || detail.isEmpty() ? s : new Cell(s.html + " " + escape(detail), null);
    }

    /** A collapsed list: {@code summary} shown, {@code lines} on click (no script: {@code <details>}). */
    public static Cell details(String summary, List<String> lines) {
        if (lines.isEmpty()) {
            return new Cell("<span class=\"empty\">" + escape(summary) + "</span>", null);
        }
        StringBuilder b = new StringBuilder("<details><summary>").append(escape(summary)).append("</summary>");
        for (String l : lines) {
            b.append("<code>").append(escape(l)).append("</code><br>");
        }
        return new Cell(b.append("</details>").toString(), null);
    }

    /** One table of the page. */
    public static final class Table {
        private final String heading;
        private final List<String> columns;
        private final List<String> rows = new ArrayList<>();
        private String empty = "none";

        private Table(String heading, List<String> columns) {
            this.heading = heading;
            this.columns = columns;
        }

        /** What the table says when it has no rows. */
        public Table whenEmpty(String text) {
            this.empty = requireNonNull(text, "text is null");
            return this;
        }

        /**
         * A row: {@code key} identifies it ({@code data-key}), {@code failing} marks it, each cell
         * is a {@link String} (escaped), a {@link Number}, a {@link Cell}, or {@code null} (empty).
         */
        public Table row(String key, boolean failing, Object... cells) {
            StringBuilder r = new StringBuilder("<tr");
            if (key != null) {
                r.append(" data-key=\"").append(escape(key)).append('"');
            }
            if (failing) {
                r.append(" class=\"failing\"");
            }
            r.append('>');
            for (Object c : cells) {
                if (c instanceof Cell cell) {
                    r.append(cell.cssClass == null ? "<td>" : "<td class=\"" + cell.cssClass + "\">").append(cell.html);
                } else if (c instanceof Number n) {
                    r.append("<td class=\"num\">").append(escape(n.toString()));
                } else {
                    r.append("<td>").append(c == null ? "" : escape(c.toString()));
                }
                r.append("</td>");
            }
            rows.add(r.append("</tr>").toString());
            return this;
        }

        private void render(StringBuilder out) {
            out.append("<h2>").append(escape(heading)).append("</h2>\n");
            if (rows.isEmpty()) {
                out.append("<p class=\"empty\">").append(escape(empty)).append("</p>\n");
                return;
            }
            out.append("<table>\n<thead><tr>");
            for (String c : columns) {
                out.append("<th>").append(escape(c)).append("</th>");
            }
            out.append("</tr></thead>\n<tbody>\n");
            for (String r : rows) {
                out.append(r).append('\n');
            }
            out.append("</tbody>\n</table>\n");
        }
    }

    /** How long ago {@code then} was, for a person: {@code 4 s ago}, {@code 3 min ago}, {@code 2 h ago}; {@code never} for null. */
    public static String ago(Instant then, Instant now) {
        if (then == null) {
            return "never";
        }
        long s = Math.max(0, java.time.Duration.between(then, now).toSeconds());
        if (s < 120) {
            return s + " s ago";
        }
        if (s < 7200) {
            return s / 60 + " min ago";
        }
        if (s < 172800) {
            return s / 3600 + " h ago";
        }
        return s / 86400 + " d ago";
    }

    /** Escapes text for HTML content and attribute values. */
    public static String escape(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String rep = switch (c) {
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '&' -> "&amp;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (rep != null || b != null) {
                if (b == null) {
                    b = new StringBuilder(text.length() + 16).append(text, 0, i);
                }
                if (rep != null) {
                    b.append(rep);
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? text : b.toString();
    }
}
