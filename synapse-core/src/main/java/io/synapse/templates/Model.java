package io.synapse.templates;

import io.synapse.spi.Backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The template model: the names a template can use, once as static types (to check a template
 * before anything is rendered) and once as the runtime values. ModelTest keeps the two
 * in step.
 *
 * <pre>
 * services[]           the services, in the engine's order (config order)
 *   name               the service name
 *   haproxy_port       services.NAME.haproxy.port, or nothing
 *   backends[]         the merged backends, in discovery order
 *     host, port       the backend's address; address is host:port ([v6]:port)
 *     name             the registration's name, or nothing
 *     service          the service's name (name here is the backend's)
 *     weight           the registration's weight, or nothing (0 is false in a section)
 *     drained          true when the weight is 0
 *     backup           true when haproxy_server_options has the word backup
 *     labels           labels.KEY is the label's value (nothing when absent)
 *     label_list[]     key, value, first, last: the labels sorted by key
 *     has_labels
 *     first, last      position in backends
 *   has_backends, backend_count
 *   first, last        position in services
 * </pre>
 */
final class Model {
    private Model() {}

    /** What {@link Scope#get} returns for a name the scope does not have (a missing label is {@code null}). */
    static final Object ABSENT = new Object() {
        @Override
        public String toString() {
            return "ABSENT";
        }
    };

    /** A value with named fields. */
    interface Scope {
        /** The field's value ({@code null} renders as nothing), or {@link #ABSENT}. */
        Object get(String name);
    }

    // ---------------------------------------------------------------- static types

    enum Kind { TEXT, NUMBER, BOOLEAN, LIST, OBJECT, LABELS }

    /** The static type of a name: a scalar, a list of {@code element}, an object with {@code fields}, or labels. */
    record Type(Kind kind, String description, Type element, Map<String, Type> fields) {
        boolean scalar() {
            return kind == Kind.TEXT || kind == Kind.NUMBER || kind == Kind.BOOLEAN;
        }

        /** A field's type, or null; any key of labels is text. */
        Type field(String name) {
            if (kind == Kind.LABELS) {
                return TEXT;
            }
            return fields == null ? null : fields.get(name);
        }
    }

    static final Type TEXT = new Type(Kind.TEXT, "text", null, null);
    static final Type NUMBER = new Type(Kind.NUMBER, "a number", null, null);
    static final Type BOOLEAN = new Type(Kind.BOOLEAN, "true or false", null, null);
    static final Type LABELS = new Type(Kind.LABELS, "the labels", null, null);

    private static Type object(String description, Object... namesAndTypes) {
        Map<String, Type> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndTypes.length; i += 2) {
            fields.put((String) namesAndTypes[i], (Type) namesAndTypes[i + 1]);
        }
        return new Type(Kind.OBJECT, description, null, Collections.unmodifiableMap(fields));
    }

    private static Type list(Type element) {
        return new Type(Kind.LIST, "a list", element, null);
    }

    static final Type LABEL = object("a label", "key", TEXT, "value", TEXT, "first", BOOLEAN, "last", BOOLEAN);
    static final Type BACKEND = object("a backend",
            "host", TEXT, "port", NUMBER, "address", TEXT, "name", TEXT, "service", TEXT, "weight", NUMBER,
            "drained", BOOLEAN, "backup", BOOLEAN, "labels", LABELS, "label_list", list(LABEL), "has_labels", BOOLEAN,
            "first", BOOLEAN, "last", BOOLEAN);
    static final Type SERVICE = object("a service",
            "name", TEXT, "haproxy_port", NUMBER, "backends", list(BACKEND), "has_backends", BOOLEAN,
            "backend_count", NUMBER, "first", BOOLEAN, "last", BOOLEAN);
    static final Type ROOT = object("the template", "services", list(SERVICE));

    // ---------------------------------------------------------------- runtime values

    record Root(List<Service> services) implements Scope {
        @Override
        public Object get(String name) {
            return "services".equals(name) ? services : ABSENT;
        }
    }

    /** One service; immutable, so a rendering of it can be cached while the same instance is used. */
    record Service(String name, Integer haproxyPort, List<Item> backends, boolean first, boolean last) implements Scope {
        static Service of(String name, Integer haproxyPort, List<Backend> backends, boolean first, boolean last) {
            List<Item> items = new ArrayList<>(backends.size());
            for (int i = 0; i < backends.size(); i++) {
                items.add(Item.of(backends.get(i), name, i == 0, i == backends.size() - 1));
            }
            return new Service(name, haproxyPort, Collections.unmodifiableList(items), first, last);
        }

        Service at(boolean newFirst, boolean newLast) {
            return newFirst == first && newLast == last ? this : new Service(name, haproxyPort, backends, newFirst, newLast);
        }

        @Override
        public Object get(String field) {
            return switch (field) {
                case "name" -> name;
                case "haproxy_port" -> haproxyPort;
                case "backends" -> backends;
                case "has_backends" -> !backends.isEmpty();
                case "backend_count" -> backends.size();
                case "first" -> first;
                case "last" -> last;
                default -> ABSENT;
            };
        }
    }

    /** One backend of a service. */
    record Item(Backend backend, String address, String service, boolean backup, Labels labels, List<Label> labelList,
            boolean first, boolean last) implements Scope {
        private static final Labels NO_LABELS = new Labels(Map.of());

        static Item of(Backend b, String service, boolean first, boolean last) {
            if (b.labels().isEmpty()) {
                return new Item(b, b.address(), service, isBackup(b.haproxyServerOptions()), NO_LABELS, List.of(), first, last);
            }
            List<Label> list = new ArrayList<>(b.labels().size());
            int i = 0;
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(b.labels()).entrySet()) {
                list.add(new Label(e.getKey(), e.getValue(), i == 0, i == b.labels().size() - 1));
                i++;
            }
            return new Item(b, b.address(), service, isBackup(b.haproxyServerOptions()), new Labels(b.labels()),
                    Collections.unmodifiableList(list), first, last);
        }

        @Override
        public Object get(String field) {
            return switch (field) {
                case "host" -> backend.host();
                case "port" -> backend.port();
                case "address" -> address;
                case "name" -> backend.name();
                case "service" -> service;
                case "weight" -> backend.weight();
                case "drained" -> backend.weight() != null && backend.weight() == 0;
                case "backup" -> backup;
                case "labels" -> labels;
                case "label_list" -> labelList;
                case "has_labels" -> !labelList.isEmpty();
                case "first" -> first;
                case "last" -> last;
                default -> ABSENT;
            };
        }
    }

    /** A backend is a backup server when its {@code haproxy_server_options} have the word {@code backup}. */
    static boolean isBackup(String options) {
        if (options == null) {
            return false;
        }
        for (String word : options.trim().split("\\s+")) {
            if ("backup".equals(word)) {
                return true;
            }
        }
        return false;
    }

    record Label(String key, String value, boolean first, boolean last) implements Scope {
        @Override
        public Object get(String field) {
            return switch (field) {
                case "key" -> key;
                case "value" -> value;
                case "first" -> first;
                case "last" -> last;
                default -> ABSENT;
            };
        }
    }

    /** The labels of a backend: any key; a label the backend does not have is nothing, not an error. */
    record Labels(Map<String, String> values) implements Scope {
        @Override
        public Object get(String key) {
            String v = values.get(key);
            return v != null ? v : ABSENT;
        }
    }
}
