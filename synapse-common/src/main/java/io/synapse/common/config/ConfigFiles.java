package io.synapse.common.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Reads a config file: YAML by extension ({@code .yaml}, {@code .yml}), JSON (comments allowed) otherwise. A key given
 * twice in one object is an error (the second would silently win). Problems say which file and
 * where: {@code nerve.json: not valid JSON (line 2, column 15): Unexpected character (',')}.
 */
public final class ConfigFiles {
    /** JSON with {@code //} and {@code /* *}{@code /} comments, as synapse's own config reader accepts them. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ConfigFiles() {}

    public static boolean isYaml(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    /** The file's tree, or {@code null} after adding the problem (at {@code problems}' own path). */
    public static JsonNode read(Path file, ConfigProblems problems) {
        requireNonNull(file, "file is null");
        requireNonNull(problems, "problems is null");
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            problems.add("", file + ": no such file");
            return null;
        } catch (IOException e) {
            problems.add("", file + ": cannot read: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null || e.getMessage().equals(file.toString()) ? "" : " " + e.getMessage()));
            return null;
        }
        return parse(text, isYaml(file), file.toString(), problems);
    }

    /**
     * The tree of config text, or {@code null} after adding the problem.
     *
     * @param source the file name for messages, or {@code null}
     */
    public static JsonNode parse(String text, boolean yaml, String source, ConfigProblems problems) {
        requireNonNull(text, "text is null");
        String prefix = source == null ? "" : source + ": ";
        try {
            JsonNode node = (yaml ? YAML : JSON).readTree(text);
            if (node == null || node.isMissingNode()) {
                problems.add("", prefix + "the file is empty");
                return null;
            }
            return node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            String message = e.getOriginalMessage();
            int nl = message.indexOf('\n');
            problems.add("", prefix + "not valid " + (yaml ? "YAML" : "JSON") + where + ": "
                    + (nl < 0 ? message : message.substring(0, nl)));
            return null;
        }
    }
}
