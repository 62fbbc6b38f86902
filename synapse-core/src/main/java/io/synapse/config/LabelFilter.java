package io.synapse.config;

import io.synapse.spi.Backend;

import static java.util.Objects.requireNonNull;

/** {@code {label, value, condition}}: a backend passes when its label equals (or not) the value. */
public record LabelFilter(String label, String value, boolean equals) {
    public LabelFilter {
        requireNonNull(label, "label is null");
    }

    /** A missing label is null: {@code equals null} matches it, {@code not-equals "x"} passes it. */
    public boolean test(Backend backend) {
        String actual = backend.labels().get(label);
        boolean same = actual == null ? value == null : actual.equals(value);
        return equals == same;
    }
}
