package io.synapse.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.common.config.ConfigProblems;
import io.synapse.common.config.JsonFields;
import io.synapse.common.registry.RegistryValues;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where Marathon is and how to log in: {@code marathon_api_url} (one URL or a list, tried in turn),
 * user and password from a URL ({@code http://user:pass@host:8080}) or from {@code credentials}
 * ({@code "user:pass"}), checked and turned into the {@link Target}s of a {@link Key}.
 */
final class Endpoints {
    /** The path every Marathon serves its API under, below the base URL. */
    static final String STANDARD_TASKS_PATH = "/v2/apps/%{app}/tasks";
    private static final String APP = "%{app}";
    private static final String APP_TOKEN = "synapse-marathon-app-placeholder";
    /** Marathon path ids: segments of letters, digits, {@code . _ -}, separated by {@code /}. */
    private static final Pattern APP_ID = Pattern.compile("/?[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

    private Endpoints() {}

    /**
     * One Marathon: the base URL its {@code /v2/...} API is served under ({@code http://m1:8080} or
     * {@code https://master/service/marathon}, no trailing slash, no user info) and the
     * {@code Authorization} header value for it, or null.
     */
    record Target(URI base, String authorization) {
        Target {
            java.util.Objects.requireNonNull(base, "base is null");
        }

        URI resolve(String pathAndQuery) {
            return URI.create(base + pathAndQuery);
        }

        @Override
        public String toString() {
            return base.toString();
        }
    }

    /**
     * What makes two services share one Marathon client (one event stream, one poller): the same
     * URLs, in the same order, with the same credentials.
     */
    record Key(List<Target> targets) {
        Key {
            targets = List.copyOf(targets);
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("no Marathon URL");
            }
        }

        /** The URLs without credentials, for log lines. */
        @Override
        public String toString() {
            return targets.size() == 1 ? targets.get(0).toString() : targets.toString();
        }
    }

    /**
     * The URLs of {@code marathon_api_url}: a string or a non-empty list of strings. Problems are
     * reported under {@code key}; the result then holds only the good ones.
     */
    static List<String> urls(JsonNode node, String key, ConfigProblems problems) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            problems.add(key, "is required");
            return out;
        }
        if (node.isTextual()) {
            String problem = urlProblem(node.asText());
            if (problem != null) {
                problems.add(key, problem);
            } else {
                out.add(node.asText());
            }
            return out;
        }
        if (!node.isArray() || node.isEmpty()) {
            problems.add(key, "expected a URL or a non-empty list of URLs, got " + JsonFields.describe(node));
            return out;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode u = node.get(i);
            String problem = u.isTextual() ? urlProblem(u.asText()) : "expected a URL, got " + JsonFields.describe(u);
            if (problem != null) {
                problems.add(key + "[" + i + "]", problem);
            } else {
                out.add(u.asText());
            }
        }
        return out;
    }

    /** {@code null} when {@code text} is an http(s) URL with a host and neither query nor fragment. */
    static String urlProblem(String text) {
        String expected = "expected a URL like http://marathon.example.com:8080, got " + RegistryValues.quote(text);
        if (text.isBlank() || RegistryValues.hasControl(text)) {
            return expected;
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            return expected;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "expected an http:// or https:// URL, got " + RegistryValues.quote(text);
        }
        if (uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
            return expected;
        }
        if (uri.getRawUserInfo() != null && !uri.getRawUserInfo().contains(":")) {
            return "user info in " + RegistryValues.quote(withoutUserInfo(uri).toString()) + ": expected user:password@";
        }
        return null;
    }

    /** {@code null} when {@code credentials} is {@code user:password}. */
    static String credentialsProblem(String credentials) {
        if (credentials.indexOf(':') < 1 || RegistryValues.hasControl(credentials)) {
            return "expected user:password";
        }
        return null;
    }

    /** {@code null} when {@code name} is a Marathon app id ({@code nginx2}, {@code /prod/web}). */
    static String appIdProblem(String name) {
        if (name.isEmpty()) {
            return "must not be empty";
        }
        if (!APP_ID.matcher(name).matches() || name.length() > 500) {
            return "expected a Marathon app id like /group/app (letters, digits, . _ - and /), got " + RegistryValues.quote(name);
        }
        return null;
    }

    /** {@code /nginx2} for {@code nginx2}: Marathon's absolute app id. */
    static String absoluteAppId(String name) {
        return name.startsWith("/") ? name : "/" + name;
    }

    static boolean isAppId(String id) {
        return id != null && APP_ID.matcher(id).matches();
    }

    /**
     * The key for URLs whose path is the API's base ({@code http://master/service/marathon}): the
     * catalog's meaning of {@code marathon_api_url}.
     */
    static Key baseKey(List<String> urls, String credentials) {
        List<Target> targets = new ArrayList<>();
        for (String u : urls) {
            URI uri = URI.create(u);
            targets.add(new Target(stripSlash(withoutUserInfo(uri)), authorization(uri, credentials)));
        }
        return new Key(targets);
    }

    /**
     * The Ruby watcher's meaning: each URL joined with {@code marathon_api_path} as Ruby's {@code
     * URI.join} does (an absolute path replaces the URL's). Returns the key when every joined URL
     * ends in {@code /v2/apps/%{app}/tasks} (the standard API under some base, the base being what
     * comes before {@code /v2}); otherwise null: the path is something else and is only polled.
     */
    static Key rubyKey(List<String> urls, String credentials, String apiPath) {
        List<Target> targets = new ArrayList<>();
        for (String u : urls) {
            URI joined = join(URI.create(u), apiPath);
            String path = joined.getRawPath() == null ? "" : joined.getRawPath();
            String suffix = "/v2/apps/" + APP_TOKEN + "/tasks";
            if (joined.getRawQuery() != null || !path.endsWith(suffix)) {
                return null;
            }
            URI plain = withoutUserInfo(joined);
            URI base = URI.create(plain.getScheme() + "://" + plain.getRawAuthority() + path.substring(0, path.length() - suffix.length()));
            targets.add(new Target(base, authorization(URI.create(u), credentials)));
        }
        return new Key(targets);
    }

    /**
     * For a {@code marathon_api_path} that is not the standard one: each URL's full task-list URL,
     * with {@code %{app}} replaced by {@code app} (as written, the Ruby watcher's way), and its
     * authorization.
     */
    static List<Target> pathTargets(List<String> urls, String credentials, String apiPath, String app) {
        List<Target> out = new ArrayList<>();
        for (String u : urls) {
            URI joined = withoutUserInfo(join(URI.create(u), apiPath));
            out.add(new Target(URI.create(joined.toString().replace(APP_TOKEN, app)), authorization(URI.create(u), credentials)));
        }
        return out;
    }

    /** Problems of {@code marathon_api_path}: it must join with a URL into a URL. */
    static String apiPathProblem(String apiPath) {
        if (apiPath.isEmpty() || RegistryValues.hasControl(apiPath) || apiPath.contains(" ")) {
            return "expected a path like " + STANDARD_TASKS_PATH + ", got " + RegistryValues.quote(apiPath);
        }
        try {
            URI path = new URI(apiPath.replace(APP, APP_TOKEN));
            if (path.getScheme() != null || path.getRawAuthority() != null || path.getRawFragment() != null) {
                return "expected a path like " + STANDARD_TASKS_PATH + " (no scheme or host), got " + RegistryValues.quote(apiPath);
            }
        } catch (URISyntaxException e) {
            return "expected a path like " + STANDARD_TASKS_PATH + ", got " + RegistryValues.quote(apiPath);
        }
        return null;
    }

    private static URI join(URI url, String apiPath) {
        return url.resolve(URI.create(apiPath.replace(APP, APP_TOKEN)));
    }

    static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        return URI.create(uri.getScheme() + "://" + uri.getHost() + port + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }

    private static URI stripSlash(URI uri) {
        String s = uri.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return URI.create(s);
    }

    /** {@code Basic ...} from the URL's user info, else from {@code credentials}, else null. */
    private static String authorization(URI url, String credentials) {
        String userInfo = url.getUserInfo() != null ? url.getUserInfo() : credentials;
        if (userInfo == null) {
            return null;
        }
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }
}
