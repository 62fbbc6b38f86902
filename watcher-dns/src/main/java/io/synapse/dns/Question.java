package io.synapse.dns;

import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import static java.util.Objects.requireNonNull;

/** One name and record type (A, AAAA or SRV), class IN: what one query asks. */
record Question(Name name, int type) {
    Question {
        requireNonNull(name, "name is null");
        if (!name.isAbsolute()) {
            throw new IllegalArgumentException("name " + name + " is not absolute");
        }
    }

    static Question of(String name, int type) {
        return new Question(absolute(name), type);
    }

    /** The absolute name for a configured one ({@code api.dev.kw} and {@code api.dev.kw.} are the same name). */
    static Name absolute(String name) {
        try {
            return Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** {@code _grounduser._tcp.dev.kw/SRV}: for log lines. */
    String describe() {
        return text(name) + "/" + Type.string(type);
    }

    /** A name without its final dot: {@code host1.dev.kw}. */
    static String text(Name name) {
        String s = name.toString(true);
        return s.isEmpty() ? "." : s;
    }

    @Override
    public String toString() {
        return describe();
    }
}
