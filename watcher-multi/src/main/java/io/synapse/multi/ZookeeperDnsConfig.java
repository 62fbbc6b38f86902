package io.synapse.multi;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code discovery} section of a {@code zookeeper_dns} service: Ruby's keys. Each value is
 * passed on as is to the child that uses it, and checked by that child's plugin (so a bad {@code
 * hosts} reads exactly as it would for {@code zookeeper}).
 *
 * @param hosts the ZooKeeper ensemble (the {@code zookeeper} watcher's key); required
 * @param path the znode whose children name the hosts; required
 * @param nameserver the DNS server(s) that resolve the names (the {@code dns} watcher's key);
 *     absent: the system's
 * @param checkInterval seconds: the longest time between two resolutions of a name (default 30)
 * @param generatorConfigPath, decode, discoveryJitter, retryPolicy, auth, resyncJitter: the {@code
 *     zookeeper} watcher's keys of the same names
 */
public record ZookeeperDnsConfig(
        JsonNode hosts,
        JsonNode path,
        JsonNode nameserver,
        JsonNode checkInterval,
        JsonNode generatorConfigPath,
        JsonNode decode,
        JsonNode discoveryJitter,
        JsonNode retryPolicy,
        JsonNode auth,
        JsonNode resyncJitter) {}
