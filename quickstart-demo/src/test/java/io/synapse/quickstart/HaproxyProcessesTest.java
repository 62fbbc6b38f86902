package io.synapse.quickstart;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HaproxyProcessesTest {
    @TempDir
    Path tmp;

    @Test
    void findsHaproxyOnPathBeforeTheExtraDirectories() throws Exception {
        Path onPath = executable(tmp.resolve("bin"));
        Path extra = executable(tmp.resolve("sbin"));
        String path = tmp.resolve("empty") + File.pathSeparator + onPath.getParent();

        assertThat(HaproxyProcesses.find(path, List.of(extra.getParent().toString()))).contains(onPath);
        assertThat(HaproxyProcesses.find(tmp.resolve("empty").toString(), List.of(extra.getParent().toString()))).contains(extra);
    }

    @Test
    void aMissingOrNonExecutableHaproxyIsNotFound() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("plain"));
        Files.writeString(dir.resolve("haproxy"), "not executable");
        assertThat(HaproxyProcesses.find(dir + File.pathSeparator + tmp.resolve("none"), List.of())).isEmpty();
        assertThat(HaproxyProcesses.find(null, List.of())).isEmpty();
    }

    private static Path executable(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path file = dir.resolve("haproxy");
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
