package io.synapse.docker;

import java.net.URI;

import static java.util.Objects.requireNonNull;

/**
 * One Docker engine connection: {@code tcp://host:port} (with optional TLS files) or {@code
 * unix:///path}. The key of the shared {@link DockerHost}s: every service and catalog naming the
 * same engine the same way shares one connection and one event stream.
 */
record Endpoint(URI uri, DockerConfig.Tls tls) {
    static final int DEFAULT_PORT = 4243;
    static final String DEFAULT_SOCKET = "/var/run/docker.sock";

    Endpoint {
        requireNonNull(uri, "uri is null");
        if (!"tcp".equals(uri.getScheme()) && !"unix".equals(uri.getScheme())) {
            throw new IllegalArgumentException("docker endpoint " + uri + ": expected tcp:// or unix://");
        }
        if ("unix".equals(uri.getScheme()) && tls != null) {
            throw new IllegalArgumentException("docker endpoint " + uri + ": TLS is for tcp:// endpoints");
        }
    }

    static Endpoint tcp(String host, int port, DockerConfig.Tls tls) {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return new Endpoint(URI.create("tcp://" + h + ":" + port), tls);
    }

    static Endpoint unix(String path) {
        return new Endpoint(URI.create("unix://" + path), null);
    }

    boolean isUnix() {
        return "unix".equals(uri.getScheme());
    }

    /** The host of a tcp:// endpoint (without IPv6 brackets), or null for a unix socket. */
    String host() {
        if (isUnix()) {
            return null;
        }
        String h = uri.getHost();
        return h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
    }

    @Override
    public String toString() {
        return uri + (tls == null ? "" : " (tls)");
    }
}
