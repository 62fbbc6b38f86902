package io.synapse.haproxy;

import java.io.IOException;
import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * The master CLI of a master-worker HAProxy ({@code haproxy -W -S <socket>}): reloads and
 * {@code show proc}. It may serve an HAProxy in another container that shares only the socket.
 *
 * <p>In 2.6 {@code reload} answers nothing, and the master re-executes itself: its socket refuses
 * connections for about a second. Success is a new current worker in {@code show proc}; a config the
 * new master refuses leaves the old worker current and counts in {@code [failed: N]}.
 */
final class MasterCli {
    private final Path socket;

    MasterCli(Path socket) {
        this.socket = requireNonNull(socket, "socket is null");
    }

    Path socket() {
        return socket;
    }

    /**
     * One {@code show proc}.
     *
     * @param reloads the master's reload count (failed ones included)
     * @param failed the reloads that failed since the last successful one
     * @param worker the current worker's pid, or 0 when none is listed
     */
    record Proc(long master, int reloads, int failed, long worker) {}

    Proc showProc() throws IOException {
        return parse(RuntimeApi.exchange(socket, "show proc\n", true, 10_000));
    }

    static Proc parse(String text) throws IOException {
        long master = 0;
        int reloads = -1;
        int failed = 0;
        long worker = 0;
        boolean inWorkers = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#")) {
                inWorkers = line.startsWith("# workers");
                continue;
            }
            String[] w = line.trim().split("\\s+");
            if (w.length < 3 || !w[0].chars().allMatch(Character::isDigit)) {
                continue;
            }
            if ("master".equals(w[1])) {
                master = Long.parseLong(w[0]);
                reloads = Integer.parseInt(w[2]);
                int f = line.indexOf("[failed: ");
                if (f >= 0) {
                    failed = Integer.parseInt(line.substring(f + 9, line.indexOf(']', f)).trim());
                }
            } else if ("worker".equals(w[1]) && inWorkers && worker == 0) {
                worker = Long.parseLong(w[0]);
            }
        }
        if (master == 0 || reloads < 0) {
            throw new IOException("master socket " + "answered show proc without a master line: " + RuntimeApi.firstLine(text));
        }
        return new Proc(master, reloads, failed, worker);
    }

    /**
     * Sends {@code reload} and waits until a new worker is current; returns its pid. Throws when
     * the master cannot be reached, when it refused the new config (the old worker keeps
     * serving), or when no new worker showed up within {@code timeoutMillis}.
     */
    long reload(long timeoutMillis) throws IOException, InterruptedException {
        Proc before;
        try {
            before = showProc();
        } catch (IOException e) {
            throw new IOException("master socket " + socket + " unreachable: " + e.getMessage(), e);
        }
        RuntimeApi.exchange(socket, "reload\n", true, 10_000);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            Thread.sleep(25); // the master re-executes itself: it cannot answer for a while
            Proc now;
            try {
                now = showProc();
            } catch (IOException e) {
                last = e.getMessage();
                continue;
            }
            if (now.worker() != 0 && now.worker() != before.worker()) {
                return now.worker();
            }
            if (now.master() == before.master() && now.reloads() > before.reloads() && now.failed() > 0) {
                throw new IOException("HAProxy refused the new config (show proc: " + now.failed()
                        + " failed reload(s)); worker " + before.worker() + " keeps serving the previous one");
            }
            last = "worker " + now.worker() + " still current";
        }
        throw new IOException("no new worker within " + timeoutMillis / 1000 + " s after reload (" + last + ")");
    }
}
