package io.synapse.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The whole merged state handed to a generator.
 *
 * @param services every configured service, in config order
 * @param changed names of the services that changed since the generator's last successful update
 *     (all of them on the first call)
 */
public record GeneratorState(Map<String, ServiceView> services, Set<String> changed) {
    public GeneratorState {
        services = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(services, "services is null")));
        changed = Set.copyOf(requireNonNull(changed, "changed is null"));
    }
}
