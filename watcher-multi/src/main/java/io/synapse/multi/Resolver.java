package io.synapse.multi;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** How a {@code multi} watcher turns its children's sets into one. */
sealed interface Resolver {
    String method();

    /** Every child's set in one list, duplicates removed; generator config from the first child that has one. */
    record Union() implements Resolver {
        @Override
        public String method() {
            return "union";
        }
    }

    /** The first child in {@code order} that is not failing and has backends wins. */
    record Sequential(List<String> order) implements Resolver {
        public Sequential {
            order = List.copyOf(requireNonNull(order, "order is null"));
        }

        @Override
        public String method() {
            return "sequential";
        }
    }

    /** A toggle file picks one child by weight ({@code s3_toggle}, {@code file_toggle}). */
    record Toggle(String method, ToggleSpec source) implements Resolver {
        public Toggle {
            requireNonNull(method, "method is null");
            requireNonNull(source, "source is null");
        }
    }
}
