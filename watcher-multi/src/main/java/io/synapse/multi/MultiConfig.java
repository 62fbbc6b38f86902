package io.synapse.multi;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code discovery} section of a {@code multi} service (Ruby's keys), as the core binds it.
 * Both parts are checked by {@link MultiWatcherFactory#validate}.
 *
 * @param watchers name to child watcher section: any installed {@code method} with that method's
 *     keys (and its own {@code label_filters}); the order is kept (union's generator config)
 * @param resolver {@code {"method": "union" | "sequential" | "s3_toggle" | "file_toggle", ...}}
 */
public record MultiConfig(JsonNode watchers, JsonNode resolver) {}
