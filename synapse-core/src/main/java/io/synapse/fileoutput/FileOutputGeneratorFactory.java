package io.synapse.fileoutput;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.JsonFields;
import io.synapse.spi.ConfigGenerator;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.GeneratorContext;
import io.synapse.spi.GeneratorFactory;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code file_output}: one {@code <output_directory>/<service>.json} per service, a JSON array of
 * its backends, written atomically and only when it changed; files of services no longer
 * configured are removed; {@code services.X.file_output.disabled} opts a service out.
 */
public final class FileOutputGeneratorFactory implements GeneratorFactory {
    @Override
    public String name() {
        return "file_output";
    }

    @Override
    public ConfigGenerator create(GeneratorContext context, ConfigProblems problems) {
        int before = problems.size();
        JsonFields global = JsonFields.of(context.globalConfig(), problems.at("file_output"));
        global.rejectUnknown(List.of("output_directory"));
        String dir = global.requiredString("output_directory");
        Set<String> disabled = new HashSet<>();
        for (Map.Entry<String, JsonNode> e : context.serviceConfigs().entrySet()) {
            JsonFields s = JsonFields.of(e.getValue(), problems.at("services." + e.getKey() + ".file_output"));
            s.rejectUnknown(List.of("disabled"));
            if (s.bool("disabled", false)) {
                disabled.add(e.getKey());
            }
        }
        if (problems.size() > before) {
            return null;
        }
        return new FileOutputGenerator(Path.of(dir), disabled);
    }
}
