package io.synapse.fileoutput;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.synapse.output.AtomicFiles;
import io.synapse.spi.Backend;
import io.synapse.spi.ConfigGenerator;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

final class FileOutputGenerator implements ConfigGenerator {
    private static final Logger LOG = LoggerFactory.getLogger(FileOutputGenerator.class);
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path directory;
    private final Set<String> disabled;
    private final Map<String, byte[]> written = new HashMap<>();
    private boolean cleaned;

    FileOutputGenerator(Path directory, Set<String> disabled) {
        this.directory = directory;
        this.disabled = Set.copyOf(disabled);
    }

    @Override
    public void update(GeneratorState state) throws IOException {
        Files.createDirectories(directory);
        for (ServiceView view : state.services().values()) {
            if (disabled.contains(view.name()) || (!state.changed().contains(view.name()) && written.containsKey(view.name()))) {
                continue;
            }
            byte[] json = toJson(view);
            if (Arrays.equals(json, written.get(view.name()))) {
                continue;
            }
            Path file = directory.resolve(view.name() + ".json");
            if (AtomicFiles.writeIfChanged(file, json)) {
                // synapse_generator_writes_total
                Counter.builder("synapse.generator.writes").tag("generator", "file_output").description("Output files written")
                        .register(Metrics.globalRegistry).increment();
                LOG.info("file_output: wrote {} ({} backends)", file, view.backends().size());
            }
            written.put(view.name(), json);
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
        ArrayNode array = MAPPER.createArrayNode();
        for (Backend b : view.backends()) {
            ObjectNode n = array.addObject();
            if (b.name() != null) {
                n.put("name", b.name());
            }
            n.put("host", b.host());
            n.put("port", b.port());
            if (b.weight() != null) {
                n.put("weight", b.weight());
            }
            if (b.haproxyServerOptions() != null) {
                n.put("haproxy_server_options", b.haproxyServerOptions());
            }
            if (!b.labels().isEmpty()) {
                ObjectNode l = n.putObject("labels");
                b.labels().forEach(l::put);
            }
            if (b.id() != null) {
                n.put("id", b.id());
            }
        }
        byte[] body = MAPPER.writeValueAsBytes(array);
        byte[] out = Arrays.copyOf(body, body.length + 1);
        out[body.length] = '\n';
        return out;
    }
}
