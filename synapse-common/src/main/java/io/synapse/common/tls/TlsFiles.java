package io.synapse.common.tls;

import io.synapse.common.config.ConfigProblems;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The PEM files of a TLS client: {@code caFile} (one or more CA certificates: whom to trust),
 * {@code certFile} (the client certificate, then its chain) and {@code keyFile} (its private key).
 * Every file is optional, but a certificate needs its key and a key its certificate. Keys may be
 * PKCS#8 ({@code BEGIN PRIVATE KEY}, what OpenSSL 3 writes), PKCS#1 RSA ({@code BEGIN RSA PRIVATE
 * KEY}) or SEC1 EC ({@code BEGIN EC PRIVATE KEY}, what cfssl writes for etcd); encrypted keys are
 * not supported. Certificates may also be DER.
 *
 * <p>{@link #load()} reads and checks everything (the key must belong to the certificate);
 * {@link #check} reports the same problems into a config's problems under the config's own key
 * names, so that {@code synapse --check} and {@code nerve -k} find a bad file before a registry
 * does.
 *
 * @param caFile PEM CA bundle, or {@code null} for the JVM's trust store
 * @param certFile PEM client certificate chain, or {@code null}
 * @param keyFile PEM private key of {@code certFile}, or {@code null}
 */
public record TlsFiles(String caFile, String certFile, String keyFile) {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final byte[] RSA_ALGORITHM = {
            0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] PROBE = "synapse: does this key belong to this certificate?".getBytes(StandardCharsets.US_ASCII);

    /** Which of the three files a problem concerns. */
    public enum Role { CA_FILE, CERT_FILE, KEY_FILE }

    /**
     * The config key names of the three files, for problem paths.
     *
     * @param caFile e.g. {@code ca_file} or {@code etcd_ca_file}
     */
    public record Keys(String caFile, String certFile, String keyFile) {
        public static final Keys PLAIN = new Keys("ca_file", "cert_file", "key_file");

        public Keys {
            requireNonNull(caFile, "caFile is null");
            requireNonNull(certFile, "certFile is null");
            requireNonNull(keyFile, "keyFile is null");
        }

        public String of(Role role) {
            return switch (role) {
                case CA_FILE -> caFile;
                case CERT_FILE -> certFile;
                case KEY_FILE -> keyFile;
            };
        }
    }

    /** A file that cannot be used; the message starts with the file's name. */
    public static final class TlsException extends Exception {
        private final Role role;

        public TlsException(Role role, String message) {
            super(message);
            this.role = requireNonNull(role, "role is null");
        }

        public Role role() {
            return role;
        }
    }

    /**
     * What the files hold, checked.
     *
     * @param trusted the CA certificates; empty when there is no CA file (use the JVM's)
     * @param chain the client certificate and its chain; empty when there is no certificate
     * @param key the private key of {@code chain[0]}, or {@code null}
     */
    public record Material(List<X509Certificate> trusted, List<X509Certificate> chain, PrivateKey key) {
        public Material {
            trusted = List.copyOf(trusted);
            chain = List.copyOf(chain);
        }
    }

    public TlsFiles {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("a certificate file and a key file go together");
        }
    }

    /** No files at all. */
    public static final TlsFiles NONE = new TlsFiles(null, null, null);

    public boolean isEmpty() {
        return caFile == null && certFile == null;
    }

    /** Reads every file and checks that the key belongs to the certificate. */
    public Material load() throws TlsException {
        List<X509Certificate> trusted = caFile == null ? List.of() : certificates(Role.CA_FILE, caFile);
        if (certFile == null) {
            return new Material(trusted, List.of(), null);
        }
        List<X509Certificate> chain = certificates(Role.CERT_FILE, certFile);
        PrivateKey key = privateKey(keyFile);
        if (!belongTogether(key, chain.get(0).getPublicKey())) {
            throw new TlsException(Role.KEY_FILE, keyFile + ": not the private key of the certificate in " + certFile);
        }
        return new Material(trusted, chain, key);
    }

    /**
     * A JDK TLS client context from the files: the CA bundle as the only trust anchors (the JVM's
     * trust store when there is none), the certificate and key as the client identity.
     */
    public javax.net.ssl.SSLContext sslContext() throws TlsException {
        Material m = load();
        char[] password = "synapse".toCharArray();
        try {
            javax.net.ssl.KeyManagerFactory keys = null;
            if (m.key() != null) {
                java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
                store.load(null);
                store.setKeyEntry("client", m.key(), password, m.chain().toArray(java.security.cert.Certificate[]::new));
                keys = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, password);
            }
            javax.net.ssl.TrustManagerFactory trust = null;
            if (!m.trusted().isEmpty()) {
                java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
                store.load(null);
                for (int i = 0; i < m.trusted().size(); i++) {
                    store.setCertificateEntry("ca-" + i, m.trusted().get(i));
                }
                trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                trust.init(store);
            }
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new TlsException(m.key() != null ? Role.KEY_FILE : Role.CA_FILE, "cannot build a TLS context: " + e.getMessage());
        }
    }

    /**
     * Reports every problem of the files into {@code problems} (positioned at the section that
     * holds the keys), under the key of the file concerned. Returns whether all is well.
     */
    public boolean check(ConfigProblems problems, Keys keys) {
        requireNonNull(problems, "problems is null");
        requireNonNull(keys, "keys is null");
        int before = problems.size();
        if (caFile != null) {
            try {
                certificates(Role.CA_FILE, caFile);
            } catch (TlsException e) {
                problems.add(keys.of(e.role()), e.getMessage());
            }
        }
        if (certFile != null) {
            List<X509Certificate> chain = null;
            PrivateKey key = null;
            try {
                chain = certificates(Role.CERT_FILE, certFile);
            } catch (TlsException e) {
                problems.add(keys.of(e.role()), e.getMessage());
            }
            try {
                key = privateKey(keyFile);
            } catch (TlsException e) {
                problems.add(keys.of(e.role()), e.getMessage());
            }
            if (chain != null && key != null && !belongTogether(key, chain.get(0).getPublicKey())) {
                problems.add(keys.keyFile(), keyFile + ": not the private key of the certificate in " + certFile);
            }
        }
        return problems.size() == before;
    }

    /** The certificates of a PEM (or DER) file, in file order; at least one. */
    public static List<X509Certificate> certificates(Role role, String file) throws TlsException {
        requireNonNull(role, "role is null");
        byte[] bytes = read(role, file);
        String text = new String(bytes, StandardCharsets.US_ASCII);
        List<X509Certificate> certs = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (!m.group(1).equals("CERTIFICATE")) {
                continue;
            }
            try {
                certs.add(certificate(Base64.getMimeDecoder().decode(m.group(2))));
            } catch (CertificateException | IllegalArgumentException e) {
                throw new TlsException(role, file + ": certificate " + (certs.size() + 1) + " is not valid (" + e.getMessage() + ")");
            }
        }
        if (certs.isEmpty() && bytes.length > 0 && bytes[0] == 0x30) {
            try {
                certs.add(certificate(bytes));
            } catch (CertificateException e) {
                // not DER either
            }
        }
        if (certs.isEmpty()) {
            throw new TlsException(role, file + ": no PEM certificate found");
        }
        return List.copyOf(certs);
    }

    private static X509Certificate certificate(byte[] der) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    /** The first private key of a PEM file: PKCS#8, PKCS#1 RSA or SEC1 EC. */
    public static PrivateKey privateKey(String file) throws TlsException {
        String text = new String(read(Role.KEY_FILE, file), StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (!type.endsWith("PRIVATE KEY")) {
                continue;
            }
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new TlsException(Role.KEY_FILE, file + ": bad base64 in the " + type + " block");
            }
            try {
                switch (type) {
                    case "PRIVATE KEY":
                        return pkcs8(der, file);
                    case "RSA PRIVATE KEY":
                        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                                sequence(integerZero(), RSA_ALGORITHM, octetString(der))));
                    case "EC PRIVATE KEY":
                        byte[] algorithm = tlv(0x30, concat(EC_PUBLIC_KEY_OID, ecCurve(der, file)));
                        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                                sequence(integerZero(), algorithm, octetString(der))));
                    case "ENCRYPTED PRIVATE KEY":
                        throw new TlsException(Role.KEY_FILE, file + ": encrypted keys are not supported; "
                                + "decrypt it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
                    default:
                        throw new TlsException(Role.KEY_FILE, file + ": unsupported key type " + type);
                }
            } catch (GeneralSecurityException e) {
                throw new TlsException(Role.KEY_FILE, file + ": cannot read the " + type + " (" + e.getMessage() + ")");
            }
        }
        throw new TlsException(Role.KEY_FILE, file + ": no PEM private key found");
    }

    /** Whether {@code key} signs what {@code publicKey} verifies. */
    static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(PROBE);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static PrivateKey pkcs8(byte[] der, String file) throws TlsException {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "DSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new TlsException(Role.KEY_FILE, file + ": not an RSA, EC, Ed25519 or DSA PKCS#8 key");
    }

    /** The named-curve OID (a full TLV) from a SEC1 ECPrivateKey's {@code [0] parameters}. */
    private static byte[] ecCurve(byte[] sec1, String file) throws TlsException {
        try {
            int[] seq = header(sec1, 0);
            if (sec1[0] != 0x30) {
                throw new IllegalArgumentException();
            }
            int pos = seq[0];
            int end = seq[0] + seq[1];
            while (pos < end) {
                int tag = sec1[pos] & 0xff;
                int[] h = header(sec1, pos);
                if (tag == 0xa0) {
                    byte[] oid = new byte[h[1]];
                    System.arraycopy(sec1, h[0], oid, 0, h[1]);
                    return oid;
                }
                pos = h[0] + h[1];
            }
        } catch (RuntimeException e) {
            // fall through
        }
        throw new TlsException(Role.KEY_FILE, file + ": EC PRIVATE KEY without a named curve");
    }

    /** {@code [contentStart, contentLength]} of the DER element at {@code pos}. */
    private static int[] header(byte[] der, int pos) {
        int len = der[pos + 1] & 0xff;
        int start = pos + 2;
        if (len >= 0x80) {
            int n = len & 0x7f;
            if (n < 1 || n > 3) {
                throw new IllegalArgumentException("bad DER length");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[start + i] & 0xff);
            }
            start += n;
        }
        if (start + len > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        return new int[] {start, len};
    }

    private static byte[] integerZero() {
        return new byte[] {0x02, 0x01, 0x00};
    }

    private static byte[] octetString(byte[] content) {
        return tlv(0x04, content);
    }

    private static byte[] sequence(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len & 0xff);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write((len >> 8) & 0xff);
            out.write(len & 0xff);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] read(Role role, String file) throws TlsException {
        requireNonNull(file, "file is null");
        try {
            return Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new TlsException(role, file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new TlsException(role, file + ": permission denied");
        } catch (IOException | RuntimeException e) {
            throw new TlsException(role, file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
