package io.synapse.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The engine's meters in Micrometer's global registry (exposed by the status endpoint's Prometheus
 * registry): renders and their duration, and per service its backends, watcher state, last event
 * and change, failures and rejected registrations. The per-service gauges read the engine's current
 * runtime of the service by name, so a service a catalog replaces keeps its series. Meters are
 * registered when the engine starts (so that a status endpoint started before sees every recording),
 * removed when their service goes and when the engine closes.
 */
final class EngineMetrics {
    private static final Duration[] RENDER_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final Function<String, ServiceRuntime> lookup;
    private final Map<String, ServiceMeters> services = new HashMap<>();
    private final List<Meter> global = new ArrayList<>();
    private Counter rendersOk;
    private Counter rendersFailed;
    private Timer renderDuration;

    /** A service's meters. */
    private record ServiceMeters(Counter failures, Counter rejected, List<Meter> all) {}

    EngineMetrics(MeterRegistry registry, Function<String, ServiceRuntime> lookup) {
        this.registry = registry;
        this.lookup = lookup;
    }

    /** Registers the engine's meters and those of {@code services}. */
    synchronized void start(List<String> services) {
        rendersOk = add(Counter.builder("synapse.renders").tag("result", "ok")
                .description("Renders: every generator brought up to date (ok) or one of them failed").register(registry));
        rendersFailed = add(Counter.builder("synapse.renders").tag("result", "failed")
                .description("Renders: every generator brought up to date (ok) or one of them failed").register(registry));
        renderDuration = add(Timer.builder("synapse.render.duration")
                .description("One render: every generator's update (rendered, checked, written to disk, reload requested)")
                .serviceLevelObjectives(RENDER_BUCKETS)
                .register(registry));
        services.forEach(this::service);
    }

    /** A render finished: {@code failed} when a generator failed. */
    synchronized void rendered(boolean failed, long nanos) {
        if (renderDuration == null) {
            return;
        }
        (failed ? rendersFailed : rendersOk).increment();
        renderDuration.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** {@code service}'s watcher reported a failure. */
    synchronized void watcherFailed(String service) {
        if (renderDuration != null) {
            service(service).failures().increment();
        }
    }

    /** {@code service}'s watcher skipped an invalid registration. */
    synchronized void rejected(String service) {
        if (renderDuration != null) {
            service(service).rejected().increment();
        }
    }

    private <M extends Meter> M add(M meter) {
        global.add(meter);
        return meter;
    }

    /** The meters of {@code service}, registered on first use (once started). */
    synchronized void add(String service) {
        if (renderDuration != null) {
            service(service);
        }
    }

    private ServiceMeters service(String service) {
        return services.computeIfAbsent(service, this::register);
    }

    private ServiceMeters register(String service) {
        List<Meter> all = new ArrayList<>();
        all.add(gauge("synapse.service.backends", service, "Backends the generators get (rules and filters applied)",
                rt -> rt.visibleBackends().size()));
        all.add(gauge("synapse.watcher.up", service, "1 unless the service's watcher reports a failure",
                rt -> rt.failing() ? 0 : 1));
        all.add(gauge("synapse.watcher.last.event.timestamp.seconds", service,
                "Unix time of the watcher's last snapshot, changed or not (NaN before the first)", rt -> seconds(rt.lastEventAt())));
        all.add(gauge("synapse.service.last.change.timestamp.seconds", service,
                "Unix time the service's backends last changed (NaN before the first snapshot)", rt -> seconds(rt.lastChangeAt())));
        Counter failures = Counter.builder("synapse.watcher.failures").tag("service", service)
                .description("Failures the service's watcher reported (one per episode)").register(registry);
        Counter rejected = Counter.builder("synapse.registrations.rejected").tag("service", service)
                .description("Registrations skipped as invalid").register(registry);
        all.add(failures);
        all.add(rejected);
        return new ServiceMeters(failures, rejected, all);
    }

    private Gauge gauge(String name, String service, String description, ToDoubleFunction<ServiceRuntime> value) {
        return Gauge.builder(name, () -> {
                    ServiceRuntime rt = lookup.apply(service);
                    return rt == null ? Double.NaN : value.applyAsDouble(rt);
                })
                .tag("service", service)
                .description(description)
                .register(registry);
    }

    private static double seconds(Instant t) {
        return t == null ? Double.NaN : t.toEpochMilli() / 1000.0;
    }

    /** The service is gone: its series go too. */
    synchronized void remove(String service) {
        ServiceMeters m = services.remove(service);
        if (m != null) {
            m.all().forEach(registry::remove);
        }
    }

    synchronized void close() {
        services.values().forEach(m -> m.all().forEach(registry::remove));
        services.clear();
        global.forEach(registry::remove);
        global.clear();
        renderDuration = null;
    }
}
