package io.synapse.common.aws;

import io.synapse.common.config.ConfigProblems;
import io.synapse.common.registry.RegistryValues;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.regions.Region;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Where and as whom an AWS API is called, as the Ruby Synapse's keys say it: {@code aws_region}
 * (else {@code AWS_REGION} / {@code AWS_DEFAULT_REGION}), {@code aws_access_key_id} and {@code
 * aws_secret_access_key} (else the SDK's default provider chain), and our {@code endpoint}
 * override (S3-compatible stores, emulators). A value: equal accesses may share one client.
 *
 * <p>Only {@link #configure} touches the AWS SDK, which is an optional dependency of
 * synapse-common: a module using it brings the SDK client it needs.
 *
 * @param region the AWS region
 * @param endpoint an endpoint override, or {@code null}
 * @param keys static credentials, or {@code null} for the SDK's default provider chain
 */
public record AwsAccess(String region, URI endpoint, StaticKeys keys) {
    private static final Pattern REGION = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    public AwsAccess {
        requireNonNull(region, "region is null");
    }

    /** An access key pair; the secret never appears in {@link #toString()}. */
    public record StaticKeys(String accessKeyId, String secretAccessKey) {
        public StaticKeys {
            requireNonNull(accessKeyId, "accessKeyId is null");
            requireNonNull(secretAccessKey, "secretAccessKey is null");
        }

        @Override
        public String toString() {
            return "StaticKeys[accessKeyId=" + accessKeyId + ", secretAccessKey=<redacted>]";
        }
    }

    /**
     * Checks the keys and returns the access, or null when there were problems (each reported at
     * its key: {@code aws_region}, {@code aws_access_key_id}, {@code aws_secret_access_key},
     * {@code endpoint}).
     */
    public static AwsAccess of(String region, String accessKeyId, String secretAccessKey, String endpoint,
            Function<String, String> env, ConfigProblems problems) {
        requireNonNull(env, "env is null");
        requireNonNull(problems, "problems is null");
        int before = problems.size();
        String r = region;
        if (r == null) {
            r = regionFromEnv(env);
            if (r == null) {
                problems.add("aws_region", "required (or set the AWS_REGION or AWS_DEFAULT_REGION environment variable)");
            }
        }
        if (r != null && !REGION.matcher(r).matches()) {
            problems.add("aws_region", "expected a region name like us-east-1, got " + RegistryValues.quote(r));
        }
        boolean hasId = accessKeyId != null;
        boolean hasSecret = secretAccessKey != null;
        if (hasId && accessKeyId.isBlank()) {
            problems.add("aws_access_key_id", "must not be empty");
        }
        if (hasSecret && secretAccessKey.isEmpty()) {
            problems.add("aws_secret_access_key", "must not be empty");
        }
        if (hasId && !hasSecret) {
            problems.add("aws_secret_access_key", "required when aws_access_key_id is set");
        }
        if (hasSecret && !hasId) {
            problems.add("aws_access_key_id", "required when aws_secret_access_key is set");
        }
        URI uri = null;
        if (endpoint != null) {
            uri = endpointUri(endpoint);
            if (uri == null) {
                problems.add("endpoint", "expected an http or https URL, got " + RegistryValues.quote(endpoint));
            }
        }
        if (problems.size() > before) {
            return null;
        }
        return new AwsAccess(r, uri, hasId ? new StaticKeys(accessKeyId, secretAccessKey) : null);
    }

    private static String regionFromEnv(Function<String, String> env) {
        for (String variable : List.of("AWS_REGION", "AWS_DEFAULT_REGION")) {
            String value = env.apply(variable);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        return null;
    }

    private static URI endpointUri(String text) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && uri.getUserInfo() == null) {
                return uri;
            }
            return null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** The static keys, or the SDK's default chain (environment, profile, instance role...). */
    public AwsCredentialsProvider credentialsProvider() {
        return Sdk.credentialsProvider(this);
    }

    /** Sets region, credentials and the endpoint override on an SDK client builder. */
    public <B extends AwsClientBuilder<B, ?>> B configure(B builder) {
        return Sdk.configure(this, builder);
    }

    /**
     * What touches the SDK, apart, so that reading and checking a config (this record's own
     * methods) loads no AWS class: the JVM verifies a class's methods when it loads it, and these
     * make it load the SDK's credential types.
     */
    private static final class Sdk {
        static AwsCredentialsProvider credentialsProvider(AwsAccess access) {
            return access.keys() == null
                    ? DefaultCredentialsProvider.create()
                    : StaticCredentialsProvider.create(AwsBasicCredentials.create(access.keys().accessKeyId(),
                            access.keys().secretAccessKey()));
        }

        static <B extends AwsClientBuilder<B, ?>> B configure(AwsAccess access, B builder) {
            builder.region(Region.of(access.region())).credentialsProvider(credentialsProvider(access));
            if (access.endpoint() != null) {
                builder.endpointOverride(access.endpoint());
            }
            return builder;
        }
    }

    /** For log lines: the region, and the endpoint when overridden. Credentials are left out. */
    public String describe() {
        return endpoint == null ? region : region + " via " + endpoint;
    }
}
