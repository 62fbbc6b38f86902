package io.synapse.templates;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.config.DidYouMean;
import io.synapse.common.config.JsonFields;
import io.synapse.common.registry.RegistryValues;
import io.synapse.spi.ConfigGenerator;
import io.synapse.spi.GeneratorContext;
import io.synapse.spi.GeneratorFactory;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code templates}: a list of Mustache templates, each rendered from the merged backends into its
 * own file (an nginx upstream, a Prometheus {@code file_sd} list, ...), checked, written atomically
 * when it changed, and followed by a rate-limited reload. Every template is compiled and checked
 * against the model here, so {@code --check} reports a missing file, a syntax error or an unknown
 * name with its file and line.
 */
public final class TemplatesGeneratorFactory implements GeneratorFactory {
    static final double DEFAULT_RESTART_INTERVAL = 2.0;

    @Override
    public String name() {
        return "templates";
    }

    @Override
    public boolean sectionIsList() {
        return true;
    }

    @Override
    public ConfigGenerator create(GeneratorContext context, ConfigProblems problems) {
        int before = problems.size();
        JsonNode list = context.globalConfig();
        if (!list.isArray()) {
            problems.add("templates", "expected a list of {source, destination, ...}, got " + JsonFields.describe(list));
            return null;
        }
        if (list.isEmpty()) {
            problems.add("templates", "expected at least one template");
        }
        List<TemplateSettings> settings = new ArrayList<>();
        Map<Path, Integer> destinations = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String label = "templates[" + i + "]";
            TemplateSettings s = entry(label, list.get(i), context, problems.at(label));
            if (s == null) {
                continue;
            }
            Integer other = destinations.putIfAbsent(s.destination().toAbsolutePath().normalize(), i);
            if (other != null) {
                problems.at(label).add("destination", s.destination() + " is also written by templates[" + other + "]");
            }
            settings.add(s);
        }
        for (Map.Entry<String, JsonNode> e : context.serviceConfigs().entrySet()) {
            checkServiceSection(e.getValue(), problems.at("services." + e.getKey() + ".templates"));
        }
        if (problems.size() > before) {
            return null;
        }
        return new TemplatesGenerator(settings);
    }

    /** There are no per-service settings: which services a template renders is its {@code services} list. */
    static void checkServiceSection(JsonNode section, ConfigProblems problems) {
        if (section != null && !section.isNull() && !(section.isObject() && section.isEmpty())) {
            problems.add("", "the templates generator has no per-service settings: list the services a template renders"
                    + " in its \"services\" key");
        }
    }

    private static TemplateSettings entry(String label, JsonNode node, GeneratorContext context, ConfigProblems problems) {
        int before = problems.size();
        if (!node.isObject()) {
            problems.add("", "expected an object {source, destination, ...}, got " + JsonFields.describe(node));
            return null;
        }
        JsonFields f = JsonFields.of(node, problems);
        f.rejectUnknown(TemplateSettings.KEYS);
        String source = f.requiredString("source");
        String destination = f.requiredString("destination");
        Set<String> services = services(f, context.serviceConfigs().keySet());
        String check = f.line("check_command", null);
        String reload = f.line("reload_command", null);
        double interval = f.seconds("restart_interval", DEFAULT_RESTART_INTERVAL);
        Set<PosixFilePermission> mode = fileMode(f);
        String escapeName = f.string("escape", destination != null && destination.endsWith(".json") ? "json" : "none");
        Template.Escape escape = Template.Escape.parse(escapeName);
        if (escape == null) {
            problems.add("escape", "expected \"none\" or \"json\", got " + RegistryValues.quote(escapeName));
        }
        if (check != null && check.isBlank()) {
            problems.add("check_command", "must not be empty (leave it out for no check)");
        }
        if (reload != null && reload.isBlank()) {
            problems.add("reload_command", "must not be empty (leave it out for no reload)");
        }
        Template template = null;
        if (source != null && escape != null) {
            Path dir = context.configDirectory();
            Path file = dir == null ? Path.of(source) : dir.resolve(source);
            template = compile(file, escape, problems);
        }
        if (problems.size() > before || template == null) {
            return null;
        }
        Path dest = Path.of(destination);
        if (dest.getFileName() == null) {
            problems.add("destination", "expected a file path, got " + RegistryValues.quote(destination));
            return null;
        }
        return new TemplateSettings(label, template, dest, services, check, reload,
                Duration.ofNanos((long) (interval * 1e9)), mode);
    }

    private static Template compile(Path file, Template.Escape escape, ConfigProblems problems) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (NoSuchFileException e) {
            problems.add("source", "no such file: " + file);
            return null;
        } catch (CharacterCodingException e) {
            problems.add("source", file + ": not UTF-8 text");
            return null;
        } catch (IOException e) {
            problems.add("source", "cannot read " + file + ": " + e.getMessage());
            return null;
        }
        List<String> found = new ArrayList<>();
        Template template = Template.compile(file.toString(), text, escape, found);
        found.forEach(m -> problems.add("source", m));
        return template;
    }

    private static Set<String> services(JsonFields f, Set<String> configured) {
        if (!f.has("services") || f.get("services").isNull()) {
            return null;
        }
        JsonNode node = f.get("services");
        if (!node.isArray()) {
            f.problems().add("services", "expected a list of service names, got " + JsonFields.describe(node));
            return null;
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode n = node.get(i);
            if (!n.isTextual()) {
                f.problems().add("services[" + i + "]", "expected a service name, got " + JsonFields.describe(n));
            } else if (!configured.contains(n.asText())) {
                f.problems().add("services[" + i + "]", "unknown service " + RegistryValues.quote(n.asText())
                        + DidYouMean.suggest(n.asText(), configured));
            } else {
                out.add(n.asText());
            }
        }
        return out;
    }

    private static Set<PosixFilePermission> fileMode(JsonFields f) {
        String mode = f.string("file_mode", "0644");
        if (mode == null || !mode.matches("0?[0-7]{3}")) {
            f.problems().add("file_mode", "expected an octal mode like \"0644\", got " + JsonFields.describe(f.get("file_mode")));
            return null;
        }
        String digits = mode.substring(mode.length() - 3);
        StringBuilder rwx = new StringBuilder();
        for (char c : digits.toCharArray()) {
            int d = c - '0';
            rwx.append((d & 4) != 0 ? 'r' : '-').append((d & 2) != 0 ? 'w' : '-').append((d & 1) != 0 ? 'x' : '-');
        }
        return PosixFilePermissions.fromString(rwx.toString());
    }
}
