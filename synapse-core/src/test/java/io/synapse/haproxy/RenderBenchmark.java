package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.spi.Backend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.synapse.testing.TestConfigs.json;

/**
 * Render and write S services x B backends, then change one service and render again.
 * {@code bin/benchmark synapse-core io.synapse.haproxy.RenderBenchmark [--services 1000] [--backends 100] [--rounds 20]}
 */
public final class RenderBenchmark {
    public static void main(String[] args) throws Exception {
        int services = intArg(args, "--services", 1000);
        int backendsPer = intArg(args, "--backends", 100);
        int rounds = intArg(args, "--rounds", 20);
        Path dir = Files.createTempDirectory("render-bench");
        ObjectNode global = json("{'do_reloads': false, 'do_socket': false, 'global': ['maxconn 100000'],"
                + " 'defaults': ['mode http', 'timeout connect 5s', 'timeout client 30s', 'timeout server 30s']}");
        global.put("config_file_path", dir.resolve("haproxy.cfg").toString());
        Map<String, JsonNode> sections = new LinkedHashMap<>();
        for (int s = 0; s < services; s++) {
            sections.put("service" + s, json("{'port': " + (10000 + s) + ", 'server_options': 'check inter 2s rise 2 fall 3',"
                    + " 'listen': ['mode http', 'option httpchk GET /health', 'balance roundrobin']}"));
        }
        Map<String, List<Backend>> even = backends(services, backendsPer, 0);
        Map<String, List<Backend>> odd = backends(services, backendsPer, 1);
        HaproxyGenerator generator = Generators.create(global, sections);

        // full render + write: every service changes each round
        long[] full = new long[rounds];
        for (int warm = 0; warm < 5; warm++) {
            generator.update(Generators.all(sections, warm % 2 == 0 ? odd : even));
        }
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            generator.update(Generators.all(sections, r % 2 == 0 ? even : odd));
            full[r] = System.nanoTime() - t0;
        }
        long bytes = Files.size(dir.resolve("haproxy.cfg"));

        // one service changes: only it is re-rendered, the file is rewritten
        long[] one = new long[rounds * 5];
        Map<String, List<Backend>> current = new LinkedHashMap<>(odd.size() > 0 && rounds % 2 == 1 ? odd : even);
        for (int r = 0; r < one.length; r++) {
            String name = "service" + (r * 7919 % services);
            List<Backend> list = new ArrayList<>(current.get(name));
            list.set(r % list.size(), Backend.builder("10.200." + (r / 250 % 250) + "." + (1 + r % 250), 9000 + r % 1000).name("new" + r).build());
            current.put(name, List.copyOf(list));
            long t0 = System.nanoTime();
            generator.update(Generators.state(sections, current, Set.of(name)));
            one[r] = System.nanoTime() - t0;
        }
        // the same full render without writing, to tell rendering from I/O
        ObjectNode noWrite = global.deepCopy();
        noWrite.put("do_writes", false);
        HaproxyGenerator renderOnly = Generators.create(noWrite, sections);
        long[] render = new long[rounds];
        for (int r = -5; r < rounds; r++) {
            long t0 = System.nanoTime();
            renderOnly.update(Generators.all(sections, r % 2 == 0 ? even : odd));
            if (r >= 0) {
                render[r] = System.nanoTime() - t0;
            }
        }
        // the floor: an atomic write (temp file, fsync, rename) of the same bytes
        byte[] content = Files.readAllBytes(dir.resolve("haproxy.cfg"));
        long[] writeOnly = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            io.synapse.output.AtomicFiles.write(dir.resolve("copy.cfg"), content);
            writeOnly[r] = System.nanoTime() - t0;
        }
        System.out.printf("render+write %d services x %d backends: %.1f MB%n", services, backendsPer, bytes / 1e6);
        System.out.printf("  full render + write:  median %s, p90 %s (n=%d after 5 warm-up)%n", ms(full, 50), ms(full, 90), rounds);
        System.out.printf("  full render only:     median %s, p90 %s%n", ms(render, 50), ms(render, 90));
        System.out.printf("  one-service change:   median %s, p90 %s (n=%d)%n", ms(one, 50), ms(one, 90), one.length);
        System.out.printf("  atomic write alone:   median %s, p90 %s%n", ms(writeOnly, 50), ms(writeOnly, 90));
        System.out.printf("  process RSS: %s%n", rss());
        generator.close();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private static Map<String, List<Backend>> backends(int services, int per, int portShift) {
        Map<String, List<Backend>> out = new LinkedHashMap<>();
        for (int s = 0; s < services; s++) {
            List<Backend> list = new ArrayList<>(per);
            for (int b = 0; b < per; b++) {
                list.add(Backend.builder("10." + (s / 250) + "." + (s % 250) + "." + (1 + b % 250), 8080 + portShift)
                        .name("i-" + Integer.toHexString(s * 1000 + b)).build());
            }
            out.put("service" + s, List.copyOf(list)); // immutable, as the engine's are
        }
        return out;
    }

    private static String ms(long[] nanos, int percentile) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int i = Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1);
        return String.format("%.1f ms", sorted[Math.max(0, i)] / 1e6);
    }

    private static String rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return line.substring(6).trim();
            }
        }
        return "unknown";
    }

    private static int intArg(String[] args, String name, int def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return def;
    }
}
