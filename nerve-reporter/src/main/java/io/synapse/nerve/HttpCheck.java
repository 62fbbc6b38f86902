package io.synapse.nerve;

import io.synapse.common.registry.RegistryValues;
import io.synapse.common.tls.TlsFiles;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * GET {@code uri} on the service; status 200-399 passes (redirects are not followed), and when
 * {@code expect} is set the body (first 1 MiB) must contain it. {@code open_timeout} bounds the
 * connect, {@code ssl_timeout} the TLS handshake, {@code read_timeout} each read. With {@code ssl}
 * the certificate and host name are verified (against the JDK's CAs, or only {@code ssl_ca_file}'s
 * when set) unless {@code ssl_verify} is false.
 *
 * <p>Uses {@link HttpURLConnection} so that certificate checks can be turned off per check. A
 * {@code Host} header in {@code headers} is honoured: nerve sets
 * {@code sun.net.http.allowRestrictedHeaders=true} before the first check.
 */
final class HttpCheck implements Check {
    private static final int MAX_BODY = 1 << 20;

    static {
        if (System.getProperty("sun.net.http.allowRestrictedHeaders") == null) {
            System.setProperty("sun.net.http.allowRestrictedHeaders", "true");
        }
    }

    private final CheckConfig config;
    private final CheckConfig.Http http;
    private final URL url;
    private final SSLSocketFactory sslFactory;
    private final HostnameVerifier hostnameVerifier;

    HttpCheck(CheckConfig config, CheckConfig.Http http) {
        this.config = requireNonNull(config, "config is null");
        this.http = requireNonNull(http, "http is null");
        String host = config.host().indexOf(':') >= 0 ? "[" + config.host() + "]" : config.host();
        try {
            this.url = new URL((http.ssl() ? "https" : "http") + "://" + host + ":" + config.port() + http.uri());
        } catch (IOException e) {
            throw new IllegalArgumentException("bad check URL: " + e.getMessage(), e);
        }
        if (http.ssl()) {
            try {
                this.sslFactory = new HandshakeTimeoutFactory(sslContext(http).getSocketFactory(),
                        Check.millis(http.sslTimeout()));
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalArgumentException("cannot set up TLS for check " + config.name() + ": " + e.getMessage(), e);
            }
            this.hostnameVerifier = http.sslVerify() ? HttpsURLConnection.getDefaultHostnameVerifier() : (h, s) -> true;
        } else {
            this.sslFactory = null;
            this.hostnameVerifier = null;
        }
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public void run() throws Exception {
        HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
        try {
            if (c instanceof HttpsURLConnection https) {
                https.setSSLSocketFactory(sslFactory);
                https.setHostnameVerifier(hostnameVerifier);
            }
            c.setConnectTimeout(Check.millis(http.openTimeout()));
            c.setReadTimeout(Check.millis(http.readTimeout()));
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setRequestProperty("User-Agent", "nerve");
            for (Map.Entry<String, String> h : http.headers().entrySet()) {
                c.setRequestProperty(h.getKey(), h.getValue());
            }
            int status = c.getResponseCode();
            if (status < 200 || status >= 400) {
                throw new CheckFailure("HTTP " + status);
            }
            if (http.expect() != null) {
                String body;
                try (InputStream in = c.getInputStream()) {
                    body = read(in);
                }
                if (!body.contains(http.expect())) {
                    throw new CheckFailure("HTTP " + status + " but the body does not contain "
                            + RegistryValues.quote(http.expect()));
                }
            }
        } finally {
            c.disconnect();
        }
    }

    private static String read(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while (out.size() < MAX_BODY && (n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static SSLContext sslContext(CheckConfig.Http http) throws GeneralSecurityException, IOException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        if (!http.sslVerify()) {
            ctx.init(null, new TrustManager[] {new TrustAll()}, null);
        } else if (http.sslCaFile() != null) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            List<X509Certificate> cas;
            try {
                // read as the config check read it
                cas = TlsFiles.certificates(TlsFiles.Role.CA_FILE, http.sslCaFile().toString());
            } catch (TlsFiles.TlsException e) {
                throw new GeneralSecurityException(e.getMessage());
            }
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            ctx.init(null, tmf.getTrustManagers(), null);
        } else {
            ctx.init(null, null, null);
        }
        return ctx;
    }

    /** The explicit {@code ssl_verify: false} opt-out. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** Sets the handshake's read timeout on the layered TLS socket (the connection sets read_timeout after). */
    private static final class HandshakeTimeoutFactory extends SSLSocketFactory {
        private final SSLSocketFactory delegate;
        private final int timeoutMillis;

        HandshakeTimeoutFactory(SSLSocketFactory delegate, int timeoutMillis) {
            this.delegate = delegate;
            this.timeoutMillis = timeoutMillis;
        }

        private Socket timed(Socket s) throws IOException {
            s.setSoTimeout(timeoutMillis);
            return s;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return timed(delegate.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket() throws IOException {
            return timed(delegate.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return timed(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return timed(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return timed(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return timed(delegate.createSocket(address, port, localAddress, localPort));
        }
    }
}
