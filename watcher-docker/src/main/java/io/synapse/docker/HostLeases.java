package io.synapse.docker;

import io.synapse.common.concurrent.SharedResources;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import static java.util.Objects.requireNonNull;

/** One subscriber's leases on the shared {@link DockerHost}s (a watcher's or the catalog's). */
final class HostLeases {
    private final DockerHost.Subscriber subscriber;
    private final List<SharedResources.Lease<Endpoint, DockerHost>> leases = new ArrayList<>();

    HostLeases(DockerHost.Subscriber subscriber) {
        this.subscriber = requireNonNull(subscriber, "subscriber is null");
    }

    /** Takes a lease on each distinct endpoint's host and subscribes to it. */
    synchronized void subscribe(Collection<Endpoint> endpoints) {
        for (Endpoint e : endpoints.stream().distinct().toList()) {
            SharedResources.Lease<Endpoint, DockerHost> lease = DockerHost.HOSTS.acquire(e);
            leases.add(lease);
            lease.get().subscribe(subscriber);
        }
    }

    /** Unsubscribes and gives every lease back (a host closed meanwhile is skipped). */
    synchronized void close() {
        for (SharedResources.Lease<Endpoint, DockerHost> lease : leases) {
            try {
                lease.get().unsubscribe(subscriber);
            } catch (IllegalStateException e) {
                // the lease is already closed
            }
            lease.close();
        }
        leases.clear();
    }
}
