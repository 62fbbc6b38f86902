package io.synapse.quickstart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Reads {@code haproxy.cfg} as synapse rewrites it and logs each change of the quickstart
 * service's servers, by backend name ({@code haproxy.cfg: 2 servers: backend-1, backend-3 (-backend-2)}).
 */
final class HaproxyConfigWatch {
    private final Path file;
    private final Map<Integer, String> namesByPort;
    /** Every server name seen in the file, with its backend's name (HAProxy's stats name servers so). */
    private final Map<String, String> backendsByServer = new ConcurrentHashMap<>();
    private volatile Set<String> current;

    HaproxyConfigWatch(Path file, List<DemoBackend> backends) {
        this.file = requireNonNull(file, "file is null");
        this.namesByPort = backends.stream().collect(Collectors.toUnmodifiableMap(DemoBackend::port, DemoBackend::name));
    }

    /** The backends in the file's last version read, or null before the file exists. */
    Set<String> current() {
        return current;
    }

    /** The backend a {@code server} line of the file named so, or null. */
    String backendOf(String serverName) {
        return backendsByServer.get(serverName);
    }

    void poll() {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            Quickstart.LOG.warn("{}: {}", file, e.getMessage());
            return;
        }
        Set<String> next = new TreeSet<>();
        for (Server server : servers(text, Quickstart.SERVICE)) {
            int colon = server.address().lastIndexOf(':');
            String name = colon < 0 ? null : namesByPort.get(parsePort(server.address().substring(colon + 1)));
            next.add(name != null ? name : server.address());
            if (name != null) {
                backendsByServer.put(server.name(), name);
            }
        }
        Set<String> before = current;
        if (next.equals(before)) {
            return;
        }
        current = next;
        List<String> changes = new ArrayList<>();
        if (before != null) {
            before.stream().filter(b -> !next.contains(b)).forEach(b -> changes.add("-" + b));
            next.stream().filter(b -> !before.contains(b)).forEach(b -> changes.add("+" + b));
        }
        Quickstart.LOG.info("haproxy.cfg: {} server{}{}{}", next.size(), next.size() == 1 ? "" : "s",
                next.isEmpty() ? "" : ": " + String.join(", ", next), changes.isEmpty() ? "" : " (" + String.join(" ", changes) + ")");
    }

    private static int parsePort(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    record Server(String name, String address) {}

    /** The enabled {@code server} lines of {@code backend <service>}. */
    static List<Server> servers(String config, String service) {
        List<Server> servers = new ArrayList<>();
        boolean inBackend = false;
        for (String line : config.split("\n")) {
            if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0))) {
                inBackend = line.strip().equals("backend " + service);
                continue;
            }
            String[] words = line.strip().split("\\s+");
            if (inBackend && words.length >= 3 && words[0].equals("server")
                    && !List.of(words).contains("disabled")) {
                servers.add(new Server(words[1], words[2]));
            }
        }
        return servers;
    }
}
