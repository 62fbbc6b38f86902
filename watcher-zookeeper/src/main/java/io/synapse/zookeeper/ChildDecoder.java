package io.synapse.zookeeper;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.json.JsonIntegers;
import io.synapse.common.json.JsonObjects;
import io.synapse.spi.Backend;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.common.registry.RegistryValues;

import java.util.Optional;

/**
 * Turns one child of the watched path into a backend: nerve JSON (the shared {@link
 * NerveRegistration} codec, also for path-encoded names) or a Finagle/Aurora serverset member.
 * The backend's id is the sequence number at the end of the child's name.
 */
abstract sealed class ChildDecoder {

    /** The outcome for one child: a backend, or why there is none. */
    record Decoded(Backend backend, String problem, boolean broken) {
        static Decoded ok(Backend backend) {
            return new Decoded(backend, null, false);
        }

        /** A registration that is fine but deliberately not serving (a serverset member not ALIVE). */
        static Decoded notServing(String why) {
            return new Decoded(null, why, false);
        }

        static Decoded broken(String why) {
            return new Decoded(null, why, true);
        }
    }

    static ChildDecoder nerve() {
        return Nerve.INSTANCE;
    }

    static ChildDecoder serverset(String endpointName) {
        return new Serverset(endpointName);
    }

    abstract String method();

    /**
     * Decodes a child from its name alone (path encoding), or empty when the name does not carry
     * a usable registration and the data must be read.
     */
    Optional<Backend> fromName(String childName) {
        return Optional.empty();
    }

    /** Decodes a child's data; never throws. */
    Decoded decode(String childName, byte[] data) {
        try {
            return decodeOrThrow(childName, data == null ? new byte[0] : data);
        } catch (IllegalArgumentException e) {
            return Decoded.broken(e.getMessage());
        }
    }

    abstract Decoded decodeOrThrow(String childName, byte[] data);

    static final class Nerve extends ChildDecoder {
        static final Nerve INSTANCE = new Nerve();

        @Override
        String method() {
            return "nerve";
        }

        @Override
        Optional<Backend> fromName(String childName) {
            Optional<byte[]> json = NerveRegistration.decodePathEncoded(childName);
            if (json.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(Backend.fromRegistration(NerveRegistration.parse(json.get()), NerveRegistration.sequenceOf(childName)));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        @Override
        Decoded decodeOrThrow(String childName, byte[] data) {
            return Decoded.ok(Backend.fromRegistration(NerveRegistration.parse(data), NerveRegistration.sequenceOf(childName)));
        }
    }

    static final class Serverset extends ChildDecoder {
        private final String endpointName;

        Serverset(String endpointName) {
            this.endpointName = endpointName;
        }

        @Override
        String method() {
            return endpointName == null ? "serverset" : "serverset (endpoint " + endpointName + ")";
        }

        @Override
        Decoded decodeOrThrow(String childName, byte[] data) {
            JsonNode root = JsonObjects.parse(data);
            JsonNode status = root.get("status");
            if (status != null && !status.isNull() && !"ALIVE".equals(status.asText())) {
                return Decoded.notServing("status " + RegistryValues.quote(status.asText()) + ", not ALIVE");
            }
            JsonNode endpoint;
            if (endpointName == null) {
                endpoint = root.get("serviceEndpoint");
                if (endpoint == null || !endpoint.isObject()) {
                    throw new IllegalArgumentException("missing object \"serviceEndpoint\"");
                }
            } else {
                JsonNode additional = root.get("additionalEndpoints");
                endpoint = additional == null ? null : additional.get(endpointName);
                if (endpoint == null || !endpoint.isObject()) {
                    throw new IllegalArgumentException("no additionalEndpoints entry " + RegistryValues.quote(endpointName));
                }
            }
            JsonNode host = endpoint.get("host");
            if (host == null || !host.isTextual()) {
                throw new IllegalArgumentException("endpoint: missing string \"host\"");
            }
            int port = JsonIntegers.required(endpoint, "port");
            Integer shard = JsonIntegers.optional(root, "shard");
            String name = shard == null ? null : String.valueOf(shard);
            return Decoded.ok(Backend.builder(host.asText(), port)
                    .name(name)
                    .id(NerveRegistration.sequenceOf(childName))
                    .build());
        }
    }
}
