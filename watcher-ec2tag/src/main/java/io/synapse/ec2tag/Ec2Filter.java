package io.synapse.ec2tag;

import java.util.List;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/** One EC2 filter: a name and the values it accepts (kept sorted and distinct, so equal filters are equal). */
record Ec2Filter(String name, List<String> values) implements Comparable<Ec2Filter> {
    /** The filter every poll adds: running instances only. */
    static final Ec2Filter RUNNING = of("instance-state-name", "running");

    Ec2Filter {
        requireNonNull(name, "name is null");
        values = List.copyOf(new TreeSet<>(requireNonNull(values, "values is null")));
    }

    static Ec2Filter of(String name, String... values) {
        return new Ec2Filter(name, List.of(values));
    }

    software.amazon.awssdk.services.ec2.model.Filter toSdk() {
        return software.amazon.awssdk.services.ec2.model.Filter.builder().name(name).values(values).build();
    }

    @Override
    public int compareTo(Ec2Filter other) {
        return name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return name + "=" + String.join(",", values);
    }
}
