package io.synapse.nerve;

import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/** One health check: returns when the service passes, throws with a short reason when it fails. */
interface Check {
    String name();

    void run() throws Exception;

    /** Builds the check a config asks for. */
    static Check of(CheckConfig config) {
        CheckConfig.Spec spec = config.spec();
        if (spec instanceof CheckConfig.Http http) {
            return new HttpCheck(config, http);
        }
        if (spec instanceof CheckConfig.Exec exec) {
            return new ExecCheck(config, exec);
        }
        if (spec instanceof CheckConfig.Tcp) {
            return new TcpCheck(config);
        }
        if (spec instanceof CheckConfig.Redis) {
            return new RedisCheck(config);
        }
        return new NoopCheck();
    }

    /** A short reason for a log line: no stack trace, no class name where the message says it all. */
    static String reason(Throwable t) {
        if (t instanceof UnknownHostException) {
            return "unknown host " + t.getMessage();
        }
        if (t instanceof SocketTimeoutException || t instanceof InterruptedIOException) {
            return t.getMessage() == null ? "timed out" : t.getMessage();
        }
        if (t instanceof ConnectException) {
            return t.getMessage() == null ? "connection refused" : t.getMessage();
        }
        if (t instanceof CheckFailure) {
            return t.getMessage();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + m;
    }

    static int millis(java.time.Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
    }

    static long remainingMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    /** An expected check failure with its reason. */
    final class CheckFailure extends Exception {
        CheckFailure(String message) {
            super(message, null, false, false);
        }
    }
}
