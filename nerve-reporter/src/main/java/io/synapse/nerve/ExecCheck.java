package io.synapse.nerve;

import java.io.File;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/** Runs a command; exit code 0 passes. A command still running at the timeout is killed (with its children) and fails. */
final class ExecCheck implements Check {
    private final CheckConfig config;
    private final CheckConfig.Exec exec;

    ExecCheck(CheckConfig config, CheckConfig.Exec exec) {
        this.config = requireNonNull(config, "config is null");
        this.exec = requireNonNull(exec, "exec is null");
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public void run() throws Exception {
        Process process = new ProcessBuilder(exec.command())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        boolean finished;
        try {
            finished = process.waitFor(config.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            kill(process);
            throw e;
        }
        if (!finished) {
            kill(process);
            throw new CheckFailure("timed out after " + config.timeout().toMillis() + " ms");
        }
        int code = process.exitValue();
        if (code != 0) {
            throw new CheckFailure("exit code " + code);
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
