package io.synapse.common.zookeeper;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import org.apache.zookeeper.common.PathUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * What makes two users share one ZooKeeper connection: the same normalised ensemble (hosts
 * lower-cased, de-duplicated and sorted, then the chroot if any) and the same authentication. The
 * Ruby tools sort the hosts too, so {@code ["zk2:2181", "zk1:2181"]} and {@code "zk1:2181,zk2:2181"}
 * are one connection.
 *
 * @param connectString {@code host:port,host:port[/chroot]}, hosts sorted
 * @param auth the authentication, or {@code null}
 */
public record ZooKeeperEnsemble(String connectString, ZooKeeperAuth auth) {
    public ZooKeeperEnsemble {
        requireNonNull(connectString, "connectString is null");
    }

    /** An unauthenticated ensemble, its connect string normalised. */
    public static ZooKeeperEnsemble of(String connectString) {
        return of(List.of(connectString), null);
    }

    /**
     * The ensemble of {@code hosts} (each {@code host:port}, or several separated by commas; one
     * may end with {@code /chroot}), normalised. The hosts must have passed {@link #checkHosts}.
     */
    public static ZooKeeperEnsemble of(List<String> hosts, ZooKeeperAuth auth) {
        requireNonNull(hosts, "hosts is null");
        TreeSet<String> sorted = new TreeSet<>();
        String chroot = "";
        for (String entry : hosts) {
            for (String part : entry.split(",")) {
                String p = part.trim();
                if (p.isEmpty()) {
                    continue;
                }
                int slash = p.indexOf('/');
                if (slash >= 0) {
                    chroot = p.substring(slash);
                    p = p.substring(0, slash);
                }
                sorted.add(p.toLowerCase(Locale.ROOT));
            }
        }
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("no ZooKeeper host");
        }
        return new ZooKeeperEnsemble(String.join(",", sorted) + chroot, auth);
    }

    /**
     * Reports every problem of a hosts list under {@code key} ({@code key[i]} for an entry): a
     * list of {@code "host:port"} (a comma-separated string of them is accepted too), hosts being
     * IP addresses ({@code [v6]:port}) or DNS names, and at most one chroot path.
     */
    public static void checkHosts(String key, List<String> hosts, ConfigProblems problems) {
        requireNonNull(key, "key is null");
        requireNonNull(problems, "problems is null");
        if (hosts == null) {
            problems.add(key, "is required: a list of \"host:port\"");
            return;
        }
        if (hosts.isEmpty()) {
            problems.add(key, "must not be empty");
            return;
        }
        List<String> chroots = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            String entry = hosts.get(i);
            if (entry == null) {
                problems.add(key + "[" + i + "]", "expected \"host:port\", got null");
                continue;
            }
            for (String part : entry.split(",", -1)) {
                String p = part.trim();
                int slash = p.indexOf('/');
                if (slash >= 0) {
                    String chroot = p.substring(slash);
                    p = p.substring(0, slash);
                    String problem = chrootProblem(chroot);
                    if (problem != null) {
                        problems.add(key + "[" + i + "]", problem);
                        break;
                    }
                    if (!chroots.contains(chroot)) {
                        chroots.add(chroot);
                    }
                }
                String problem = hostPortProblem(p);
                if (problem != null) {
                    problems.add(key + "[" + i + "]", problem);
                    break;
                }
            }
        }
        if (chroots.size() > 1) {
            problems.add(key, "different chroot paths " + String.join(", ", chroots.stream().map(RegistryValues::quote).toList())
                    + "; an ensemble has one");
        }
    }

    /** {@code null} when {@code entry} is a usable {@code host:port}, else the reason. */
    public static String hostPortProblem(String entry) {
        String expected = "expected \"host:port\", got " + RegistryValues.quote(entry);
        int colon = entry.lastIndexOf(':');
        if (colon <= 0 || colon == entry.length() - 1) {
            return expected;
        }
        String host = entry.substring(0, colon);
        String port = entry.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            return expected + " (write an IPv6 address as [addr]:port)";
        }
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            return expected + " (the port must be 1-65535)";
        }
        String hostProblem = RegistryValues.checkHost(host);
        return hostProblem == null ? null : expected + " (" + hostProblem + ")";
    }

    private static String chrootProblem(String chroot) {
        try {
            PathUtils.validatePath(chroot);
            return null;
        } catch (IllegalArgumentException e) {
            return "chroot path " + RegistryValues.quote(chroot) + ": " + e.getMessage();
        }
    }

    @Override
    public String toString() {
        return auth == null ? connectString : connectString + " (" + auth + ")";
    }
}
