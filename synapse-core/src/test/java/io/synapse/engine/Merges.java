package io.synapse.engine;

import io.synapse.spi.Backend;

import java.util.List;

/** Test access to the engine's de-duplication. */
public final class Merges {
    private Merges() {}

    public static List<Backend> dedupe(List<Backend> backends) {
        return Merge.dedupe(backends);
    }
}
