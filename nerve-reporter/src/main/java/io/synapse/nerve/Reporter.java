package io.synapse.nerve;

/**
 * Keeps one service's registration in a registry. Calls are serialized by the caller. Every method
 * is idempotent: {@link #reportUp} also verifies an existing registration and repairs it (re-creates
 * a deleted node, rewrites changed data), {@link #reportDown} also removes a registration that
 * should not be there.
 */
interface Reporter {
    /** Makes the registration present; throws when the registry could not be reached or refused. */
    void reportUp() throws Exception;

    /** Makes the registration absent; throws when the registry could not be reached or refused. */
    void reportDown() throws Exception;

    /** Forgets what it believes is registered, after repeated failures; the next report starts afresh. */
    void reset();

    /** Removes the registration (best effort, bounded in time) and releases shared clients. Idempotent. */
    void close();

    /**
     * Whether the registry will tell this reporter of any change to its registration (through the
     * drift callback) without being asked: then the periodic verification is skipped. False by
     * default (etcd: no watch on the key, so {@code verify_interval} is its drift repair).
     */
    default boolean watching() {
        return false;
    }

    /** For log lines, e.g. {@code zookeeper 127.0.0.1:2181/nerve/web}. */
    String describe();
}
