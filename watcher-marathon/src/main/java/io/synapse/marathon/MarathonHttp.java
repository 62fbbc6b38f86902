package io.synapse.marathon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synapse.common.registry.RegistryValues;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * GETs JSON from Marathon with the JDK's HTTP client, trying each URL in turn (as Marathon-LB
 * does) and sticking to the last one that answered. A connection failure, a timeout, a 5xx, a
 * 401/403 or a body that is not JSON moves on to the next URL; 404 is an answer.
 */
final class MarathonHttp {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    static final String USER_AGENT = "synapse-marathon";

    /** Marathon could not be read through any URL; the message names each URL's problem. */
    static final class MarathonException extends Exception {
        MarathonException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final List<Endpoints.Target> targets;
    private final HttpClient client;
    private volatile int preferred;

    MarathonHttp(List<Endpoints.Target> targets) {
        this.targets = List.copyOf(requireNonNull(targets, "targets is null"));
        this.client = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    HttpClient client() {
        return client;
    }

    List<Endpoints.Target> targets() {
        return targets;
    }

    /** The URL that answered last (where an event stream should be opened first). */
    int preferred() {
        return preferred;
    }

    /**
     * {@code GET <base><pathAndQuery>} on each Marathon in turn until one answers with JSON.
     * Returns null when Marathon answered 404 (no such app).
     */
    JsonNode get(String pathAndQuery) throws MarathonException, InterruptedException {
        return get(t -> t.resolve(pathAndQuery), "GET " + pathAndQuery);
    }

    /** As {@link #get(String)}, with the URL of each target computed by {@code url}. */
    JsonNode get(Function<Endpoints.Target, URI> url, String what) throws MarathonException, InterruptedException {
        List<String> problems = new ArrayList<>();
        Exception last = null;
        int start = preferred;
        for (int i = 0; i < targets.size(); i++) {
            int index = (start + i) % targets.size();
            Endpoints.Target target = targets.get(index);
            try {
                Answer answer = getOnce(target, url.apply(target));
                if (answer.problem == null) {
                    preferred = index;
                    return answer.json;
                }
                problems.add(target + ": " + answer.problem);
            } catch (IOException e) {
                last = e;
                problems.add(target + ": " + describe(e));
            }
        }
        throw new MarathonException(what + " failed: " + String.join("; ", problems), last);
    }

    private record Answer(JsonNode json, String problem) {}

    private Answer getOnce(Endpoints.Target target, URI uri) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json")
                .header("User-Agent", USER_AGENT)
                .GET();
        if (target.authorization() != null) {
            request.header("Authorization", target.authorization());
        }
        HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        int status = response.statusCode();
        if (status == 404) {
            return new Answer(null, null);
        }
        if (status != 200) {
            return new Answer(null, "HTTP " + status + message(response.body()));
        }
        try {
            JsonNode json = JSON.readTree(response.body());
            if (json == null || json.isMissingNode()) {
                return new Answer(null, "answered with an empty body");
            }
            return new Answer(json, null);
        } catch (JsonProcessingException e) {
            return new Answer(null, "answered with something that is not JSON (" + firstLine(e.getOriginalMessage()) + ")");
        }
    }

    /** Marathon's error bodies are {@code {"message": "..."}}: {@code " (message)"}, or "". */
    static String message(byte[] body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null && json.path("message").isTextual()) {
                return " (" + RegistryValues.quote(json.get("message").asText()) + ")";
            }
        } catch (IOException e) {
            // not JSON: the status says enough
        }
        return "";
    }

    static String describe(Throwable e) {
        if (e instanceof HttpTimeoutException) {
            return "timed out";
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : firstLine(t.getMessage());
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 120 ? line.substring(0, 120) + "..." : line;
    }
}
