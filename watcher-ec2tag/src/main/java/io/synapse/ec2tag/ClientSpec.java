package io.synapse.ec2tag;

import java.net.URI;

import static java.util.Objects.requireNonNull;

/**
 * Where and as whom DescribeInstances is called: part of the key that decides which watchers
 * share a poller.
 *
 * @param region the AWS region
 * @param endpoint an endpoint override, or {@code null}
 * @param keys static credentials, or {@code null} for the SDK's default provider chain
 */
record ClientSpec(String region, URI endpoint, StaticKeys keys) {
    ClientSpec {
        requireNonNull(region, "region is null");
    }

    /** An access key pair; the secret never appears in {@link #toString()}. */
    record StaticKeys(String accessKeyId, String secretAccessKey) {
        StaticKeys {
            requireNonNull(accessKeyId, "accessKeyId is null");
            requireNonNull(secretAccessKey, "secretAccessKey is null");
        }

        @Override
        public String toString() {
            return "StaticKeys[accessKeyId=" + accessKeyId + ", secretAccessKey=<redacted>]";
        }
    }

    /** For log lines: the region, and the endpoint when overridden. Credentials are left out. */
    String describe() {
        return endpoint == null ? region : region + " via " + endpoint;
    }
}
