package io.synapse.templates;

import io.synapse.output.AtomicFiles;
import io.synapse.spi.Backend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders S services x B backends through an nginx upstream template into one file, then changes
 * one service at a time; the same with per-service caching off, to show what it saves.
 * {@code bin/benchmark synapse-core io.synapse.templates.TemplatesBenchmark [--services 1000] [--backends 100]
 * [--rounds 20] [--template FILE]} (default template: the shipped nginx-upstream.mustache's body).
 */
public final class TemplatesBenchmark {
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        int services = intArg(args, "--services", 1000);
        int backendsPer = intArg(args, "--backends", 100);
        int rounds = intArg(args, "--rounds", 20);
        String file = stringArg(args, "--template", null);
        String text = file == null ? TemplateTest.UPSTREAMS : Files.readString(Path.of(file));
        List<String> problems = new ArrayList<>();
        Template template = Template.compile(file == null ? "nginx-upstream.mustache" : file, text, Template.Escape.NONE, problems);
        if (template == null) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        Path dir = Files.createTempDirectory("templates-bench");
        Map<String, List<Backend>> even = backends(services, backendsPer, 0);
        Map<String, List<Backend>> odd = backends(services, backendsPer, 1);

        TemplateOutput output = output(template, dir.resolve("upstreams.conf"));
        // full render + write: every service changes each round
        long[] full = new long[rounds];
        long[] fullCpu = new long[rounds];
        for (int warm = 0; warm < 5; warm++) {
            output.update(Templates.state(warm % 2 == 0 ? odd : even));
        }
        for (int r = 0; r < rounds; r++) {
            long c0 = CPU.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            output.update(Templates.state(r % 2 == 0 ? even : odd));
            full[r] = System.nanoTime() - t0;
            fullCpu[r] = CPU.getCurrentThreadCpuTime() - c0;
        }
        long bytes = Files.size(dir.resolve("upstreams.conf"));
        Map<String, List<Backend>> current = new LinkedHashMap<>(rounds % 2 == 1 ? even : odd);

        long[] oneCpu = new long[rounds * 5];
        long[] one = oneServiceChanges(output, current, rounds * 5, services, oneCpu);

        // the same without per-service caching: every change renders everything
        TemplateOutput uncached = output(Template.wholeOnly(template), dir.resolve("uncached.conf"));
        uncached.update(Templates.state(current));
        long[] oneUncachedCpu = new long[rounds];
        long[] oneUncached = oneServiceChanges(uncached, current, rounds, services, oneUncachedCpu);

        // the floor: an atomic write (temp file, fsync, rename) of the same bytes
        byte[] content = Files.readAllBytes(dir.resolve("upstreams.conf"));
        long[] writeOnly = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            AtomicFiles.write(dir.resolve("copy.conf"), content);
            writeOnly[r] = System.nanoTime() - t0;
        }
        System.out.printf("templates: %d services x %d backends into one nginx file: %.1f MB%n", services, backendsPer, bytes / 1e6);
        System.out.printf("  (wall time: median / p90; CPU time of the updating thread: median)%n");
        System.out.printf("  full render + write:            %s / %s, cpu %s (n=%d after 5 warm-up)%n", ms(full, 50), ms(full, 90),
                ms(fullCpu, 50), rounds);
        System.out.printf("  one-service change (cached):    %s / %s, cpu %s (n=%d)%n", ms(one, 50), ms(one, 90), ms(oneCpu, 50), one.length);
        System.out.printf("  one-service change (no cache):  %s / %s, cpu %s (n=%d)%n", ms(oneUncached, 50), ms(oneUncached, 90),
                ms(oneUncachedCpu, 50), oneUncached.length);
        System.out.printf("  atomic write alone:             %s / %s%n", ms(writeOnly, 50), ms(writeOnly, 90));
        System.out.printf("  process RSS: %s%n", rss());
        output.close();
        uncached.close();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private static TemplateOutput output(Template template, Path destination) {
        return new TemplateOutput(new TemplateSettings("bench", template, destination, null, null, null, Duration.ofSeconds(2),
                PosixFilePermissions.fromString("rw-r--r--")));
    }

    /** Replaces one backend of one service per round; returns the update times. */
    private static long[] oneServiceChanges(TemplateOutput output, Map<String, List<Backend>> current, int n, int services,
            long[] cpu) throws Exception {
        long[] times = new long[n];
        for (int r = 0; r < n; r++) {
            String name = "service" + (r * 7919 % services);
            List<Backend> list = new ArrayList<>(current.get(name));
            list.set(r % list.size(), Backend.builder("10.200." + (r / 250 % 250) + "." + (1 + r % 250), 9000 + r % 1000).build());
            current.put(name, List.copyOf(list));
            long c0 = CPU.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            output.update(Templates.state(current, Set.of(name)));
            times[r] = System.nanoTime() - t0;
            cpu[r] = CPU.getCurrentThreadCpuTime() - c0;
        }
        return times;
    }

    private static Map<String, List<Backend>> backends(int services, int per, int portShift) {
        Map<String, List<Backend>> out = new LinkedHashMap<>();
        for (int s = 0; s < services; s++) {
            List<Backend> list = new ArrayList<>(per);
            for (int b = 0; b < per; b++) {
                list.add(Backend.builder("10." + (s / 250) + "." + (s % 250) + "." + (1 + b % 250), 8080 + portShift + b / 250)
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
        String v = stringArg(args, name, null);
        return v == null ? def : Integer.parseInt(v);
    }

    private static String stringArg(String[] args, String name, String def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return def;
    }
}
