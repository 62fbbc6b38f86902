package io.synapse.spi;

import java.util.List;

/** Receives a catalog's sets. Thread-safe: may be called from any thread. */
public interface CatalogListener {
    /**
     * The complete current set of services this catalog defines, without duplicate names. A
     * service absent from the set is removed (its frontend and backend leave the outputs); an
     * empty list means the catalog really defines none.
     */
    void onServices(List<ServiceDefinition> services);

    /**
     * The catalog could not read its source. The engine logs one line per episode and keeps the
     * services it has.
     */
    void onFailure(String message, Throwable cause);
}
