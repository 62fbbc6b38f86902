package io.synapse.marathon;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.testing.TestConfigs;

/** Builds watchers from discovery JSON (single quotes allowed), as the engine would. */
final class Watchers {
    private Watchers() {}

    static MarathonConfig config(String discoveryJson) throws Exception {
        ObjectNode node = TestConfigs.json(discoveryJson);
        return TestConfigs.MAPPER.copy()
                .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
                .treeToValue(node, MarathonConfig.class);
    }

    static ConfigProblems validate(String discoveryJson) throws Exception {
        ConfigProblems problems = new ConfigProblems();
        new MarathonWatcherFactory().validate(config(discoveryJson), problems);
        return problems;
    }

    static ServiceWatcher watcher(String service, String discoveryJson, Recording listener) throws Exception {
        return new MarathonWatcherFactory().create(new WatcherContext(service, "services." + service + ".discovery"),
                config(discoveryJson), listener);
    }
}
