package io.synapse.ec2tag;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The live pollers, one per {@link PollerKey}, counted by subscribers: the first watcher of a key
 * creates its poller, the last one to leave closes it.
 *
 * <p>{@link #shared()} is the JVM-wide registry the public factory uses, so that sharing does not
 * depend on how many factory instances the engine makes.
 */
final class PollerRegistry {
    private static final PollerRegistry SHARED = new PollerRegistry(key -> new Ec2Poller(key, new Backoff()));

    private final Function<PollerKey, Ec2Poller> pollerFactory;
    private final Map<PollerKey, Ec2Poller> pollers = new HashMap<>();

    PollerRegistry(Function<PollerKey, Ec2Poller> pollerFactory) {
        this.pollerFactory = requireNonNull(pollerFactory, "pollerFactory is null");
    }

    static PollerRegistry shared() {
        return SHARED;
    }

    synchronized void subscribe(PollerKey key, Ec2Poller.Subscriber subscriber) {
        requireNonNull(key, "key is null");
        requireNonNull(subscriber, "subscriber is null");
        Ec2Poller poller = pollers.get(key);
        if (poller == null) {
            poller = pollerFactory.apply(key);
            pollers.put(key, poller);
        }
        poller.subscribe(subscriber);
    }

    synchronized void unsubscribe(PollerKey key, Ec2Poller.Subscriber subscriber) {
        Ec2Poller poller = pollers.get(key);
        if (poller != null && poller.unsubscribe(subscriber)) {
            pollers.remove(key);
            poller.close();
        }
    }

    /** How many pollers are running. */
    synchronized int size() {
        return pollers.size();
    }
}
