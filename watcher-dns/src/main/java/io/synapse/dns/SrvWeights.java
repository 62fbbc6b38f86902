package io.synapse.dns;

/**
 * SRV weights (0-65535, relative within one name and priority, RFC 2782) to HAProxy weights
 * (1-256): the largest weight of the group becomes 256 and the others keep their ratio to it,
 * rounded, never below 1. So 10/20/60 become 43/85/256, and weight 0 becomes 1: still used, but
 * rarely when the others weigh more, as RFC 2782 asks. When every weight of a group is 0, each gets
 * 1 (equal shares). A fixed scale of 0-65535 onto 1-256 would make the usual small weights (10,
 * 20, 60) all equal.
 */
final class SrvWeights {
    static final int HAPROXY_MAX = 256;

    private SrvWeights() {}

    /** The HAProxy weight of an SRV record of weight {@code weight} in a group whose largest is {@code groupMax}. */
    static int haproxyWeight(int weight, int groupMax) {
        if (weight < 0 || weight > 65535 || groupMax < weight || groupMax > 65535) {
            throw new IllegalArgumentException("weight " + weight + " of a group up to " + groupMax + ": expected 0 <= weight <= max <= 65535");
        }
        if (groupMax == 0) {
            return 1;
        }
        return (int) Math.max(1, Math.round((double) HAPROXY_MAX * weight / groupMax));
    }
}
