package io.synapse.haproxy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KeywordsTest {
    private static Keywords.Place place(String line) {
        Keywords.Placement p = Keywords.placeListenLine(line);
        assertThat(p.problem()).as(line).isNull();
        return p.place();
    }

    private static String problem(String line) {
        return Keywords.placeListenLine(line).problem();
    }

    @Test
    void placesFromTheHaproxy26Matrix() {
        assertThat(place("timeout client 5s")).isEqualTo(Keywords.Place.FRONTEND);
        assertThat(place("timeout server 5s")).isEqualTo(Keywords.Place.BACKEND);
        assertThat(place("timeout tunnel 1h")).isEqualTo(Keywords.Place.BACKEND);
        assertThat(place("  Timeout   HTTP-Keep-Alive 2s")).isEqualTo(Keywords.Place.BOTH);
        assertThat(place("timeout tarpit 2s")).isEqualTo(Keywords.Place.BOTH);
        assertThat(place("stats uri /stats")).isEqualTo(Keywords.Place.BOTH);
        assertThat(place("log-tag api")).isEqualTo(Keywords.Place.BOTH);
        assertThat(place("max-keep-alive-queue 5")).isEqualTo(Keywords.Place.BACKEND);
        assertThat(place("http-send-name-header X-Server")).isEqualTo(Keywords.Place.BACKEND);
        assertThat(place("http-check set-var(check.x) str(a)")).isEqualTo(Keywords.Place.BACKEND);
        assertThat(place("http-request set-var(txn.x) str(a)")).isEqualTo(Keywords.Place.BOTH);
        assertThat(place("capture request header Host len 64")).isEqualTo(Keywords.Place.FRONTEND);
        assertThat(place("external-check command /bin/true")).isEqualTo(Keywords.Place.BACKEND);
        assertThat(place("monitor fail if down")).isEqualTo(Keywords.Place.FRONTEND);
        assertThat(place("no option http-keep-alive")).isEqualTo(Keywords.Place.BOTH);
        assertThat(place("no log")).isEqualTo(Keywords.Place.BOTH);
        // where Ruby's table puts them too, but HAProxy 2.6 ignores them there
        assertThat(place("log-format %ci:%cp")).isEqualTo(Keywords.Place.FRONTEND);
        assertThat(place("log-format-sd [id@1]")).isEqualTo(Keywords.Place.FRONTEND);
        assertThat(place("force-persist if local")).isEqualTo(Keywords.Place.BACKEND);
        assertThat(place("ignore-persist if local")).isEqualTo(Keywords.Place.BACKEND);
        assertThat(place("option http-pretend-keepalive")).isEqualTo(Keywords.Place.BACKEND);
    }

    @Test
    void whereHaproxyDiffersFromItsMatrix() {
        // HAProxy 2.6 ignores it in a backend, with a warning
        assertThat(place("option tcplog")).isEqualTo(Keywords.Place.FRONTEND);
        assertThat(place("option httplog")).isEqualTo(Keywords.Place.FRONTEND);
        // one table per name: the frontend's and the backend's would clash
        assertThat(place("stick-table type ip size 1m")).isEqualTo(Keywords.Place.BACKEND);
        // not in the matrix at all; a backend keyword (haproxy -c warns that a frontend ignores it)
        assertThat(place("dynamic-cookie-key s3cr3t")).isEqualTo(Keywords.Place.BACKEND);
    }

    @Test
    void linesThatCannotBeListenLines() {
        assertThat(problem("frobnicate on")).isEqualTo("unknown HAProxy keyword in \"frobnicate on\": put it under frontend or backend instead");
        assertThat(problem("option frobnicate")).isEqualTo("unknown HAProxy keyword in \"option frobnicate\": put it under frontend or backend instead");
        assertThat(problem("reqadd X-Foo:\\ bar")).isEqualTo("unknown HAProxy keyword in \"reqadd X-Foo:\\\\ bar\": put it under frontend or backend instead");
        assertThat(problem("id 5")).isEqualTo("\"id\" in a listen line would give the frontend and the backend the same id, which HAProxy"
                + " refuses: put it under frontend or backend instead");
        assertThat(problem("bind-process 1")).isEqualTo("\"bind-process\" in a listen line has no effect in HAProxy 2.6 (deprecated): remove it");
        assertThat(problem("no option httpchk")).isEqualTo("HAProxy 2.6 does not accept \"no\" before \"option httpchk\"");
    }

    @Test
    void theTableHasEveryRowOfTheMatrix() {
        // section 4.1 of the 2.6 manual lists 178 keywords; two of those cannot be listen lines, and
        // dynamic-cookie-key is missing from it
        assertThat(Keywords.listenKeywords()).hasSize(177).contains("acl", "use-server", "timeout tunnel").doesNotContain("id", "bind-process");
        assertThat(Keywords.keyword("log").negatable()).isTrue();
        assertThat(Keywords.keyword("option httpchk").negatable()).isFalse();
    }
}
