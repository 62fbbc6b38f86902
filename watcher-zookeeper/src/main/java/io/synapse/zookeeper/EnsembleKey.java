package io.synapse.zookeeper;

import static java.util.Objects.requireNonNull;

/**
 * What makes two services share one ZooKeeper connection: the same normalised ensemble (hosts
 * lower-cased, de-duplicated, sorted) and the same authentication.
 *
 * @param connectString {@code host:port,host:port}, sorted
 * @param authScheme {@code digest}, or {@code null}
 * @param authCredentials {@code user:password}, or {@code null}; never printed
 */
record EnsembleKey(String connectString, String authScheme, String authCredentials) {
    EnsembleKey {
        requireNonNull(connectString, "connectString is null");
        if ((authScheme == null) != (authCredentials == null)) {
            throw new IllegalArgumentException("authScheme and authCredentials go together");
        }
    }

    static EnsembleKey of(String connectString) {
        return new EnsembleKey(connectString, null, null);
    }

    @Override
    public String toString() {
        if (authScheme == null) {
            return connectString;
        }
        int colon = authCredentials.indexOf(':');
        String user = colon < 0 ? "?" : authCredentials.substring(0, colon);
        return connectString + " (" + authScheme + " as " + user + ")";
    }
}
