package io.synapse.common.etcd;

import java.time.Duration;

/**
 * How a jetcd client behaves; {@code null} leaves jetcd's default.
 *
 * @param connectTimeout how long a connection attempt may take
 * @param keepaliveTime gRPC keep-alive pings on an idle connection
 * @param keepaliveTimeout how long a ping may go unanswered before the connection is dropped
 * @param retryDelay jetcd's first retry delay of a failed call
 * @param retryMaxDelay jetcd's longest retry delay
 * @param retryMaxDuration how long jetcd retries a call in all
 * @param waitForReady whether a call waits for a connection ({@code false}: fails at once while no
 *     member is reachable, so that the caller's own backoff decides)
 * @param maxInboundMessageSize the largest answer accepted, in bytes
 */
public record EtcdClientSettings(
        Duration connectTimeout,
        Duration keepaliveTime,
        Duration keepaliveTimeout,
        Duration retryDelay,
        Duration retryMaxDelay,
        Duration retryMaxDuration,
        Boolean waitForReady,
        Integer maxInboundMessageSize) {}
