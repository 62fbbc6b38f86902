package io.synapse.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the real binaries the tests need, failing with how to install them when missing. */
public final class Binaries {
    private Binaries() {}

    /** The path of {@code name} on PATH (or in /usr/sbin, /usr/bin), or a failure saying how to install it. */
    public static Path require(String name, String debianPackage) {
        return find(name).orElseThrow(() -> new AssertionError(
                "the '" + name + "' binary is required by this test but was not found on PATH; install it with: "
                        + "apt-get install -y " + debianPackage + " (Debian/Ubuntu), or run bin/test which installs it"));
    }

    public static Optional<Path> find(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/usr/bin:/usr/local/bin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    public static Path haproxy() {
        return require("haproxy", "haproxy");
    }

    public static Path etcd() {
        return require("etcd", "etcd-server");
    }
}
