package io.synapse.docker;

import java.util.List;

/**
 * A {@code catalogs.<name>} section with {@code "method": "docker"} (without {@code method} and the
 * generator defaults such as {@code haproxy}, which the engine handles). Absent keys are {@code null}.
 *
 * @param servers TCP engines, as for the watcher ({@code {name, host, port, tls}})
 * @param socket the local engine's unix socket; without {@code servers} and {@code socket},
 *     {@code DOCKER_HOST} or else {@code /var/run/docker.sock}
 * @param tls client TLS for every TCP server
 * @param labelPrefix the prefix of the labels that define services ({@code synapse}: {@code
 *     synapse.service}, {@code synapse.port}, {@code synapse.frontend_port}, {@code synapse.mode})
 * @param checkInterval seconds between full re-reads of each engine (15)
 * @param network use containers' addresses on this Docker network instead of published ports
 */
public record DockerCatalogConfig(
        List<DockerConfig.Server> servers,
        String socket,
        DockerConfig.Tls tls,
        String labelPrefix,
        Double checkInterval,
        String network) {}
