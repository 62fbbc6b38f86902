package io.synapse.common.etcd;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import io.synapse.common.tls.TlsFiles;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The etcd connection keys of a config section, checked and normalised the same way for the etcd
 * watcher ({@code endpoints}, {@code ca_file}, ...) and for nerve ({@code etcd_endpoints}, {@code
 * etcd_ca_file}, ...).
 */
public final class EtcdConnections {
    /** etcd's client port. */
    public static final int DEFAULT_PORT = 2379;

    private EtcdConnections() {}

    /**
     * The names of the keys in the section, for problem paths.
     *
     * @param endpoints e.g. {@code endpoints} or {@code etcd_endpoints}
     */
    public record Keys(String endpoints, TlsFiles.Keys tls, String user, String password) {
        public static final Keys PLAIN = new Keys("endpoints", TlsFiles.Keys.PLAIN, "user", "password");

        public Keys {
            requireNonNull(endpoints, "endpoints is null");
            requireNonNull(tls, "tls is null");
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
        }
    }

    /**
     * Checks the connection keys of a section and builds the connection: endpoints (a scheme-less
     * {@code host:port} means http; all http or all https), TLS files (only with https; a
     * certificate needs its key; the files are read and checked), user and password (together).
     * Every problem goes to {@code problems} under its key; returns {@code null} when there is one.
     *
     * @param endpoints the endpoint texts as configured, or {@code null} when absent
     */
    public static EtcdConnection fromConfig(Keys keys, List<String> endpoints, String caFile, String certFile,
                                            String keyFile, String user, String password, ConfigProblems problems) {
        requireNonNull(keys, "keys is null");
        requireNonNull(problems, "problems is null");
        int before = problems.size();
        List<URI> uris = new ArrayList<>();
        if (endpoints == null || endpoints.isEmpty()) {
            problems.add(keys.endpoints(), "must not be empty");
        } else {
            for (int i = 0; i < endpoints.size(); i++) {
                String problem = endpointProblem(endpoints.get(i));
                if (problem != null) {
                    problems.add(keys.endpoints() + "[" + i + "]", problem);
                } else {
                    URI uri = endpoint(endpoints.get(i), DEFAULT_PORT);
                    if (!uris.contains(uri)) {
                        uris.add(uri);
                    }
                }
            }
            if (uris.stream().map(URI::getScheme).distinct().count() > 1) {
                problems.add(keys.endpoints(), "mixes http:// and https:// endpoints; use one scheme");
            }
        }

        TlsFiles.Keys tlsKeys = keys.tls();
        boolean https = uris.stream().anyMatch(u -> "https".equals(u.getScheme()));
        boolean filesOk = true;
        if (certFile != null && keyFile == null) {
            problems.add(tlsKeys.keyFile(), "is required with " + tlsKeys.certFile());
            filesOk = false;
        }
        if (keyFile != null && certFile == null) {
            problems.add(tlsKeys.certFile(), "is required with " + tlsKeys.keyFile());
            filesOk = false;
        }
        if (!uris.isEmpty() && !https) {
            String[][] files = {{tlsKeys.caFile(), caFile}, {tlsKeys.certFile(), certFile}, {tlsKeys.keyFile(), keyFile}};
            for (String[] f : files) {
                if (f[1] != null) {
                    problems.add(f[0], "requires https:// endpoints");
                    filesOk = false;
                }
            }
        }
        for (String[] f : new String[][] {{tlsKeys.caFile(), caFile}, {tlsKeys.certFile(), certFile}, {tlsKeys.keyFile(), keyFile}}) {
            if (f[1] != null && f[1].isEmpty()) {
                problems.add(f[0], "must not be empty");
                filesOk = false;
            }
        }
        TlsFiles tls = TlsFiles.NONE;
        if (filesOk && (caFile != null || certFile != null)) {
            tls = new TlsFiles(caFile, certFile, keyFile);
            tls.check(problems, tlsKeys);
        }

        if (user != null && user.isEmpty()) {
            problems.add(keys.user(), "must not be empty");
        }
        if (user != null && password == null) {
            problems.add(keys.password(), "is required with " + keys.user());
        }
        if (password != null && user == null) {
            problems.add(keys.user(), "is required with " + keys.password());
        }
        if (problems.size() > before) {
            return null;
        }
        return new EtcdConnection(uris, tls, user, password);
    }

    /** {@code null} when {@code text} is a usable endpoint, else the reason. */
    public static String endpointProblem(String text) {
        if (text == null || text.isBlank()) {
            return "must not be empty";
        }
        String expected = "expected a URL like http://10.0.0.1:2379, got " + RegistryValues.quote(text);
        URI uri;
        try {
            uri = new URI(text.contains("://") ? text.strip() : "http://" + text.strip());
        } catch (URISyntaxException e) {
            return expected;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "expected an http:// or https:// URL, got " + RegistryValues.quote(text);
        }
        if (uri.getHost() == null || uri.getUserInfo() != null || uri.getQuery() != null || uri.getFragment() != null
                || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))) {
            return expected;
        }
        return null;
    }

    /**
     * The normalised endpoint {@code scheme://host:port} of a text {@link #endpointProblem} accepts;
     * {@code host:port} alone means http, a missing port is {@code defaultPort}.
     */
    public static URI endpoint(String text, int defaultPort) {
        String t = text.strip();
        URI uri = URI.create(t.contains("://") ? t : "http://" + t);
        int port = uri.getPort() < 0 ? defaultPort : uri.getPort();
        return URI.create(uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost() + ":" + port);
    }
}
