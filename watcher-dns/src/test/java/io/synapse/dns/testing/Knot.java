package io.synapse.dns.testing;

import io.synapse.testing.Binaries;
import io.synapse.testing.FreePorts;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * A real authoritative DNS server for tests: Knot DNS ({@code knotd}, Debian {@code knot}) on
 * 127.0.0.1 with a free port, its config, zone files and storage in a temporary directory. Records
 * are changed while it runs by RFC 2136 dynamic update ({@code knsupdate}, Debian {@code
 * knot-dnsutils}; updates are allowed from 127.0.0.1 only). It can be stopped and started again on
 * the same port with its data.
 *
 * <pre>{@code
 * try (Knot knot = Knot.start("dev.kw", """
 *         host1 5 IN A 10.0.0.1
 *         _api._tcp 5 IN SRV 10 60 8080 host1
 *         """)) {
 *     knot.update("update add host2.dev.kw. 5 A 10.0.0.2");
 * }
 * }</pre>
 *
 * <p>Each zone gets an SOA (negative TTL 1 s) and an NS record; the records given are relative to
 * the zone unless they end with a dot.
 */
public final class Knot implements AutoCloseable {
    /** The packages that carry {@code knotd} and {@code knsupdate}. */
    public static final String PACKAGES = "knot knot-dnsutils";
    private static final Duration STARTUP = Duration.ofSeconds(20);

    private final Path knotd;
    private final Path knsupdate;
    private final Path dir;
    private final int port;
    private final List<String> zones = new ArrayList<>();
    private Process process;

    private Knot(Path dir, int port) {
        this.knotd = Binaries.require("knotd", PACKAGES);
        this.knsupdate = Binaries.require("knsupdate", PACKAGES);
        this.dir = dir;
        this.port = port;
    }

