package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.testing.Haproxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * 10,000 generated registrations, most of them hostile (newlines, control bytes, huge and negative
 * ports, unicode, very long strings, comment marks, unknown keywords). None that is hostile may
 * reach the file; every file rendered from a sample passes the real {@code haproxy -c}.
 */
class HostileRegistrationsFuzzTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String MARK = "EVIL";
    private static final String[] HOSTILE = {
            "\n\tserver " + MARK + " 6.6.6.6:80", "\r\nbind :" + MARK, "\u0000" + MARK, "# " + MARK, "\u2028" + MARK,
            "\u202e" + MARK, "\uD83D\uDE00" + MARK, MARK + " ".repeat(3) + "\t", "\"" + MARK + "\"", "\\" + MARK, "'" + MARK,
            MARK.repeat(3000), "${" + MARK + "}", "%{host}" + MARK, "\u0085" + MARK, "\u001b[31m" + MARK, "",
            "frobnicate " + MARK, "weight 99999 " + MARK, "check\u000b" + MARK};
    private static final String[] GOOD_OPTIONS = {"check", "backup", "maxconn 50", "weight 20", "check inter 2s fall 3", "disabled"};

    @TempDir
    Path dir;

    @Test
    void hostileRegistrationsNeverReachTheFile() throws Exception {
        Random random = new Random(20261121L);
        List<Backend> accepted = new ArrayList<>();
        int rejected = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] json = registration(random, i);
            try {
                accepted.add(Backend.decode(json, (long) i));
            } catch (IllegalArgumentException e) {
                rejected++;
            }
        }
        assertThat(accepted.size() + rejected).isEqualTo(10_000);
        assertThat(rejected).isGreaterThan(5_000);
        assertThat(accepted.size()).isGreaterThan(1_000);
        for (Backend b : accepted) {
            assertThat(b.toString() + b.haproxyServerOptions() + b.labels()).doesNotContain(MARK);
        }

        // render everything accepted in one file, and a sample in small files, all checked by haproxy
        ObjectNode global = json("{'do_reloads': false, 'do_socket': false, 'use_nerve_weights': true,"
                + " 'global': ['maxconn 100'], 'defaults': ['mode http', 'timeout connect 5s', 'timeout client 5s', 'timeout server 5s']}");
        for (int sample = 0; sample < 5; sample++) {
            Path cfg = dir.resolve("haproxy-" + sample + ".cfg");
            global.put("config_file_path", cfg.toString());
            Map<String, JsonNode> sections = new LinkedHashMap<>();
            Map<String, List<Backend>> backends = new LinkedHashMap<>();
            int per = sample == 0 ? accepted.size() : 200;
            List<Backend> chosen = new ArrayList<>(accepted.subList(0, per));
            if (sample > 0) {
                java.util.Collections.shuffle(accepted, random);
                chosen = new ArrayList<>(accepted.subList(0, per));
            }
            for (int s = 0; s < 4; s++) {
                sections.put("svc" + s, json("{'port': " + (3500 + sample * 10 + s) + ", 'server_options': 'check'}"));
                backends.put("svc" + s, io.synapse.engine.Merges.dedupe(chosen.subList(s * per / 4, (s + 1) * per / 4)));
            }
            HaproxyGenerator generator = Generators.create(global, sections);
            generator.update(Generators.all(sections, backends));
            String text = Files.readString(cfg);
            assertThat(text).doesNotContain(MARK);
            for (String line : text.split("\n")) {
                assertThat(line.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c < 0x7f)))
                        .as("only printable ASCII on line %s", line).isTrue();
            }
            Haproxy.assertValid(cfg);
        }
    }

    private static byte[] registration(Random r, int i) throws Exception {
        ObjectNode n = MAPPER.createObjectNode();
        boolean hostile = r.nextInt(10) < 7;
        int field = r.nextInt(6);
        // host
        if (hostile && field == 0) {
            n.put("host", r.nextBoolean() ? "10.0.0.1" + pick(r, HOSTILE) : pick(r, HOSTILE));
        } else if (r.nextInt(5) == 0) {
            n.put("host", "localhost"); // a DNS name that resolves here without a network lookup
        } else {
            n.put("host", "10." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254)));
        }
        // port
        if (hostile && field == 1) {
            switch (r.nextInt(5)) {
                case 0 -> n.put("port", -r.nextInt(100000));
                case 1 -> n.put("port", 65536 + r.nextInt(1 << 20));
                case 2 -> n.put("port", 1L << 40);
                case 3 -> n.put("port", "80" + pick(r, HOSTILE));
                default -> n.put("port", 3.5);
            }
        } else {
            n.put("port", 1 + r.nextInt(65535));
        }
        // name
        if (hostile && field == 2) {
            n.put("name", "i-" + i + pick(r, HOSTILE));
        } else if (r.nextBoolean()) {
            n.put("name", "i-" + Integer.toHexString(i));
        }
        // options
        if (hostile && field == 3) {
            n.put("haproxy_server_options", "check " + pick(r, HOSTILE));
        } else if (r.nextBoolean()) {
            n.put("haproxy_server_options", pick(r, GOOD_OPTIONS));
        }
        // weight
        if (hostile && field == 4) {
            n.put("weight", r.nextBoolean() ? -1 - r.nextInt(1000) : 257 + r.nextInt(100000));
        } else if (r.nextBoolean()) {
            n.put("weight", r.nextInt(257));
        }
        // labels
        if (hostile && field == 5) {
            n.putObject("labels").put("az", pick(r, HOSTILE).isEmpty() ? "\n" + MARK : pick(r, HOSTILE) + "\u0001");
        } else {
            n.putObject("labels").put("az", "us-east-1" + (char) ('a' + r.nextInt(3)));
        }
        return MAPPER.writeValueAsBytes(n);
    }

    private static String pick(Random r, String[] values) {
        return values[r.nextInt(values.length)];
    }
}
