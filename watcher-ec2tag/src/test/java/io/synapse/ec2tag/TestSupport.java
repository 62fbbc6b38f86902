package io.synapse.ec2tag;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.net.URI;

/** Binds discovery sections the way the core does. */
final class TestSupport {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private TestSupport() {}

    static Ec2TagConfig bind(String json) {
        try {
            return MAPPER.readValue(json, Ec2TagConfig.class);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A config for the emulator: tag {@code servicename=true}, region us-east-1, static dummy
     * keys, the given endpoint and interval, plus {@code extra} keys (a JSON object's members,
     * which replace the defaults).
     */
    static Ec2TagConfig emulated(URI endpoint, double interval, String extra) {
        try {
            ObjectNode node = (ObjectNode) MAPPER.readTree("""
                    {"tag_name": "servicename", "tag_value": "true", "aws_region": "us-east-1",
                     "aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "dummy-secret",
                     "port": 8080}""");
            node.put("endpoint", endpoint.toString());
            node.put("check_interval", interval);
            ObjectNode overrides = (ObjectNode) MAPPER.readTree(extra == null ? "{}" : extra);
            overrides.fields().forEachRemaining(e -> {
                if (e.getValue().isNull()) {
                    node.remove(e.getKey());
                } else {
                    node.set(e.getKey(), e.getValue());
                }
            });
            return MAPPER.treeToValue(node, Ec2TagConfig.class);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
