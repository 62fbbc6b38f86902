package io.synapse.marathon;

import io.synapse.common.concurrent.SharedResources;
import io.synapse.spi.Catalog;
import io.synapse.spi.CatalogListener;
import io.synapse.spi.ServiceDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * The {@code marathon} catalog at run time: follows every app's definition through the shared
 * {@link MarathonClient} (its services' watchers use the same client, so one event stream serves
 * them all) and publishes the services of {@link AppServices} whenever they change (and once more
 * after an outage). A problem with
 * an app's labels is logged once, until it changes or goes away.
 */
final class MarathonCatalog implements Catalog, MarathonClient.DefinitionsListener {
    private static final Logger LOG = LoggerFactory.getLogger(MarathonCatalog.class);

    private enum State { LATENT, STARTED, CLOSED }

    private final String name;
    private final Endpoints.Key key;
    private final Duration interval;
    private final AppServices services;
    private final CatalogListener listener;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private SharedResources.Lease<Endpoints.Key, MarathonClient> lease;
    private MarathonClient.Subscription subscription;
    private Set<String> reported = new HashSet<>();
    // confined to the client's thread
    private List<ServiceDefinition> published;
    private boolean failed;

    MarathonCatalog(String name, Endpoints.Key key, Duration interval, AppServices services, CatalogListener listener) {
        this.name = requireNonNull(name, "name is null");
        this.key = requireNonNull(key, "key is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.services = requireNonNull(services, "services is null");
        this.listener = requireNonNull(listener, "listener is null");
    }

    @Override
    public synchronized void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        LOG.info("catalog {}: following Marathon apps at {}", name, key);
        lease = MarathonClient.CLIENTS.acquire(key);
        subscription = lease.get().subscribeDefinitions(interval, this);
    }

    @Override
    public void onDefinitions(List<MarathonApp.Definition> definitions) {
        if (state.get() != State.STARTED) {
            return;
        }
        AppServices.Result result = services.services(definitions);
        Set<String> now = new HashSet<>(result.problems());
        for (String problem : result.problems()) {
            if (!reported.contains(problem)) {
                LOG.warn("catalog {}: {}", name, problem);
            }
        }
        reported = now;
        // after an outage the set goes out even when nothing changed, so that the engine sees the outage end
        if (failed || !result.services().equals(published)) {
            published = result.services();
            failed = false;
            listener.onServices(result.services());
        }
    }

    @Override
    public void onFailure(String message, Throwable cause) {
        failed = true;
        if (state.get() == State.STARTED) {
            listener.onFailure(message, cause);
        }
    }

    @Override
    public synchronized void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        subscription.close();
        lease.close();
    }
}
