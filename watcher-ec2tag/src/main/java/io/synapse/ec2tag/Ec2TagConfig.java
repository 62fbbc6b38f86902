package io.synapse.ec2tag;

import java.util.List;
import java.util.Map;

/**
 * The {@code discovery} section of an {@code ec2tag} service, as bound by the core (snake_case
 * keys, unknown keys are errors, absent keys are {@code null}). Defaults and checks live in {@link
 * Ec2TagWatcherFactory}.
 *
 * @param tagName the tag every instance of the service carries (required)
 * @param tagValue the value of that tag (required)
 * @param awsRegion the region; falls back to {@code AWS_REGION}, then {@code AWS_DEFAULT_REGION}
 * @param awsAccessKeyId with {@code awsSecretAccessKey}: static credentials; both absent: the SDK's
 *     default provider chain (environment, profile, container, instance profile)
 * @param awsSecretAccessKey never logged, never in {@link #toString()}
 * @param checkInterval seconds between DescribeInstances calls (default 15, at least 0.1)
 * @param endpoint an endpoint override ({@code https://ec2.eu-west-1.amazonaws.com}, a VPC endpoint,
 *     a test emulator)
 * @param address which address becomes the backend host: {@code private_ip} (default), {@code
 *     public_ip}, {@code private_dns}, {@code public_dns}
 * @param filters extra EC2 filters, filter name to its accepted values, for example {@code
 *     {"instance-type": ["m5.large"], "tag:env": ["prod", "staging"]}}; all must hold (EC2 ANDs
 *     filters and ORs the values of one filter)
 * @param portTag the tag holding each instance's port; an instance without a valid one is skipped
 * @param port a fixed port for every backend (exclusive with {@code portTag}); with neither, the
 *     backends carry the placeholder port 65535 that the service's {@code backend_port_override}
 *     replaces
 * @param serverName the backend name: {@code instance_id} (default) or {@code name_tag} (the
 *     instance's {@code Name} tag, falling back to its id)
 */
public record Ec2TagConfig(
        String tagName,
        String tagValue,
        String awsRegion,
        String awsAccessKeyId,
        String awsSecretAccessKey,
        Double checkInterval,
        String endpoint,
        String address,
        Map<String, List<String>> filters,
        String portTag,
        Integer port,
        String serverName) {

    /** Like the record's own, but the secret key is redacted. */
    @Override
    public String toString() {
        return "Ec2TagConfig[tagName=" + tagName
                + ", tagValue=" + tagValue
                + ", awsRegion=" + awsRegion
                + ", awsAccessKeyId=" + awsAccessKeyId
                + ", awsSecretAccessKey=" + (awsSecretAccessKey == null ? "null" : "<redacted>")
                + ", checkInterval=" + checkInterval
                + ", endpoint=" + endpoint
                + ", address=" + address
                + ", filters=" + filters
                + ", portTag=" + portTag
                + ", port=" + port
                + ", serverName=" + serverName + "]";
    }
}
