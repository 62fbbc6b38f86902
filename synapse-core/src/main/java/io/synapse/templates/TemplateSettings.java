package io.synapse.templates;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One entry of the {@code templates} list.
 *
 * @param label how log lines and errors name it: {@code templates[0]}
 * @param template the compiled source
 * @param destination the file written
 * @param services the services rendered (in the engine's order), or {@code null} for all
 * @param checkCommand a shell command run on the candidate ({@code %{path}} replaced), or null
 * @param reloadCommand a shell command run after the destination changed, or null
 * @param restartInterval the least time between two reloads
 * @param fileMode the destination's permissions
 */
record TemplateSettings(
        String label,
        Template template,
        Path destination,
        Set<String> services,
        String checkCommand,
        String reloadCommand,
        Duration restartInterval,
        Set<PosixFilePermission> fileMode) {

    static final List<String> KEYS = List.of("source", "destination", "services", "check_command", "reload_command",
            "restart_interval", "file_mode", "escape");

    /** Where the candidate is written and checked: beside the destination, {@code <destination>.candidate}. */
    Path candidate() {
        return destination.resolveSibling(destination.getFileName() + ".candidate");
    }
}
