package io.synapse.ec2tag;

import io.synapse.common.aws.AwsAccess;
import java.util.List;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Watchers with equal keys (same region, endpoint, credentials and filters) share one poller and
 * so one DescribeInstances sequence per interval.
 *
 * @param client region, endpoint and credentials
 * @param filters the tag filter and the extra filters, sorted by name (the running-state filter is
 *     always added and not part of the key)
 */
record PollerKey(AwsAccess client, List<Ec2Filter> filters) {
    PollerKey {
        requireNonNull(client, "client is null");
        filters = filters.stream().sorted().toList();
    }

    /** {@code us-east-1 [tag:servicename=true]}: for log lines, without credentials. */
    String describe() {
        return client.describe() + " " + filters.stream().map(Ec2Filter::toString).collect(Collectors.joining(" ", "[", "]"));
    }

    @Override
    public String toString() {
        return describe();
    }
}
