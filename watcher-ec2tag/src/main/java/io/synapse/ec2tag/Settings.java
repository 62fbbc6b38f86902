package io.synapse.ec2tag;

import java.time.Duration;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * An {@link Ec2TagConfig} with defaults applied and values checked.
 *
 * @param key what decides the shared poller
 * @param interval the check interval
 * @param address which address becomes the backend host
 * @param portTag the tag holding the port, or {@code null}
 * @param port the fixed port, or {@code null}
 * @param serverName how backends are named
 */
record Settings(PollerKey key, Duration interval, Address address, String portTag, Integer port, ServerName serverName) {
    /** The port of backends when neither {@code port} nor {@code port_tag} is given. */
    static final int PLACEHOLDER_PORT = 65535;

    Settings {
        requireNonNull(key, "key is null");
        requireNonNull(interval, "interval is null");
        requireNonNull(address, "address is null");
        requireNonNull(serverName, "serverName is null");
    }

    enum Address {
        PRIVATE_IP, PUBLIC_IP, PRIVATE_DNS, PUBLIC_DNS;

        String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum ServerName {
        INSTANCE_ID, NAME_TAG;

        String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