    /** Starts a server with one zone. */
    public static Knot start(String zone, String records) {
        return builder().zone(zone, records).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Zones and records before start. */
    public static final class Builder {
        private final List<String[]> zones = new ArrayList<>();
        private final List<String> failing = new ArrayList<>();

        private Builder() {}

        /** A zone Knot is configured for but cannot load: it answers SERVFAIL for every name in it. */
        public Builder failingZone(String origin) {
            failing.add(origin(requireNonNull(origin, "origin is null")));
            return this;
        }

        /** A zone ({@code dev.kw}) and its records in zone-file syntax, one per line. */
        public Builder zone(String origin, String records) {
            zones.add(new String[] {origin(requireNonNull(origin, "origin is null")), requireNonNull(records, "records is null")});
            return this;
        }

        public Knot start() {
            if (zones.isEmpty()) {
                throw new IllegalStateException("no zone");
            }
            Path dir;
            try {
                dir = Files.createTempDirectory("knot-test");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Knot knot = new Knot(dir, FreePorts.next());
            try {
                knot.writeFiles(zones, failing);
                knot.launch();
                return knot;
            } catch (IOException e) {
                knot.close();
                throw new UncheckedIOException(e);
            } catch (RuntimeException | Error e) {
                knot.close();
                throw e;
            }
        }
    }

    private static String origin(String zone) {
        return zone.endsWith(".") ? zone : zone + ".";
    }

    /** The UDP and TCP port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}, as a {@code nameserver} value. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** The knotd process id (for CPU figures), or -1 when stopped. */
    public long pid() {
        return isRunning() ? process.pid() : -1;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Applies one RFC 2136 update with {@code knsupdate}: lines such as {@code update add
     * host2.dev.kw. 5 A 10.0.0.2} or {@code update delete _api._tcp.dev.kw. SRV 10 60 8080
     * host1.dev.kw.}, for the zone of the first name, sent as one message. Fails when Knot refuses it.
     */
    public void update(String... lines) {
        if (lines.length == 0) {
            throw new IllegalArgumentException("no update lines");
        }
        StringBuilder script = new StringBuilder();
        script.append("server 127.0.0.1 ").append(port).append('\n');
        script.append("zone ").append(zoneOf(lines[0])).append('\n');
        for (String line : lines) {
            script.append(line.strip()).append('\n');
        }
        script.append("send\nquit\n");
        try {
            Process p = new ProcessBuilder(knsupdate.toString()).redirectErrorStream(true).start();
            p.getOutputStream().write(script.toString().getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("knsupdate did not finish within 30 s:\n" + script);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("knsupdate failed (exit " + p.exitValue() + "): " + out + "\n" + script);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private String zoneOf(String line) {
        String[] words = line.strip().split("\\s+");
        String name = words.length >= 3 ? origin(words[2]) : "";
        return zones.stream().filter(z -> name.equals(z) || name.endsWith("." + z))
                .max(Comparator.comparingInt(String::length))
                .orElseThrow(() -> new IllegalArgumentException("no zone of this server holds the name in " + line
                        + " (zones: " + zones + "; use absolute names ending with a dot)"));
    }

    /** Stops the server (SIGTERM, then SIGKILL), keeping its data and port. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts a stopped server again on the same port, with the data it had (updates included). */
    public void restart() {
        if (isRunning()) {
            return;
        }
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory: best effort
        }
    }

    private void writeFiles(List<String[]> zoneRecords, List<String> failingZones) throws IOException {
        Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(dir.resolve("storage"));
        Files.createDirectories(dir.resolve("zones"));
        StringBuilder conf = new StringBuilder();
        conf.append("server:\n")
                .append("    rundir: \"").append(dir.resolve("run")).append("\"\n")
                .append("    listen: 127.0.0.1@").append(port).append('\n')
                .append("    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n")
                .append("database:\n    storage: \"").append(dir.resolve("storage")).append("\"\n")
                .append("log:\n  - target: stderr\n    any: info\n")
                .append("acl:\n  - id: local_update\n    address: 127.0.0.1\n    action: update\n")
                .append("template:\n  - id: default\n    storage: \"").append(dir.resolve("zones")).append("\"\n")
                .append("    zonefile-sync: -1\n")
                .append("zone:\n");
        for (String[] z : zoneRecords) {
            String origin = z[0];
            zones.add(origin);
            conf.append("  - domain: ").append(origin).append("\n    file: \"").append(origin).append("zone\"\n")
                    .append("    acl: local_update\n");
            String zone = "$ORIGIN " + origin + "\n$TTL 5\n"
                    + "@ IN SOA ns." + origin + " admin." + origin + " 1 60 60 3600 1\n"
                    + "@ IN NS ns." + origin + "\n"
                    + "ns IN A 127.0.0.1\n"
                    + z[1].stripIndent() + "\n";
            Files.writeString(dir.resolve("zones").resolve(origin + "zone"), zone);
        }
        for (String origin : failingZones) {
            conf.append("  - domain: ").append(origin).append("\n    file: \"").append(origin).append("zone\"\n");
            Files.writeString(dir.resolve("zones").resolve(origin + "zone"), "this is not a zone file\n");
        }
        Files.writeString(dir.resolve("knot.conf"), conf.toString());
    }

    private void launch() throws IOException {
        process = new ProcessBuilder(knotd.toString(), "-c", dir.resolve("knot.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("knotd.log").toFile()))
                .start();
        awaitServing();
    }

    /** Waits until every zone answers its SOA (knotd loads zones after it binds). */
    private void awaitServing() {
        SimpleResolver resolver = new SimpleResolver(socketAddress());
        resolver.setTimeout(Duration.ofMillis(200));
        long deadline = System.nanoTime() + STARTUP.toNanos();
        String last = "no answer";
        for (String zone : zones) {
            while (true) {
                if (!isRunning()) {
                    throw new AssertionError("knotd exited; log:\n" + log());
                }
                try {
                    Message response = resolver.send(Message.newQuery(Record.newRecord(Name.fromString(zone), Type.SOA, DClass.IN)));
                    if (response.getRcode() == Rcode.NOERROR && !response.getSection(org.xbill.DNS.Section.ANSWER).isEmpty()) {
                        break;
                    }
                    last = Rcode.string(response.getRcode());
                } catch (IOException e) {
                    last = e.toString();
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("knotd does not serve " + zone + " after " + STARTUP.toSeconds() + " s (" + last + "); log:\n" + log());
                }
                // polling a process we started: there is no event to wait on
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    /** The end of knotd's log, for failure messages. */
    public String log() {
        try {
            String s = Files.readString(dir.resolve("knotd.log"));
            return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
        } catch (IOException e) {
            return "<no log>";
        }
    }
}
