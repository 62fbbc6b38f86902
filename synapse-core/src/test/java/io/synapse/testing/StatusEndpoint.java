package io.synapse.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A daemon's status endpoint as a client sees it: real HTTP GETs, Prometheus text parsed. */
public final class StatusEndpoint {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final String base;

    public StatusEndpoint(String hostPort) {
        this.base = "http://" + hostPort;
    }

    public StatusEndpoint(InetSocketAddress address) {
        this(address.getAddress().getHostAddress() + ":" + address.getPort());
    }

    public String url(String path) {
        return base + path;
    }

    /** GET {@code path}; the response whatever its status. */
    public HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + base + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Whether the endpoint answers at all (for awaiting a daemon's start). */
    public boolean answers() {
        try {
            get("/healthz");
            return true;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    public JsonNode status() {
        try {
            return new ObjectMapper().readTree(get("/status").body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every sample of {@code /metrics}: {@code name{label="value",...}} (labels sorted by name) to its value. */
    public Map<String, Double> metrics() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : get("/metrics").body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a Prometheus text sample: " + line);
            }
            java.util.TreeMap<String, String> labels = new java.util.TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            out.put(key(m.group(1), labels), Double.parseDouble(m.group(4)));
        }
        return out;
    }

    /**
     * One sample's value, or null when absent: {@code metric("synapse_service_backends", "service", "api")}
     * (label pairs in any order; all of the sample's labels must be given).
     */
    public Double metric(String name, String... labelPairs) {
        java.util.TreeMap<String, String> labels = new java.util.TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            labels.put(labelPairs[i], labelPairs[i + 1]);
        }
        return metrics().get(key(name, labels));
    }

    private static String key(String name, Map<String, String> labels) {
        if (labels.isEmpty()) {
            return name;
        }
        StringBuilder b = new StringBuilder(name).append('{');
        labels.forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
        b.setLength(b.length() - 1);
        return b.append('}').toString();
    }
}
