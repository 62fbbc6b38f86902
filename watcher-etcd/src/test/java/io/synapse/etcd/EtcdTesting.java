package io.synapse.etcd;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.ServiceWatcher;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Helpers for tests against a real etcd: a client, puts and deletes, and watchers built like the engine builds them. */
final class EtcdTesting {
    /** The mapper the engine binds discovery sections with. */
    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private EtcdTesting() {}

    static Client client(List<String> endpoints) {
        return Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
        try {
            return future.get(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    static long put(Client client, String key, String value) {
        return await(client.getKVClient().put(bytes(key), bytes(value))).getHeader().getRevision();
    }

    static long put(Client client, String key, String value, long lease) {
        return await(client.getKVClient().put(bytes(key), bytes(value), PutOption.builder().withLeaseId(lease).build()))
                .getHeader().getRevision();
    }

    static long delete(Client client, String key) {
        return await(client.getKVClient().delete(bytes(key))).getHeader().getRevision();
    }

    static String nerve(String host, int port, String name) {
        return "{\"host\":\"" + host + "\",\"port\":" + port + ",\"name\":\"" + name + "\"}";
    }

    static int port(String endpoint) {
        return URI.create(endpoint).getPort();
    }

    static EtcdConfig config(String json) {
        try {
            return MAPPER.readValue(json, EtcdConfig.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Binds, validates and creates a watcher the way the engine does; fails on a config problem. */
    static ServiceWatcher watcher(String service, String discoveryJson, WatcherListener listener) {
        EtcdWatcherFactory factory = new EtcdWatcherFactory();
        EtcdConfig config = config(discoveryJson);
        ConfigProblems problems = new ConfigProblems().at("services." + service + ".discovery");
        factory.validate(config, problems);
        if (!problems.isEmpty()) {
            throw new AssertionError(problems.toString());
        }
        return factory.create(new WatcherContext(service, "services." + service + ".discovery"), config, listener);
    }

    static String json(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
