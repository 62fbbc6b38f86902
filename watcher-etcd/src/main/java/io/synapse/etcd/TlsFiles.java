package io.synapse.etcd;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the client TLS context from PEM files: {@code ca_file} (one or more CA certificates),
 * {@code cert_file} (the client certificate chain) and {@code key_file}. The key may be PKCS#8
 * ({@code BEGIN PRIVATE KEY}, what OpenSSL 3 writes), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) or
 * SEC1 EC ({@code BEGIN EC PRIVATE KEY}, what cfssl writes for etcd); encrypted keys are not
 * supported. Problems are {@link TlsException}s naming the config key.
 */
final class TlsFiles {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final byte[] RSA_ALGORITHM = {
            0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private TlsFiles() {}

    /** A TLS problem; {@link #field()} is the config key it concerns ({@code ca_file}, {@code cert_file}, {@code key_file}). */
    static final class TlsException extends Exception {
        private final String field;

        TlsException(String field, String message) {
            super(message);
            this.field = field;
        }

        String field() {
            return field;
        }
    }

    /** The client context; every argument may be null (no CA file = the JVM's trust store). */
    static SslContext clientContext(String caFile, String certFile, String keyFile) throws TlsException {
        SslContextBuilder builder = GrpcSslContexts.forClient();
        if (caFile != null) {
            builder.trustManager(certificates("ca_file", caFile));
        }
        if (certFile != null && keyFile != null) {
            X509Certificate[] chain = certificates("cert_file", certFile);
            builder.keyManager(privateKey(keyFile), chain);
        }
        try {
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsException(keyFile != null ? "key_file" : "ca_file", "cannot build a TLS context: " + e.getMessage());
        }
    }

    static X509Certificate[] certificates(String field, String file) throws TlsException {
        String text = new String(read(field, file), StandardCharsets.US_ASCII);
        List<X509Certificate> certs = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (!m.group(1).equals("CERTIFICATE")) {
                continue;
            }
            try {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                certs.add((X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(der)));
            } catch (CertificateException | IllegalArgumentException e) {
                throw new TlsException(field, file + ": certificate " + (certs.size() + 1) + " is not valid (" + e.getMessage() + ")");
            }
        }
        if (certs.isEmpty()) {
            throw new TlsException(field, file + ": no PEM certificate found");
        }
        return certs.toArray(X509Certificate[]::new);
    }

    static PrivateKey privateKey(String file) throws TlsException {
        String text = new String(read("key_file", file), StandardCharsets.US_ASCII);
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
                throw new TlsException("key_file", file + ": bad base64 in the " + type + " block");
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
                        throw new TlsException("key_file", file + ": encrypted keys are not supported; "
                                + "decrypt it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
                    default:
                        throw new TlsException("key_file", file + ": unsupported key type " + type);
                }
            } catch (GeneralSecurityException e) {
                throw new TlsException("key_file", file + ": cannot read the " + type + " (" + e.getMessage() + ")");
            }
        }
        throw new TlsException("key_file", file + ": no PEM private key found");
    }

    private static PrivateKey pkcs8(byte[] der, String file) throws TlsException {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "DSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new TlsException("key_file", file + ": not an RSA, EC, Ed25519 or DSA PKCS#8 key");
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
        throw new TlsException("key_file", file + ": EC PRIVATE KEY without a named curve");
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

    private static byte[] read(String field, String file) throws TlsException {
        try {
            return Files.readAllBytes(Path.of(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new TlsException(field, file + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new TlsException(field, file + ": permission denied");
        } catch (IOException | RuntimeException e) {
            throw new TlsException(field, file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
