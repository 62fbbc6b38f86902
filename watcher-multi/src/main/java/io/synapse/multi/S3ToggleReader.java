package io.synapse.multi;

import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * Reads a toggle object with GetObject (AWS SDK v2), sending the last ETag as {@code If-None-Match}
 * so that an unchanged object costs a 304 and no body. The SDK does not retry: the poller's own
 * backoff decides when to ask again (a throttled 503 SlowDown included).
 */
final class S3ToggleReader implements ToggleReader {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);
    private static final long MAX_BYTES = 64 * 1024;

    private final ToggleSpec.S3 spec;
    private final SdkHttpClient httpClient;
    private final S3Client client;

    S3ToggleReader(ToggleSpec.S3 spec) {
        this.spec = requireNonNull(spec, "spec is null");
        this.httpClient = UrlConnectionHttpClient.builder().connectionTimeout(CONNECT_TIMEOUT).socketTimeout(SOCKET_TIMEOUT).build();
        try {
            this.client = buildClient(spec, httpClient);
        } catch (RuntimeException e) {
            httpClient.close();
            throw e;
        }
    }

    private static S3Client buildClient(ToggleSpec.S3 spec, SdkHttpClient httpClient) {
        S3ClientBuilder builder = spec.access().configure(S3Client.builder())
                .httpClient(httpClient)
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(CALL_TIMEOUT));
        if (spec.access().endpoint() != null) {
            // S3-compatible stores and emulators are addressed by path, not by bucket host name
            builder.forcePathStyle(true);
        }
        return builder.build();
    }

    @Override
    public Fetched read(String etag) throws ToggleReadException {
        ResponseBytes<GetObjectResponse> response;
        try {
            response = client.getObjectAsBytes(b -> b.bucket(spec.bucket()).key(spec.key()).ifNoneMatch(etag));
        } catch (S3Exception e) {
            if (e.statusCode() == 304) {
                return null;
            }
            throw new ToggleReadException(describe(e), e);
        } catch (SdkException e) {
            throw new ToggleReadException("cannot reach S3: " + e.getMessage(), e);
        }
        if (response.asByteArrayUnsafe().length > MAX_BYTES) {
            throw new ToggleReadException("larger than " + MAX_BYTES + " bytes", null);
        }
        return new Fetched(response.asUtf8String(), response.response().eTag());
    }

    /** {@code access denied (403 AccessDenied: Access Denied)}. */
    static String describe(S3Exception e) {
        AwsErrorDetails details = e.awsErrorDetails();
        String code = details == null ? null : details.errorCode();
        String message = details == null ? null : details.errorMessage();
        String what = switch (e.statusCode()) {
            case 403 -> "access denied";
            case 404 -> "no such bucket or object";
            case 429, 503 -> "throttled";
            default -> e.statusCode() >= 500 ? "S3 error" : "request refused";
        };
        StringBuilder out = new StringBuilder(what).append(" (").append(e.statusCode());
        if (code != null && !code.isEmpty()) {
            out.append(' ').append(code);
        }
        if (message != null && !message.isEmpty()) {
            out.append(": ").append(message);
        }
        return out.append(')').toString();
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            httpClient.close();
        }
    }
}
