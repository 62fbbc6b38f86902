package io.synapse.fileoutput;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.synapse.output.AtomicFiles;
import io.synapse.spi.Backend;
import io.synapse.spi.ConfigGenerator;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

final class FileOutputGenerator implements ConfigGenerator {
    private static final Logger LOG = LoggerFactory.getLogger(FileOutputGenerator.class);
    private static final ObjectWriter WRITER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writer();

    private final Path directory;
    private final Set<String> disabled;
    /** The backends last written per service (the engine's own lists: keeping them costs nothing). */
    private final Map<String, List<Backend>> written = new HashMap<>();
    private boolean cleaned;

    FileOutputGenerator(Path directory, Set<String> disabled) {
        this.directory = directory;
        this.disabled = Set.copyOf(disabled);
    }

    @Override
    public void update(GeneratorState state) throws IOException {
        Files.createDirectories(directory);
        for (ServiceView view : state.services().values()) {
            if (disabled.contains(view.name()) || view.backends().equals(written.get(view.name()))) {
                continue; // unchanged (a service whose backends are the ones last written need not even be compared)
            }
            Path file = directory.resolve(view.name() + ".json");
            // not synced: synapse writes every file again when it starts (AtomicFiles)
            if (AtomicFiles.writeIfChanged(file, toJson(view), false)) {
                // synapse_generator_writes_total
                Counter.builder("synapse.generator.writes").tag("generator", "file_output").description("Output files written")
                        .register(Metrics.globalRegistry).increment();
                LOG.info("file_output: wrote {} ({} backends)", file, view.backends().size());
            }
            written.put(view.name(), view.backends());
        }
        if (!cleaned || written.keySet().retainAll(state.services().keySet())) {
            removeStale(state.services().keySet());
            cleaned = true;
        }
    }

    private void removeStale(Set<String> services) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.json")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String service = name.substring(0, name.length() - ".json".length());
                if (!services.contains(service) || disabled.contains(service)) {
                    Files.deleteIfExists(f);
                    LOG.info("file_output: removed {} (service no longer configured)", f);
                }
            }
        }
    }

    static byte[] toJson(ServiceView view) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 96 * view.backends().size());
        try (JsonGenerator g = WRITER.createGenerator(out)) {
            g.writeStartArray();
            for (Backend b : view.backends()) {
                g.writeStartObject();
                if (b.name() != null) {
                    g.writeStringField("name", b.name());
                }
                g.writeStringField("host", b.host());
                g.writeNumberField("port", b.port());
                if (b.weight() != null) {
                    g.writeNumberField("weight", b.weight());
                }
                if (b.haproxyServerOptions() != null) {
                    g.writeStringField("haproxy_server_options", b.haproxyServerOptions());
                }
                if (!b.labels().isEmpty()) {
                    g.writeObjectFieldStart("labels");
                    for (Map.Entry<String, String> l : b.labels().entrySet()) {
                        g.writeStringField(l.getKey(), l.getValue());
                    }
                    g.writeEndObject();
                }
                if (b.id() != null) {
                    g.writeNumberField("id", b.id());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        out.write('\n');
        return out.toByteArray();
    }
}
