package io.synapse.templates;

import com.github.mustachejava.Binding;
import com.github.mustachejava.Code;
import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.DefaultMustacheVisitor;
import com.github.mustachejava.Iteration;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheException;
import com.github.mustachejava.MustacheVisitor;
import com.github.mustachejava.TemplateContext;
import com.github.mustachejava.codes.IterableCode;
import com.github.mustachejava.codes.NotIterableCode;
import com.github.mustachejava.codes.ValueCode;
import com.github.mustachejava.reflect.AbstractObjectHandler;
import com.github.mustachejava.util.Wrapper;
import io.synapse.common.config.DidYouMean;
import io.synapse.templates.Model.Kind;
import io.synapse.templates.Model.Scope;
import io.synapse.templates.Model.Type;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A compiled, checked Mustache template over the {@link Model}.
 *
 * <p>Strict: every name is checked against the model when the template is compiled (an unknown
 * name, a list used as a value, a partial: each reported with file and line), and at render time
 * a name that does not resolve fails the render instead of rendering as nothing. The one
 * exception is a label: {@code labels.zone} of a backend without that label is nothing.
 *
 * <p>Incremental: a {@code {{#services}}...{{/services}}} section at the top level whose body only
 * uses the service it is rendering (not {@code services} again) is rendered per service, so a
 * caller can cache each service's part; every other part is rendered whole.
 */
final class Template {
    /** How {@code {{name}}} writes a value ({@code {{{name}}}} always writes it as is). */
    enum Escape {
        NONE, JSON;

        static Escape parse(String s) {
            return switch (s) {
                case "none" -> NONE;
                case "json" -> JSON;
                default -> null;
            };
        }
    }

    /** A top-level piece of the template: rendered whole, or per service. */
    sealed interface Part permits Whole, PerService {}

    record Whole(Code code) implements Part {}

    /**
     * A top-level {@code {{#services}}} section rendered one service at a time; {@code tail} is the
     * text that follows its closing tag.
     */
    record PerService(IterableCode code, String tail) implements Part {}

    private final String file;
    private final MustacheSource source;
    private final List<Part> parts;

    private Template(String file, MustacheSource source, List<Part> parts) {
        this.file = file;
        this.source = source;
        this.parts = List.copyOf(parts);
    }

    String file() {
        return file;
    }

    /** The same template rendered whole on every update (no per-service caching): for comparisons. */
    static Template wholeOnly(Template t) {
        List<Part> parts = new ArrayList<>();
        for (Part p : t.parts) {
            parts.add(p instanceof PerService ps ? new Whole(ps.code()) : p);
        }
        return new Template(t.file, t.source, parts);
    }

    List<Part> parts() {
        return parts;
    }

    /**
     * Compiles and checks {@code text}; every problem is added to {@code problems} as {@code
     * file:line: message}, and {@code null} is returned when there was one.
     */
    static Template compile(String file, String text, Escape escape, List<String> problems) {
        requireNonNull(file, "file is null");
        requireNonNull(text, "text is null");
        int nul = text.indexOf(MustacheSource.MARK);
        if (nul >= 0) {
            problems.add(file + ":" + (1 + text.substring(0, nul).chars().filter(c -> c == '\n').count()) + ": a NUL character");
            return null;
        }
        MustacheSource source = MustacheSource.of(text);
        StrictHandler handler = new StrictHandler();
        Factory factory = new Factory(handler, escape);
        Mustache mustache;
        try {
            mustache = factory.compile(new StringReader(source.text()), file);
        } catch (MustacheException e) {
            problems.add(describe(file, source, e));
            return null;
        }
        List<Problem> found = new ArrayList<>();
        Checker checker = new Checker(handler.contexts, source, found);
        List<Part> parts = new ArrayList<>();
        List<Type> stack = new ArrayList<>(List.of(Model.ROOT));
        for (Code code : mustache.getCodes()) {
            if (code instanceof IterableCode ic && !(code instanceof NotIterableCode) && "services".equals(code.getName())) {
                checker.rootUsed = false;
                checker.check(code, stack);
                if (!checker.rootUsed) {
                    parts.add(new PerService(ic, tailOf(ic)));
                    continue;
                }
            } else {
                checker.check(code, stack);
            }
            parts.add(new Whole(code));
        }
        if (!found.isEmpty()) {
            found.stream().sorted(Comparator.comparingInt(Problem::line))
                    .forEach(p -> problems.add(file + ":" + p.line() + ": " + p.message()));
            return null;
        }
        return new Template(file, source, parts);
    }

    /** The text after a section's closing tag: what the section renders for no services. */
    private static String tailOf(IterableCode code) {
        StringBuilderWriter out = new StringBuilderWriter(64);
        List<Object> scopes = new ArrayList<>();
        scopes.add(new Model.Root(List.of()));
        code.execute(out, scopes);
        return out.toString();
    }

    /** The message of a render failure: {@code file:line: message}. */
    String describe(MustacheException e) {
        return describe(file, source, e);
    }

    /** The message of a compile or render failure: {@code file:line: message}. */
    static String describe(String file, MustacheSource source, MustacheException e) {
        MustacheException m = e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TemplateError te) {
                m = te;
                break;
            }
        }
        String message = m instanceof TemplateError te ? te.bareMessage() : bare(m);
        TemplateContext tc = m.getContext();
        if (tc == null && m != e) {
            tc = e.getContext();
        }
        return tc == null ? file + ": " + message : file + ":" + source.line(tc.line()) + ": " + message;
    }

    /** Mustache.java's message without its {@code " @[file:line]"} and {@code " in file:line"} tails. */
    private static String bare(MustacheException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        TemplateContext tc = e.getContext();
        if (tc != null) {
            String at = " @" + tc;
            if (message.endsWith(at)) {
                message = message.substring(0, message.length() - at.length());
            }
            String in = " in " + tc.file() + ":" + tc.line();
            if (message.endsWith(in)) {
                message = message.substring(0, message.length() - in.length());
            }
        }
        if (e instanceof com.github.mustachejava.MustacheNotFoundException) {
            return message;
        }
        return message.isEmpty() ? message : Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }

    // ---------------------------------------------------------------- static check

    private record Problem(int line, String message) {}

    private static final class Checker {
        private final Map<Code, TemplateContext> contexts;
        private final MustacheSource source;
        private final List<Problem> problems;
        boolean rootUsed;

        Checker(Map<Code, TemplateContext> contexts, MustacheSource source, List<Problem> problems) {
            this.contexts = contexts;
            this.source = source;
            this.problems = problems;
        }

        void check(Code code, List<Type> stack) {
            boolean section = code instanceof IterableCode;
            boolean value = code instanceof ValueCode;
            if (!section && !value) {
                return; // text, comments
            }
            TemplateContext tc = contexts.get(code);
            int line = tc == null ? 0 : source.line(tc.line());
            String name = code.getName();
            Type type = resolve(name, stack, section ? (code instanceof NotIterableCode ? "inverted section" : "section") : "name", line);
            if (type == null) {
                return;
            }
            if (value) {
                if (!type.scalar()) {
                    problems.add(new Problem(line, "\"" + name + "\" is " + type.description() + ", not a value: "
                            + (type.kind() == Kind.LIST
                                    ? "iterate it with {{#" + name + "}}...{{/" + name + "}}"
                                    : "name one of its fields (" + fieldsOf(type, name) + ")")));
                }
                return;
            }
            Code[] body = code.getCodes();
            if (body == null) {
                return;
            }
            List<Type> inner = stack;
            if (!(code instanceof NotIterableCode)) {
                inner = new ArrayList<>(stack);
                inner.add(type.kind() == Kind.LIST ? type.element() : type);
            }
            for (Code c : body) {
                check(c, inner);
            }
        }

        private static String fieldsOf(Type type, String name) {
            if (type.kind() == Kind.LABELS) {
                return "{{" + name + ".KEY}}, or {{#label_list}}{{key}}={{value}}{{/label_list}}";
            }
            return "{{" + name + "." + String.join("}}, {{" + name + ".", type.fields().keySet()) + "}}";
        }

        /** The type of {@code name} seen from {@code stack} (innermost last), or null after reporting why. */
        private Type resolve(String name, List<Type> stack, String what, int line) {
            if (".".equals(name)) {
                Type top = stack.get(stack.size() - 1);
                if (!top.scalar()) {
                    problems.add(new Problem(line, "{{.}} is " + top.description() + " here, not a value: name one of its fields"));
                    return null;
                }
                return top;
            }
            String[] path = name.split("\\.", -1);
            Type type = null;
            boolean inLabels = false;
            for (int i = stack.size() - 1; i >= 0; i--) {
                Type scope = stack.get(i);
                if (scope.kind() == Kind.LABELS) {
                    inLabels = true;
                    continue;
                }
                Type t = scope.field(path[0]);
                if (t != null) {
                    type = t;
                    if (i == 0 && stack.size() > 1) {
                        rootUsed = true;
                    }
                    break;
                }
            }
            if (type == null) {
                if (inLabels) {
                    type = Model.TEXT; // a label of the enclosing {{#labels}}
                } else {
                    Set<String> known = new LinkedHashSet<>();
                    for (int i = stack.size() - 1; i >= 0; i--) {
                        if (stack.get(i).fields() != null) {
                            known.addAll(stack.get(i).fields().keySet());
                        }
                    }
                    String suggestion = DidYouMean.suggest(path[0], known);
                    problems.add(new Problem(line, "unknown " + what + " \"" + name + "\""
                            + (suggestion.isEmpty() ? "; known here: " + String.join(", ", known) : suggestion)));
                    return null;
                }
            }
            for (int k = 1; k < path.length; k++) {
                Type next = type.field(path[k]);
                if (next == null) {
                    String suggestion = type.fields() == null ? "" : DidYouMean.suggest(path[k], type.fields().keySet());
                    problems.add(new Problem(line, "unknown " + what + " \"" + name + "\": "
                            + String.join(".", java.util.Arrays.copyOf(path, k)) + " is " + type.description()
                            + (type.fields() == null ? ", which has no fields"
                                    : suggestion.isEmpty() ? " with the fields " + String.join(", ", type.fields().keySet()) : suggestion)));
                    return null;
                }
                type = next;
            }
            return type;
        }
    }

    // ---------------------------------------------------------------- Mustache.java plumbing

    /** A render-time failure of a name: carries where in the template. */
    static final class TemplateError extends MustacheException {
        private final String bare;

        TemplateError(String message, TemplateContext tc) {
            super(message, tc);
            this.bare = message;
        }

        String bareMessage() {
            return bare;
        }
    }

    /** Mustache.java factory: our object handler, our escaping, no partials or inheritance. */
    private static final class Factory extends DefaultMustacheFactory {
        private final Escape escape;

        Factory(StrictHandler handler, Escape escape) {
            this.escape = escape;
            setObjectHandler(handler);
        }

        @Override
        public MustacheVisitor createMustacheVisitor() {
            return new DefaultMustacheVisitor(this) {
                @Override
                public void write(TemplateContext tc, String text) {
                    super.write(tc, text.indexOf(MustacheSource.MARK) < 0 ? text : text.replace(String.valueOf(MustacheSource.MARK), ""));
                }

                @Override
                public void partial(TemplateContext tc, String variable, String indent) {
                    throw new TemplateError("partials ({{> " + variable + "}}) are not supported: put everything in one template", tc);
                }

                @Override
                public void dynamicPartial(TemplateContext tc, String variable, String indent) {
                    throw new TemplateError("partials ({{>* " + variable + "}}) are not supported: put everything in one template", tc);
                }

                @Override
                public void extend(TemplateContext tc, String variable, Mustache mustache) {
                    throw new TemplateError("template inheritance ({{< " + variable + "}}) is not supported", tc);
                }

                @Override
                public void name(TemplateContext tc, String variable, Mustache mustache) {
                    throw new TemplateError("template inheritance ({{$" + variable + "}}) is not supported", tc);
                }
            };
        }

        @Override
        public void encode(String value, Writer writer) {
            try {
                if (escape == Escape.JSON) {
                    writeJsonEscaped(value, writer);
                } else {
                    writer.write(value);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Writes {@code value} as the inside of a JSON string. */
    static void writeJsonEscaped(String value, Writer out) throws IOException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.write("\\\"");
                case '\\' -> out.write("\\\\");
                case '\n' -> out.write("\\n");
                case '\r' -> out.write("\\r");
                case '\t' -> out.write("\\t");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.write(String.format("\\u%04x", (int) c));
                    } else {
                        out.write(c);
                    }
                }
            }
        }
    }

    /**
     * Resolves names through {@link Scope}s only (no reflection); a name that resolves nowhere is a
     * {@link TemplateError}. Sections: null, false, "", an empty list and the number 0 are false.
     */
    static final class StrictHandler extends AbstractObjectHandler {
        /** Where each code is, recorded as Mustache.java creates the codes (for the static check). */
        final Map<Code, TemplateContext> contexts = new IdentityHashMap<>();

        @Override
        public Binding createBinding(String name, TemplateContext tc, Code code) {
            contexts.put(code, tc);
            if (name == null) {
                return scopes -> null;
            }
            String[] path = name.split("\\.", -1);
            return scopes -> resolve(name, path, tc, scopes);
        }

        @Override
        public Wrapper find(String name, List<Object> scopes) {
            String[] path = name.split("\\.", -1);
            return s -> resolve(name, path, null, s);
        }

        private static Object resolve(String name, String[] path, TemplateContext tc, List<Object> scopes) {
            Object value = Model.ABSENT;
            boolean inLabels = false;
            for (int i = scopes.size() - 1; i >= 0; i--) {
                if (scopes.get(i) instanceof Scope scope) {
                    value = scope.get(path[0]);
                    if (value != Model.ABSENT) {
                        break;
                    }
                    inLabels |= scope instanceof Model.Labels;
                }
            }
            if (value == Model.ABSENT) {
                if (inLabels) {
                    return null;
                }
                throw new TemplateError("unknown name \"" + name + "\"", tc);
            }
            for (int k = 1; k < path.length && value != null; k++) {
                if (!(value instanceof Scope scope)) {
                    throw new TemplateError("unknown name \"" + name + "\": \"" + path[k - 1] + "\" has no fields", tc);
                }
                Object next = scope.get(path[k]);
                if (next == Model.ABSENT) {
                    if (scope instanceof Model.Labels) {
                        return null;
                    }
                    throw new TemplateError("unknown name \"" + name + "\"", tc);
                }
                value = next;
            }
            return value;
        }

        static boolean falsy(Object o) {
            return o == null || Boolean.FALSE.equals(o) || (o instanceof String s && s.isEmpty())
                    || (o instanceof List<?> l && l.isEmpty()) || (o instanceof Number n && n.doubleValue() == 0);
        }

        @Override
        public Writer iterate(Iteration iteration, Writer writer, Object object, List<Object> scopes) {
            if (falsy(object)) {
                return writer;
            }
            if (object instanceof List<?> list) {
                for (Object element : list) {
                    writer = iteration.next(writer, element, scopes);
                }
                return writer;
            }
            return iteration.next(writer, object, scopes);
        }

        @Override
        public Writer falsey(Iteration iteration, Writer writer, Object object, List<Object> scopes) {
            return falsy(object) ? iteration.next(writer, object, scopes) : writer;
        }

        @Override
        public String stringify(Object object) {
            return object.toString();
        }
    }

    /** An unsynchronized writer into a StringBuilder. */
    static final class StringBuilderWriter extends Writer {
        private final StringBuilder out;

        StringBuilderWriter(int capacity) {
            this.out = new StringBuilder(capacity);
        }

        @Override
        public void write(char[] cbuf, int off, int len) {
            out.append(cbuf, off, len);
        }

        @Override
        public void write(String str) {
            out.append(str);
        }

        @Override
        public void write(String str, int off, int len) {
            out.append(str, off, off + len);
        }

        @Override
        public void write(int c) {
            out.append((char) c);
        }

        @Override
        public Writer append(CharSequence csq) {
            out.append(csq);
            return this;
        }

        void clear() {
            out.setLength(0);
        }

        int length() {
            return out.length();
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}

        @Override
        public String toString() {
            return out.toString();
        }
    }
}
