package io.synapse.common.status;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HtmlPageTest {
    @Test
    void escapesEveryTextAndMarksFailingRows() {
        HtmlPage page = new HtmlPage("synapse on <host>").problems(List.of("service a&b: watcher failing: \"x\""));
        page.summary("2 services");
        page.table("Services", "service", "backends", "watcher")
                .row("api", false, "api", 3, HtmlPage.state(true, "up"))
                .row("<script>", true, "<script>alert(1)</script>", HtmlPage.number(0), HtmlPage.state(false, "failing", "it's down"));
        page.table("Empty", "x").whenEmpty("nothing here");
        String html = page.generatedAt(Instant.parse("2024-05-01T12:00:00Z")).render();
        assertThat(html).startsWith("<!DOCTYPE html>")
                .contains("<meta http-equiv=\"refresh\" content=\"5\">")
                .contains("<title>synapse on &lt;host&gt;</title>")
                .contains("<span class=\"health failing\" id=\"health\">unhealthy</span>")
                .contains("<li>service a&amp;b: watcher failing: &quot;x&quot;</li>")
                .contains("<p class=\"summary\">2 services</p>")
                .contains("<tr data-key=\"api\"><td>api</td><td class=\"num\">3</td><td><span class=\"state ok\">up</span></td></tr>")
                .contains("<tr data-key=\"&lt;script&gt;\" class=\"failing\"><td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"
                        + "<td class=\"num\">0</td><td><span class=\"state failing\">failing</span> it&#39;s down</td></tr>")
                .contains("<p class=\"empty\">nothing here</p>")
                .contains("Generated 2024-05-01 12:00:00 UTC")
                .doesNotContain("<script>")
                .doesNotContain("http://").doesNotContain("https://");
    }

    @Test
    void healthyWithoutProblemsAndDetailsForLists() {
        String html = new HtmlPage("nerve").render();
        assertThat(html).contains("<span class=\"health ok\" id=\"health\">healthy</span>");
        HtmlPage p = new HtmlPage("x");
        p.table("t", "servers").row(null, false, HtmlPage.details("2 servers", List.of("a 10.0.0.1:80", "b <10.0.0.2>:80")))
                .row(null, false, HtmlPage.details("0 servers", List.of()));
        assertThat(p.render()).contains("<details><summary>2 servers</summary><code>a 10.0.0.1:80</code><br><code>b &lt;10.0.0.2&gt;:80</code><br></details>")
                .contains("<span class=\"empty\">0 servers</span>");
    }

    @Test
    void agesForAPerson() {
        Instant now = Instant.parse("2024-05-01T12:00:00Z");
        assertThat(HtmlPage.ago(null, now)).isEqualTo("never");
        assertThat(HtmlPage.ago(now.minusSeconds(4), now)).isEqualTo("4 s ago");
        assertThat(HtmlPage.ago(now.minusSeconds(600), now)).isEqualTo("10 min ago");
        assertThat(HtmlPage.ago(now.minusSeconds(3 * 3600), now)).isEqualTo("3 h ago");
        assertThat(HtmlPage.ago(now.minusSeconds(5 * 86400), now)).isEqualTo("5 d ago");
        assertThat(HtmlPage.ago(now.plusSeconds(3), now)).isEqualTo("0 s ago");
    }
}
