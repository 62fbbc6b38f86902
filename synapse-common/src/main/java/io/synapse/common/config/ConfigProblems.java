package io.synapse.common.config;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Collects every problem of a configuration, each with its JSON path, so that a user sees all of
 * them at once. {@link #at(String)} gives a view that prefixes a path.
 */
public final class ConfigProblems {
    private final List<String> messages;
    // the path is joined only when a problem needs it: a large config makes a view per value
    private final ConfigProblems parent;
    private final String segment;
    private String prefix;

    public ConfigProblems() {
        this.messages = new ArrayList<>();
        this.parent = null;
        this.segment = "";
        this.prefix = "";
    }

    private ConfigProblems(String prefix) {
        this.messages = new ArrayList<>();
        this.parent = null;
        this.segment = "";
        this.prefix = prefix;
    }

    private ConfigProblems(ConfigProblems parent, String segment) {
        this.messages = parent.messages;
        this.parent = parent;
        this.segment = segment;
    }

    /** A view whose paths are relative to {@code path}; problems land in the same list. */
    public ConfigProblems at(String path) {
        requireNonNull(path, "path is null");
        return new ConfigProblems(this, path);
    }

    /**
     * A separate list for the problems under {@code path}, added to this one later with {@link
     * #addAll}: a part checked ahead of its turn (or on another thread) keeps the report's order.
     */
    public ConfigProblems fork(String path) {
        requireNonNull(path, "path is null");
        return new ConfigProblems(join(path(), path));
    }

    /** Adds the problems of {@code forked} (from {@link #fork}), in their order. */
    public void addAll(ConfigProblems forked) {
        requireNonNull(forked, "forked is null");
        messages.addAll(forked.messages);
    }

    /** Adds {@code "<prefix>.<path>: <message>"}. An empty path names the prefix itself. */
    public void add(String path, String message) {
        requireNonNull(path, "path is null");
        requireNonNull(message, "message is null");
        String full = join(path(), path);
        messages.add(full.isEmpty() ? message : full + ": " + message);
    }

    public boolean isEmpty() {
        return messages.isEmpty();
    }

    public int size() {
        return messages.size();
    }

    public List<String> messages() {
        return List.copyOf(messages);
    }

    public String path() {
        if (prefix == null) {
            prefix = join(parent.path(), segment);
        }
        return prefix;
    }

    private static String join(String a, String b) {
        if (a.isEmpty()) {
            return b;
        }
        if (b.isEmpty()) {
            return a;
        }
        return b.startsWith("[") ? a + b : a + "." + b;
    }

    @Override
    public String toString() {
        return String.join("\n", messages);
    }
}
