package io.synapse.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds synapse.conf.json files for tests. */
public final class TestConfigs {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private TestConfigs() {}

    /** JSON with single quotes allowed, for readable test configs: {@code json("{'a': 1}")}. */
    public static ObjectNode json(String singleQuoted) {
        try {
            return (ObjectNode) MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A global haproxy section writing to {@code dir/haproxy.cfg}, no reloads, no socket. */
    public static ObjectNode haproxyGlobal(Path dir) {
        ObjectNode h = json("{'do_reloads': false, 'do_socket': false,"
                + " 'global': ['maxconn 1000'],"
                + " 'defaults': ['mode http', 'timeout connect 5s', 'timeout client 30s', 'timeout server 30s']}");
        h.put("config_file_path", dir.resolve("haproxy.cfg").toString());
        return h;
    }

    public static Path write(Path dir, ObjectNode config) {
        try {
            Path file = dir.resolve("synapse.conf.json");
            Files.writeString(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
