package io.synapse.marathon;

import io.synapse.common.concurrent.SharedResources;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * One service's view of one Marathon app through the shared {@link MarathonClient}: every
 * service (and catalog) on the same Marathon URLs shares one event stream and one poller.
 *
 * <p>Publishes the app's backends (see {@link TaskBackends}) whenever they change; an app that
 * Marathon does not have publishes an empty set (Marathon said so). When Marathon cannot be read
 * the listener gets {@code onFailure} and nothing is published, so the engine keeps the last good
 * set; once a read works again the current set is published.
 */
final class MarathonServiceWatcher implements ServiceWatcher, MarathonClient.AppListener {
    private static final Logger LOG = LoggerFactory.getLogger(MarathonServiceWatcher.class);

    private enum State { LATENT, STARTED, CLOSED }

    private final String service;
    private final Endpoints.Key key;
    private final String appId;
    private final Duration interval;
    private final WatcherListener listener;
    private final TaskBackends backends;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private SharedResources.Lease<Endpoints.Key, MarathonClient> lease;
    private MarathonClient.Subscription subscription;
    private boolean absentLogged;

    MarathonServiceWatcher(String service, Endpoints.Key key, String appId, int portIndex, Duration interval, WatcherListener listener) {
        this.service = requireNonNull(service, "service is null");
        this.key = requireNonNull(key, "key is null");
        this.appId = requireNonNull(appId, "appId is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.backends = new TaskBackends(service, portIndex, LOG, listener);
    }

    @Override
    public synchronized void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        LOG.info("service {}: watching Marathon app {} at {}", service, appId, key);
        lease = MarathonClient.CLIENTS.acquire(key);
        subscription = lease.get().subscribe(appId, interval, this);
    }

    @Override
    public void onApp(MarathonApp app) {
        if (state.get() != State.STARTED) {
            return;
        }
        List<Backend> next;
        if (app == null) {
            if (!absentLogged) {
                LOG.warn("service {}: Marathon has no app {}", service, appId);
                absentLogged = true;
            }
            next = List.of();
        } else {
            absentLogged = false;
            next = backends.backends(app.id(), app.tasks(), !app.definition().healthChecks().isEmpty());
        }
        listener.onBackends(next);
    }

    @Override
    public void onFailure(String message, Throwable cause) {
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
