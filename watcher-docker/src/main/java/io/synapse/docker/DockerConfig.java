package io.synapse.docker;

import java.util.List;

/**
 * The {@code discovery} section of a service using {@code "method": "docker"} (without {@code method}
 * and the label filters, which the engine handles). Absent keys are {@code null}; {@link
 * DockerWatcherFactory} applies the defaults and {@link DockerWatcherFactory#validate} checks the
 * rest.
 *
 * @param servers Docker engines reached over TCP, as in the Ruby Synapse: {@code {name, host, port}}
 *     (port 4243 when absent); a backend's host is its server's host
 * @param socket the local engine through its unix socket ({@code /var/run/docker.sock} or {@code
 *     unix:///var/run/docker.sock}); without {@code servers} and {@code socket}, {@code DOCKER_HOST}
 *     or else {@code /var/run/docker.sock}
 * @param tls client TLS for every TCP server (a server's own {@code tls} wins)
 * @param imageName containers running this image; {@code repo} matches every tag, {@code repo:tag}
 *     that tag only
 * @param containerPort the container's port; the backend port is the host port published for it
 * @param containerPortLabel a container label holding the container port (per container; {@code
 *     container_port} is the fallback)
 * @param checkInterval seconds between full re-reads of each engine (15), a safety net beside the
 *     event stream
 * @param labels containers carrying these labels, in Docker's filter syntax: {@code "key"} or
 *     {@code "key=value"}; all must match
 * @param network use the container's address on this Docker network and {@code container_port}
 *     itself instead of a published port
 */
public record DockerConfig(
        List<Server> servers,
        String socket,
        Tls tls,
        String imageName,
        Integer containerPort,
        String containerPortLabel,
        Double checkInterval,
        List<String> labels,
        String network) {

    /** One Docker engine reached over TCP. */
    public record Server(String name, String host, Integer port, Tls tls) {}

    /**
     * PEM files for TLS to a TCP engine ({@code dockerd --tlsverify}).
     *
     * @param ca the CA certificate(s) that signed the engine's certificate (absent: the JVM's trust store)
     * @param cert the client certificate
     * @param key the client certificate's key (PKCS#8, PKCS#1 RSA or SEC1 EC; not encrypted)
     */
    public record Tls(String ca, String cert, String key) {}
}
