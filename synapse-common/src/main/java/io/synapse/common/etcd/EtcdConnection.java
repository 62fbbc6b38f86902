package io.synapse.common.etcd;

import io.synapse.common.tls.TlsFiles;

import java.net.URI;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Where and as whom an etcd v3 client connects: what makes two users share one client. Built by
 * {@link EtcdConnections#fromConfig}, which validates and normalises the config keys.
 *
 * @param endpoints normalised {@code scheme://host:port} URIs, all http or all https
 * @param tls the TLS files ({@link TlsFiles#NONE} without https)
 * @param user the etcd user, or {@code null} without authentication
 * @param password the user's password, or {@code null}; never printed
 */
public record EtcdConnection(List<URI> endpoints, TlsFiles tls, String user, String password) {
    public EtcdConnection {
        endpoints = List.copyOf(requireNonNull(endpoints, "endpoints is null"));
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("endpoints is empty");
        }
        tls = tls == null ? TlsFiles.NONE : tls;
    }

    /** Plain http endpoints, no TLS, no user. */
    public static EtcdConnection of(List<URI> endpoints) {
        return new EtcdConnection(endpoints, TlsFiles.NONE, null, null);
    }

    /** Whether the endpoints are https. */
    public boolean usesTls() {
        return endpoints.stream().anyMatch(u -> "https".equals(u.getScheme()));
    }

    /** The endpoints for messages: {@code http://10.0.0.1:2379,http://10.0.0.2:2379}. */
    public String describe() {
        return String.join(",", endpoints.stream().map(URI::toString).toList());
    }

    @Override
    public String toString() {
        return describe() + (user == null ? "" : " as " + user);
    }
}
