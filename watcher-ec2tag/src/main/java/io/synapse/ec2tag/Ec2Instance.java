package io.synapse.ec2tag;

import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What the watchers need of one running instance, straight from DescribeInstances (unchecked:
 * every value came from the network). Absent values are {@code null}.
 */
record Ec2Instance(
        String instanceId,
        String privateIp,
        String publicIp,
        String privateDns,
        String publicDns,
        Map<String, String> tags) {

    Ec2Instance {
        requireNonNull(instanceId, "instanceId is null");
        tags = tags == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(tags));
    }

    static Ec2Instance from(Instance instance) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (instance.hasTags()) {
            for (Tag tag : instance.tags()) {
                if (tag.key() != null) {
                    tags.putIfAbsent(tag.key(), tag.value() == null ? "" : tag.value());
                }
            }
        }
        return new Ec2Instance(
                instance.instanceId(),
                blankToNull(instance.privateIpAddress()),
                blankToNull(instance.publicIpAddress()),
                blankToNull(instance.privateDnsName()),
                blankToNull(instance.publicDnsName()),
                tags);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
