package io.synapse.docker;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The client TLS context for a TCP Docker engine from PEM files ({@code tls: {ca, cert, key}}):
 * certificates read by the JDK, keys by Bouncy Castle's PEM parser (PKCS#8, PKCS#1 RSA and SEC1 EC),
 * converted with the JDK's own key factories (no security provider is registered). Problems are
 * {@link TlsException}s naming the key ({@code ca}, {@code cert}, {@code key}).
 */
final class TlsFiles {
    private static final char[] KEYSTORE_PASSWORD = "docker".toCharArray();

    private TlsFiles() {}

    static final class TlsException extends Exception {
        private final String field;

        TlsException(String field, String message) {
            super(message);
            this.field = field;
        }

        /** {@code ca}, {@code cert} or {@code key}. */
        String field() {
            return field;
        }
    }

    /** Builds the context; reads and checks every file. */
    static SSLContext context(DockerConfig.Tls tls) throws TlsException {
        try {
            KeyManagerFactory keys = null;
            if (tls.cert() != null && tls.key() != null) {
                String certPem = read("cert", tls.cert());
                String keyPem = read("key", tls.key());
                List<Certificate> chain = certificates("cert", tls.cert(), certPem);
                PrivateKey key = privateKey(tls.key(), keyPem);
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null);
                store.setKeyEntry("docker", key, KEYSTORE_PASSWORD, chain.toArray(Certificate[]::new));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, KEYSTORE_PASSWORD);
            }
            TrustManagerFactory trust = null;
            if (tls.ca() != null) {
                List<Certificate> cas = certificates("ca", tls.ca(), read("ca", tls.ca()));
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null);
                for (int i = 0; i < cas.size(); i++) {
                    store.setCertificateEntry("ca-" + i, cas.get(i));
                }
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(store);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsException(tls.key() != null ? "key" : "ca", "cannot build a TLS context: " + e.getMessage());
        }
    }

    private static List<Certificate> certificates(String field, String file, String pem) throws TlsException {
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw new TlsException(field, file + ": no PEM certificate found");
        }
        try {
            List<Certificate> certs = new ArrayList<>(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
            if (certs.isEmpty()) {
                throw new TlsException(field, file + ": no PEM certificate found");
            }
            return certs;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new TlsException(field, file + ": not a valid PEM certificate (" + e.getMessage() + ")");
        }
    }

    private static PrivateKey privateKey(String file, String pem) throws TlsException {
        if (pem.contains("ENCRYPTED")) {
            throw new TlsException("key", file + ": encrypted keys are not supported; decrypt it with: "
                    + "openssl pkey -in KEY -out KEY.plain");
        }
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new TlsException("key", file + ": not a valid PEM private key (" + e.getMessage() + ")");
        }
        throw new TlsException("key", file + ": no PEM private key found");
    }

    private static String read(String field, String file) throws TlsException {
        try {
            return Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new TlsException(field, file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new TlsException(field, file + ": permission denied");
        } catch (IOException | RuntimeException e) {
            throw new TlsException(field, file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
