package io.synapse.quickstart;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The HAProxy processes of a quickstart: found by their command line ({@code haproxy ... -f CFG}),
 * since {@code haproxy -D} leaves them running as daemons, children of no one.
 */
final class HaproxyProcesses {
    /** Where Debian and Homebrew put haproxy when it is not on a user's PATH. */
    static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin");
    static final String INSTALL_HINT = "sudo apt-get install -y haproxy (Debian, Ubuntu), sudo dnf install -y haproxy"
            + " (Fedora), brew install haproxy (macOS)";

    private HaproxyProcesses() {}

    /** The {@code haproxy} binary on {@code path} (a PATH value) or in {@link #EXTRA_DIRS}. */
    static Optional<Path> find(String path, List<String> extraDirs) {
        List<String> dirs = new ArrayList<>();
        if (path != null) {
            dirs.addAll(Arrays.asList(path.split(File.pathSeparator)));
        }
        dirs.addAll(extraDirs);
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, "haproxy");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** HAProxy processes alive now that were started with {@code -f config}. */
    static List<ProcessHandle> running(Path config) {
        requireNonNull(config, "config is null");
        String file = config.toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.equals("haproxy") || c.endsWith("/haproxy")).orElse(false))
                .filter(p -> p.info().arguments().map(args -> Arrays.asList(args).contains(file)).orElse(false))
                .toList();
    }

    /**
     * Alive and not a zombie: a daemon that exited stays a zombie until init reaps it (for seconds
     * under some inits), and isAlive() counts zombies; a zombie's executable is gone from /proc.
     */
    static boolean isRunning(ProcessHandle p) {
        return p.isAlive() && p.info().command().isPresent();
    }

    /**
     * Stops every HAProxy started with {@code -f config}: SIGTERM, then SIGKILL for one still alive
     * after {@code grace}; looks again until none is left (a reload may have been starting one).
     * Returns the pids stopped.
     */
    static List<Long> stopAll(Path config, Duration grace) {
        List<Long> stopped = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            List<ProcessHandle> alive = running(config);
            if (alive.isEmpty()) {
                break;
            }
            alive.forEach(ProcessHandle::destroy);
            // not our children (haproxy -D detaches), so onExit() would only notice by slow polling
            long deadline = System.nanoTime() + grace.toNanos();
            while (alive.stream().anyMatch(HaproxyProcesses::isRunning) && System.nanoTime() - deadline < 0) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            for (ProcessHandle p : alive) {
                if (isRunning(p)) {
                    p.destroyForcibly();
                }
                stopped.add(p.pid());
            }
        }
        return stopped;
    }
}
