package io.synapse.nerve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One health check of a service.
 *
 * @param name for log lines
 * @param host checked host (the service's unless overridden)
 * @param port checked port (the service's unless overridden)
 * @param timeout the check's time limit
 * @param rise consecutive successes needed to go up (after the first result)
 * @param fall consecutive failures needed to go down (after the first result)
 * @param spec what kind of check
 */
record CheckConfig(String name, String host, int port, Duration timeout, int rise, int fall, Spec spec) {
    static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(100);
    static final Duration DEFAULT_EXEC_TIMEOUT = Duration.ofSeconds(1);
    static final Duration DEFAULT_OPEN_TIMEOUT = Duration.ofMillis(200);

    CheckConfig {
        requireNonNull(name, "name is null");
        requireNonNull(host, "host is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(spec, "spec is null");
    }

    sealed interface Spec {
        String type();
    }

    /**
     * GET {@code uri}; 200-399 passes; {@code expect} must occur in the body. TLS verifies the
     * certificate and host name unless {@code sslVerify} is false; {@code sslCaFile} adds a trusted CA.
     */
    record Http(String uri, String expect, Map<String, String> headers, Duration openTimeout, Duration readTimeout,
                boolean ssl, Duration sslTimeout, boolean sslVerify, Path sslCaFile) implements Spec {
        public Http {
            requireNonNull(uri, "uri is null");
            headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        }

        @Override
        public String type() {
            return "http";
        }
    }

    record Tcp() implements Spec {
        @Override
        public String type() {
            return "tcp";
        }
    }

    record Redis() implements Spec {
        @Override
        public String type() {
            return "redis";
        }
    }

    /** Runs {@code command} (argv; a string in the config becomes {@code sh -c <string>}); exit 0 passes. */
    record Exec(List<String> command) implements Spec {
        public Exec {
            command = List.copyOf(requireNonNull(command, "command is null"));
        }

        @Override
        public String type() {
            return "exec";
        }
    }

    record Noop() implements Spec {
        @Override
        public String type() {
            return "noop";
        }
    }
}
