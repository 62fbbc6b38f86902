package io.synapse.templates;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.ConfigGenerator;
import io.synapse.spi.GeneratorState;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code templates} generator: one {@link TemplateOutput} per entry. Every entry is brought up
 * to date on each update; when some fail (a render error, a rejected candidate) the others are
 * still written, and the update throws so that the engine retries the failed ones.
 */
final class TemplatesGenerator implements ConfigGenerator {
    private final List<TemplateOutput> outputs;

    TemplatesGenerator(List<TemplateSettings> settings) {
        List<TemplateOutput> list = new ArrayList<>(settings.size());
        for (TemplateSettings s : settings) {
            list.add(new TemplateOutput(s));
        }
        this.outputs = List.copyOf(list);
    }

    List<TemplateOutput> outputs() {
        return outputs;
    }

    @Override
    public void checkServiceConfig(String service, JsonNode section, ConfigProblems problems) {
        TemplatesGeneratorFactory.checkServiceSection(section, problems);
    }

    @Override
    public void update(GeneratorState state) throws IOException, InterruptedException {
        List<String> failures = new ArrayList<>();
        IOException first = null;
        for (TemplateOutput output : outputs) {
            try {
                output.update(state);
            } catch (IOException e) {
                failures.add(e.getMessage());
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw failures.size() == 1 ? first : new IOException(String.join("; ", failures), first);
        }
    }

    @Override
    public void close() {
        outputs.forEach(TemplateOutput::close);
    }
}
