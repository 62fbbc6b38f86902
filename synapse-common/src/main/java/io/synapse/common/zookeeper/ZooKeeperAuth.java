package io.synapse.common.zookeeper;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;

import static java.util.Objects.requireNonNull;

/**
 * ZooKeeper authentication added to a session: {@code digest} with {@code user:password}.
 *
 * @param scheme {@code digest}
 * @param credentials {@code user:password}; never printed
 */
public record ZooKeeperAuth(String scheme, String credentials) {
    public static final String DIGEST = "digest";

    public ZooKeeperAuth {
        requireNonNull(scheme, "scheme is null");
        requireNonNull(credentials, "credentials is null");
    }

    /** The user part of the credentials, for log lines. */
    public String user() {
        int colon = credentials.indexOf(':');
        return colon < 0 ? "?" : credentials.substring(0, colon);
    }

    /**
     * Checks the {@code scheme} and {@code credentials} keys of an {@code auth} section
     * ({@code problems} positioned at it); returns the auth, or {@code null} when there is a problem.
     */
    public static ZooKeeperAuth fromConfig(String scheme, String credentials, ConfigProblems problems) {
        requireNonNull(problems, "problems is null");
        int before = problems.size();
        if (scheme == null) {
            problems.add("scheme", "is required: \"digest\"");
        } else if (!scheme.equals(DIGEST)) {
            problems.add("scheme", "expected \"digest\", got " + RegistryValues.quote(scheme));
        }
        if (credentials == null) {
            problems.add("credentials", "is required: \"user:password\"");
        } else if (credentials.indexOf(':') < 1) {
            // never echo credentials
            problems.add("credentials", "expected \"user:password\"");
        }
        return problems.size() > before ? null : new ZooKeeperAuth(scheme, credentials);
    }

    @Override
    public String toString() {
        return scheme + " as " + user();
    }
}
