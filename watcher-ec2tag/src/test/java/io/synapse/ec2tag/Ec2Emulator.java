package io.synapse.ec2tag;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * An in-process emulator of the EC2 Query API, enough of it for DescribeInstances: parses the
 * form-encoded POST ({@code Action}, {@code Version}, {@code Filter.N.Name}, {@code
 * Filter.N.Value.M}, {@code NextToken}, {@code MaxResults}), applies the filters the way EC2 does
 * (filters ANDed, values of one filter ORed, {@code *} and {@code ?} wildcards), pages the result
 * with an opaque {@code nextToken}, and answers in EC2's XML. Failures can be scripted: EC2
 * errors (throttling with HTTP 503), arbitrary bodies (malformed answers). Counts calls and keeps
 * every request for assertions.
 */
final class Ec2Emulator implements AutoCloseable {
    static final String NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private static final Pattern FILTER_NAME = Pattern.compile("Filter\\.(\\d+)\\.Name");
    private static final Pattern FILTER_VALUE = Pattern.compile("Filter\\.(\\d+)\\.Value\\.(\\d+)");

    /** One instance as EC2 describes it; {@code null} fields are left out of the XML. */
    record Inst(String id, String state, String privateIp, String publicIp, String privateDns, String publicDns,
                Map<String, String> tags) {
        Inst {
            requireNonNull(id, "id is null");
            requireNonNull(state, "state is null");
            tags = tags == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tags));
        }

        /** A running instance with derived DNS names and a public IP. */
        static Inst running(String id, String privateIp, Map<String, String> tags) {
            String dashed = privateIp.replace('.', '-');
            return new Inst(id, "running", privateIp, "54." + privateIp.substring(privateIp.indexOf('.') + 1),
                    "ip-" + dashed + ".ec2.internal", "ec2-54-" + dashed + ".compute-1.amazonaws.com", tags);
        }

        Inst withState(String newState) {
            return new Inst(id, newState, privateIp, publicIp, privateDns, publicDns, tags);
        }

        Inst withTags(Map<String, String> newTags) {
            return new Inst(id, state, privateIp, publicIp, privateDns, publicDns, newTags);
        }

        Inst withPrivateIp(String ip) {
            return new Inst(id, state, ip, publicIp, privateDns, publicDns, tags);
        }
    }

    /** What one request asked. */
    record Request(String action, String version, Map<String, List<String>> filters, String nextToken,
                   Integer maxResults, String accessKeyId) {}

    private record Reply(int status, String body) {}

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Inst> instances = new LinkedHashMap<>();
    private final Deque<Reply> scripted = new ArrayDeque<>();
    private final AtomicInteger describeCalls = new AtomicInteger();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile int pageSize = 1000;
    private volatile Consumer<Request> onRequest = r -> {};

    private Ec2Emulator(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "ec2-emulator");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    static Ec2Emulator start() {
        return start(0);
    }

    /** Starts on {@code port} (0: any free port). */
    static Ec2Emulator start(int port) {
        try {
            return new Ec2Emulator(port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    int port() {
        return server.getAddress().getPort();
    }

    synchronized Ec2Emulator put(Inst instance) {
        instances.put(instance.id(), instance);
        return this;
    }

    synchronized void remove(String id) {
        instances.remove(id);
    }

    synchronized Inst get(String id) {
        return instances.get(id);
    }

    /** EC2 returns at most this many instances per page, whatever MaxResults says. */
    void pageSize(int size) {
        this.pageSize = size;
    }

    /** The next {@code n} calls fail with {@code RequestLimitExceeded}, HTTP 503. */
    synchronized void throttleNext(int n) {
        for (int i = 0; i < n; i++) {
            scripted.add(new Reply(503, error("RequestLimitExceeded", "Request limit exceeded.")));
        }
    }

    /** The next call is answered with this status and body, whatever it asked. */
    synchronized void replyNext(int status, String body) {
        scripted.add(new Reply(status, body));
    }

    /** Called with every DescribeInstances request before it is answered (on the server's threads). */
    void onRequest(Consumer<Request> hook) {
        this.onRequest = requireNonNull(hook, "hook is null");
    }

    /** DescribeInstances calls so far (each page is one call). */
    int calls() {
        return describeCalls.get();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                send(exchange, 400, error("InvalidAction", "Only POST is supported here."));
                return;
            }
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> params = parseForm(body);
            String action = params.get("Action");
            if (!"DescribeInstances".equals(action)) {
                send(exchange, 400, error("InvalidAction", "The action " + action + " is not valid for this web service."));
                return;
            }
            describeCalls.incrementAndGet();
            Request request = new Request(action, params.get("Version"), filters(params), params.get("NextToken"),
                    params.containsKey("MaxResults") ? Integer.valueOf(params.get("MaxResults")) : null,
                    accessKeyId(exchange.getRequestHeaders().getFirst("Authorization")));
            requests.add(request);
            onRequest.accept(request);
            Reply reply;
            synchronized (this) {
                reply = scripted.poll();
            }
            if (reply == null) {
                reply = describe(request);
            }
            send(exchange, reply.status(), reply.body());
        }
    }

    private Reply describe(Request request) {
        if (!"2016-11-15".equals(request.version())) {
            return new Reply(400, error("InvalidParameterValue", "Unsupported version " + request.version()));
        }
        if (request.maxResults() != null && (request.maxResults() < 5 || request.maxResults() > 1000)) {
            return new Reply(400, error("InvalidParameterValue",
                    "Value ( " + request.maxResults() + " ) for parameter maxResults is invalid. Expecting a value greater than 5."));
        }
        for (String name : request.filters().keySet()) {
            if (!knownFilter(name)) {
                return new Reply(400, error("InvalidParameterValue", "The filter '" + name + "' is invalid"));
            }
        }
        List<Inst> matching = new ArrayList<>();
        synchronized (this) {
            for (Inst instance : instances.values()) {
                if (request.filters().entrySet().stream().allMatch(f -> matches(instance, f.getKey(), f.getValue()))) {
                    matching.add(instance);
                }
            }
        }
        int offset = 0;
        if (request.nextToken() != null) {
            try {
                String decoded = new String(Base64.getDecoder().decode(request.nextToken()), StandardCharsets.UTF_8);
                offset = Integer.parseInt(decoded.substring(decoded.indexOf(':') + 1));
            } catch (IllegalArgumentException e) {
                return new Reply(400, error("InvalidParameterValue", "Invalid value '" + request.nextToken() + "' for nextToken"));
            }
        }
        int limit = Math.min(pageSize, request.maxResults() == null ? 1000 : request.maxResults());
        int end = Math.min(matching.size(), offset + limit);
        List<Inst> page = offset < matching.size() ? matching.subList(offset, end) : List.of();
        String next = end < matching.size()
                ? Base64.getEncoder().encodeToString(("v1:" + end).getBytes(StandardCharsets.UTF_8))
                : null;
        return new Reply(200, describeXml(page, next));
    }

    /** The DescribeInstances answer EC2 gives: one reservation per instance. */
    static String describeXml(List<Inst> page, String nextToken) {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.append("<DescribeInstancesResponse xmlns=\"").append(NAMESPACE).append("\">\n");
        xml.append("    <requestId>").append(UUID.randomUUID()).append("</requestId>\n");
        xml.append("    <reservationSet>\n");
        for (Inst instance : page) {
            xml.append("        <item>\n");
            xml.append("            <reservationId>r-").append(esc(instance.id().replace("i-", ""))).append("</reservationId>\n");
            xml.append("            <ownerId>123456789012</ownerId>\n");
            xml.append("            <groupSet/>\n");
            xml.append("            <instancesSet>\n");
            xml.append("                <item>\n");
            xml.append("                    <instanceId>").append(esc(instance.id())).append("</instanceId>\n");
            xml.append("                    <imageId>ami-0abcdef1234567890</imageId>\n");
            xml.append("                    <instanceState>\n");
            xml.append("                        <code>").append(stateCode(instance.state())).append("</code>\n");
            xml.append("                        <name>").append(esc(instance.state())).append("</name>\n");
            xml.append("                    </instanceState>\n");
            element(xml, "privateDnsName", instance.privateDns());
            element(xml, "dnsName", instance.publicDns());
            xml.append("                    <instanceType>m5.large</instanceType>\n");
            xml.append("                    <placement><availabilityZone>us-east-1a</availabilityZone><tenancy>default</tenancy></placement>\n");
            element(xml, "privateIpAddress", instance.privateIp());
            element(xml, "ipAddress", instance.publicIp());
            if (!instance.tags().isEmpty()) {
                xml.append("                    <tagSet>\n");
                instance.tags().forEach((k, v) -> xml.append("                        <item><key>").append(esc(k))
                        .append("</key><value>").append(esc(v)).append("</value></item>\n"));
                xml.append("                    </tagSet>\n");
            }
            xml.append("                </item>\n");
            xml.append("            </instancesSet>\n");
            xml.append("        </item>\n");
        }
        xml.append("    </reservationSet>\n");
        if (nextToken != null) {
            xml.append("    <nextToken>").append(esc(nextToken)).append("</nextToken>\n");
        }
        xml.append("</DescribeInstancesResponse>\n");
        return xml.toString();
    }

    /** EC2's error envelope. */
    static String error(String code, String message) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + esc(code) + "</Code><Message>"
                + esc(message) + "</Message></Error></Errors><RequestID>" + UUID.randomUUID() + "</RequestID></Response>";
    }

    private static void element(StringBuilder xml, String name, String value) {
        if (value != null) {
            xml.append("                    <").append(name).append('>').append(esc(value)).append("</").append(name).append(">\n");
        }
    }

    private static int stateCode(String state) {
        return switch (state) {
            case "pending" -> 0;
            case "running" -> 16;
            case "shutting-down" -> 32;
            case "terminated" -> 48;
            case "stopping" -> 64;
            case "stopped" -> 80;
            default -> 0;
        };
    }

    private static boolean knownFilter(String name) {
        return name.startsWith("tag:") || List.of("instance-state-name", "instance-id", "private-ip-address", "ip-address",
                "private-dns-name", "dns-name", "tag-key", "tag-value", "instance-type", "availability-zone").contains(name);
    }

    private static boolean matches(Inst instance, String name, List<String> values) {
        if (name.startsWith("tag:")) {
            String value = instance.tags().get(name.substring(4));
            return value != null && anyGlob(values, value);
        }
        return switch (name) {
            case "instance-state-name" -> anyGlob(values, instance.state());
            case "instance-id" -> anyGlob(values, instance.id());
            case "private-ip-address" -> instance.privateIp() != null && anyGlob(values, instance.privateIp());
            case "ip-address" -> instance.publicIp() != null && anyGlob(values, instance.publicIp());
            case "private-dns-name" -> instance.privateDns() != null && anyGlob(values, instance.privateDns());
            case "dns-name" -> instance.publicDns() != null && anyGlob(values, instance.publicDns());
            case "tag-key" -> instance.tags().keySet().stream().anyMatch(k -> anyGlob(values, k));
            case "tag-value" -> instance.tags().values().stream().anyMatch(v -> anyGlob(values, v));
            case "instance-type" -> anyGlob(values, "m5.large");
            case "availability-zone" -> anyGlob(values, "us-east-1a");
            default -> false;
        };
    }

    private static boolean anyGlob(List<String> globs, String value) {
        for (String glob : globs) {
            StringBuilder regex = new StringBuilder();
            for (char c : glob.toCharArray()) {
                regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
            }
            if (value.matches(regex.toString())) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, List<String>> filters(Map<String, String> params) {
        Map<Integer, String> names = new TreeMap<>();
        Map<Integer, Map<Integer, String>> values = new TreeMap<>();
        params.forEach((k, v) -> {
            var name = FILTER_NAME.matcher(k);
            if (name.matches()) {
                names.put(Integer.valueOf(name.group(1)), v);
            }
            var value = FILTER_VALUE.matcher(k);
            if (value.matches()) {
                values.computeIfAbsent(Integer.valueOf(value.group(1)), i -> new TreeMap<>()).put(Integer.valueOf(value.group(2)), v);
            }
        });
        Map<String, List<String>> filters = new LinkedHashMap<>();
        names.forEach((i, name) -> filters.put(name, List.copyOf(values.getOrDefault(i, Map.of()).values())));
        return filters;
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(key, value);
        }
        return params;
    }

    private static String accessKeyId(String authorization) {
        // AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, SignedHeaders=..., Signature=...
        if (authorization == null) {
            return null;
        }
        int start = authorization.indexOf("Credential=");
        if (start < 0) {
            return null;
        }
        int end = authorization.indexOf('/', start);
        return end < 0 ? null : authorization.substring(start + "Credential=".length(), end);
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/xml;charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                case '\n' -> out.append("&#10;");
                case '\r' -> out.append("&#13;");
                case '\t' -> out.append("&#9;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
