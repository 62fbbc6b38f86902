package io.synapse.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * An in-process emulator of the parts of Marathon's REST API that synapse uses, on 127.0.0.1 and
 * a free port, answering with Marathon's documented JSON:
 * <ul>
 *   <li>{@code GET /v2/apps[?embed=apps.tasks]}: {@code {"apps": [...]}};</li>
 *   <li>{@code GET /v2/apps/<id>[?embed=app.tasks]}: {@code {"app": {...}}}, 404 {@code {"message":
 *       "App '/x' does not exist"}};</li>
 *   <li>{@code GET /v2/apps/<id>/tasks}: {@code {"tasks": [...]}};</li>
 *   <li>{@code GET /v2/events} with {@code Accept: text/event-stream}: server-sent events
 *       ({@code event: <type>} and {@code data: <json>} lines), filtered by {@code event_type}
 *       parameters, starting with {@code event_stream_attached}.</li>
 * </ul>
 * Apps are created the way Marathon stores them (absolute ids, service ports assigned from 10000,
 * health checks defaulted to HTTP on port index 0); creating, scaling and destroying an app runs a
 * deployment that emits {@code api_post_event}, {@code deployment_info}, task {@code
 * status_update_event}s, {@code app_terminated_event} and {@code deployment_success}. Tasks can be
 * started, killed, moved and made (un)healthy one by one, with their events, or silently (an event
 * missed). Failures: streams cut or refused, every request answered 503 (no leader), bodies that
 * are not JSON, basic auth required. Requests are counted for assertions.
 *
 * <p>Everything here is thread-safe; events go out in the order of the calls that cause them.
 */
public final class MarathonEmulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        // Marathon's Jetty answers with TCP_NODELAY; the JDK's server does only when asked (read once, when
        // its first server starts). Without it every small answer waits ~40 ms for a delayed ACK.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private static final List<String> AGENTS = List.of("10.0.1.1", "10.0.1.2", "10.0.1.3");

    private final HttpServer server;
    private final ExecutorService executor;
    private final String prefix;
    private final Map<String, App> apps = new TreeMap<>();
    private final List<Stream> streams = new CopyOnWriteArrayList<>();
    private final AtomicInteger fullReads = new AtomicInteger();
    private final AtomicInteger appReads = new AtomicInteger();
    private final AtomicInteger taskReads = new AtomicInteger();
    private final AtomicInteger streamConnects = new AtomicInteger();
    private final AtomicInteger unauthorized = new AtomicInteger();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private int nextServicePort = 10000;
    private int nextHostPort = 31000;
    private int nextAgent;
    private boolean silent;
    private volatile boolean unavailable;
    private volatile boolean garbage;
    private volatile boolean streamsRefused;
    private volatile boolean autoHealthy = true;
    private volatile String authorization;

    private static final class App {
        ObjectNode definition;
        final Map<String, ObjectNode> tasks = new LinkedHashMap<>();

        App(ObjectNode definition) {
            this.definition = definition;
        }
    }

    private record Stream(OutputStream out, Set<String> types) {}

    private MarathonEmulator(String prefix) throws IOException {
        this.prefix = prefix;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "marathon-emulator");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext(prefix.isEmpty() ? "/" : prefix, this::handle);
        server.start();
    }

    /** A Marathon at {@link #url()}. */
    public static MarathonEmulator start() {
        return start("");
    }

    /** A Marathon serving its API under {@code prefix} ({@code /service/marathon}, as behind DC/OS's admin router). */
    public static MarathonEmulator start(String prefix) {
        try {
            return new MarathonEmulator(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://127.0.0.1:<port><prefix>} */
    public String url() {
        return "http://127.0.0.1:" + port() + prefix;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        cutStreams();
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- failure modes --------------------------------------------------------------------

    /** Every request must carry these credentials (HTTP basic auth) or gets 401. */
    public void requireBasicAuth(String user, String password) {
        authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Ends every open event stream. */
    public void cutStreams() {
        for (Stream s : streams) {
            closeStream(s);
        }
    }

    /** While true, {@code /v2/events} answers 503 (the REST API keeps working). */
    public void refuseStreams(boolean refused) {
        streamsRefused = refused;
        if (refused) {
            cutStreams();
        }
    }

    /** While true, every request answers 503 {@code {"message": "..."}}, as Marathon without a leader; streams are cut. */
    public void setUnavailable(boolean down) {
        unavailable = down;
        if (down) {
            cutStreams();
        }
    }

    /** While true, the REST API answers 200 with an HTML page instead of JSON (a misconfigured proxy). */
    public void setGarbage(boolean on) {
        garbage = on;
    }

    /** Whether new tasks of apps with health checks start healthy (with a result and an event); default true. */
    public void setAutoHealthy(boolean on) {
        autoHealthy = on;
    }

    // ---- apps and tasks -------------------------------------------------------------------

    /**
     * Creates an app from Marathon app JSON (as POSTed to {@code /v2/apps}) and deploys its {@code
     * instances} tasks on agents 10.0.1.1-3 with host ports from 31000. Returns the app id.
     */
    public synchronized String createApp(String appJson) {
        ObjectNode def = normalize(parse(appJson));
        String id = def.get("id").asText();
        if (apps.containsKey(id)) {
            throw new IllegalArgumentException("app " + id + " exists");
        }
        App app = new App(def);
        apps.put(id, app);
        String deployment = UUID.randomUUID().toString();
        emit("api_post_event", obj().put("clientIp", "127.0.0.1").put("uri", "/v2/apps").set("appDefinition", def.deepCopy()));
        emit("deployment_info", deployment(deployment, "StartApplication", id));
        for (int i = 0; i < def.path("instances").asInt(1); i++) {
            launch(app, null, null);
        }
        emit("deployment_success", deployment(deployment, "StartApplication", id));
        return id;
    }

    /** Replaces an app's definition (labels, ports...) keeping its tasks, as a PUT without restart would. */
    public synchronized void updateApp(String appJson) {
        ObjectNode def = normalize(parse(appJson));
        App app = app(def.get("id").asText());
        def.put("instances", app.tasks.size());
        app.definition = def;
        String deployment = UUID.randomUUID().toString();
        emit("api_post_event", obj().put("clientIp", "127.0.0.1").put("uri", "/v2/apps" + def.get("id").asText())
                .set("appDefinition", def.deepCopy()));
        emit("deployment_info", deployment(deployment, "RestartApplication", def.get("id").asText()));
        emit("deployment_success", deployment(deployment, "RestartApplication", def.get("id").asText()));
    }

    /** Scales to {@code instances}: launches new tasks or kills the newest ones. */
    public synchronized void scale(String appId, int instances) {
        App app = app(appId);
        String id = app.definition.get("id").asText();
        app.definition.put("instances", instances);
        String deployment = UUID.randomUUID().toString();
        emit("api_post_event", obj().put("clientIp", "127.0.0.1").put("uri", "/v2/apps" + id).set("appDefinition", app.definition.deepCopy()));
        emit("deployment_info", deployment(deployment, "ScaleApplication", id));
        while (app.tasks.size() < instances) {
            launch(app, null, null);
        }
        while (app.tasks.size() > instances) {
            List<String> ids = new ArrayList<>(app.tasks.keySet());
            kill(app, ids.get(ids.size() - 1));
        }
        emit("deployment_success", deployment(deployment, "ScaleApplication", id));
    }

    /** Destroys an app: its tasks are killed and it is gone. */
    public synchronized void destroyApp(String appId) {
        App app = app(appId);
        String id = app.definition.get("id").asText();
        String deployment = UUID.randomUUID().toString();
        emit("api_post_event", obj().put("clientIp", "127.0.0.1").put("uri", "/v2/apps" + id).set("appDefinition", app.definition.deepCopy()));
        emit("deployment_info", deployment(deployment, "StopApplication", id));
        for (String task : new ArrayList<>(app.tasks.keySet())) {
            kill(app, task);
        }
        apps.remove(id);
        emit("app_terminated_event", obj().put("appId", id));
        emit("deployment_success", deployment(deployment, "StopApplication", id));
    }

    /** Starts a task of {@code appId} on {@code host} with these host ports (TASK_RUNNING). Returns its id. */
    public synchronized String startTask(String appId, String host, int... ports) {
        return launch(app(appId), host, ports);
    }

    /** Kills a task (TASK_KILLED): it is gone. */
    public synchronized void killTask(String taskId) {
        kill(appOfTask(taskId), taskId);
    }

    /** Moves a task: it is killed and a new one starts on {@code host} with {@code ports}. Returns the new id. */
    public synchronized String moveTask(String taskId, String host, int... ports) {
        App app = appOfTask(taskId);
        kill(app, taskId);
        return launch(app, host, ports);
    }

    /** Sets a task's health-check result (its app must have health checks); emits health_status_changed_event. */
    public synchronized void setHealth(String taskId, boolean alive) {
        App app = appOfTask(taskId);
        ObjectNode task = app.tasks.get(taskId);
        task.set("healthCheckResults", JSON.createArrayNode().add(healthResult(taskId, alive)));
        emit("health_status_changed_event", obj().put("appId", app.definition.get("id").asText()).put("taskId", taskId)
                .put("instanceId", taskId).put("version", app.definition.get("version").asText()).put("alive", alive));
    }

    /** Sets a task's Mesos state (say TASK_KILLING) and emits its status_update_event. */
    public synchronized void setState(String taskId, String state) {
        App app = appOfTask(taskId);
        ObjectNode task = app.tasks.get(taskId);
        task.put("state", state);
        statusUpdate(app, task, state);
    }

    /** Drops a task's health-check results without an event, as Marathon does for a while after a leader change. */
    public synchronized void forgetHealth(String taskId) {
        appOfTask(taskId).tasks.get(taskId).remove("healthCheckResults");
    }

    /** Runs {@code change} (calls on this emulator) without emitting any event: as if the stream missed them. */
    public synchronized void silently(Runnable change) {
        silent = true;
        try {
            change.run();
        } finally {
            silent = false;
        }
    }

    /** Emits any event: {@code json} is the event's fields (eventType and timestamp are added). */
    public synchronized void emitRaw(String eventType, String json) {
        emit(eventType, (ObjectNode) parse(json));
    }

    /** The app's task ids, oldest first. */
    public synchronized List<String> taskIds(String appId) {
        return List.copyOf(app(appId).tasks.keySet());
    }

    /** {@code host:port} (first port) of a task. */
    public synchronized String address(String taskId) {
        ObjectNode task = appOfTask(taskId).tasks.get(taskId);
        return task.get("host").asText() + ":" + task.get("ports").path(0).asInt();
    }

    // ---- counters -------------------------------------------------------------------------

    /** {@code GET /v2/apps} (every app) calls. */
    public int fullReads() {
        return fullReads.get();
    }

    /** {@code GET /v2/apps/<id>} calls. */
    public int appReads() {
        return appReads.get();
    }

    /** {@code GET /v2/apps/<id>/tasks} calls. */
    public int taskReads() {
        return taskReads.get();
    }

    /** Accepted {@code /v2/events} connections. */
    public int streamConnects() {
        return streamConnects.get();
    }

    /** Event streams open now. */
    public int openStreams() {
        return streams.size();
    }

    /** Requests answered 401. */
    public int unauthorized() {
        return unauthorized.get();
    }

    /** Every request's method, path and query, in order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    public void resetCounters() {
        fullReads.set(0);
        appReads.set(0);
        taskReads.set(0);
        streamConnects.set(0);
        unauthorized.set(0);
        requests.clear();
    }

    // ---- internals: state -----------------------------------------------------------------

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ObjectNode obj() {
        return JSON.createObjectNode();
    }

    private App app(String appId) {
        String id = appId.startsWith("/") ? appId : "/" + appId;
        App app = apps.get(id);
        if (app == null) {
            throw new IllegalArgumentException("no app " + id);
        }
        return app;
    }

    private App appOfTask(String taskId) {
        for (App app : apps.values()) {
            if (app.tasks.containsKey(taskId)) {
                return app;
            }
        }
        throw new IllegalArgumentException("no task " + taskId);
    }

    /** Fills in what Marathon fills in: absolute id, labels, instances, service ports, health-check defaults, version. */
    private ObjectNode normalize(JsonNode input) {
        ObjectNode def = ((ObjectNode) input).deepCopy();
        String id = requireNonNull(def.path("id").textValue(), "app id is required");
        def.put("id", id.startsWith("/") ? id : "/" + id);
        if (!def.has("labels")) {
            def.set("labels", obj());
        }
        if (!def.has("instances")) {
            def.put("instances", 1);
        }
        ArrayNode mappings = portMappings(def);
        if (mappings != null) {
            for (JsonNode m : mappings) {
                if (m.path("servicePort").asInt(0) == 0) {
                    ((ObjectNode) m).put("servicePort", nextServicePort++);
                } else {
                    nextServicePort = Math.max(nextServicePort, m.get("servicePort").asInt() + 1);
                }
            }
        } else {
            if (!def.has("portDefinitions")) {
                def.set("portDefinitions", JSON.createArrayNode().add(obj().put("port", 0).put("protocol", "tcp")));
            }
            for (JsonNode d : def.get("portDefinitions")) {
                if (d.path("port").asInt(0) == 0) {
                    ((ObjectNode) d).put("port", nextServicePort++);
                } else {
                    nextServicePort = Math.max(nextServicePort, d.get("port").asInt() + 1);
                }
            }
        }
        if (!def.has("healthChecks")) {
            def.set("healthChecks", JSON.createArrayNode());
        }
        for (JsonNode c : def.get("healthChecks")) {
            ObjectNode check = (ObjectNode) c;
            if (!check.has("protocol")) {
                check.put("protocol", "HTTP");
            }
            if (!check.has("port") && !check.has("portIndex")) {
                check.put("portIndex", 0);
            }
            if (check.get("protocol").asText().contains("HTTP") && !check.has("path")) {
                check.put("path", "/");
            }
            check.put("gracePeriodSeconds", check.path("gracePeriodSeconds").asInt(300));
            check.put("intervalSeconds", check.path("intervalSeconds").asInt(60));
            check.put("maxConsecutiveFailures", check.path("maxConsecutiveFailures").asInt(3));
            check.put("timeoutSeconds", check.path("timeoutSeconds").asInt(20));
        }
        def.put("version", Instant.now().toString());
        return def;
    }

    private static ArrayNode portMappings(ObjectNode def) {
        JsonNode docker = def.path("container").path("docker").path("portMappings");
        if (docker.isArray() && !docker.isEmpty()) {
            return (ArrayNode) docker;
        }
        JsonNode mesos = def.path("container").path("portMappings");
        return mesos.isArray() && !mesos.isEmpty() ? (ArrayNode) mesos : null;
    }

    private int portCount(ObjectNode def) {
        ArrayNode mappings = portMappings(def);
        return mappings != null ? mappings.size() : def.path("portDefinitions").size();
    }

    private String launch(App app, String host, int[] ports) {
        ObjectNode def = app.definition;
        String id = def.get("id").asText();
        if (host == null) {
            host = AGENTS.get(nextAgent++ % AGENTS.size());
        }
        if (ports == null) {
            ports = new int[portCount(def)];
            for (int i = 0; i < ports.length; i++) {
                ports[i] = nextHostPort++;
            }
        }
        String taskId = id.substring(1).replace('/', '_') + "." + UUID.randomUUID();
        String now = Instant.now().toString();
        ObjectNode task = obj().put("id", taskId).put("appId", id).put("host", host).put("slaveId", "agent-" + host)
                .put("stagedAt", now).put("startedAt", now).put("version", def.get("version").asText())
                .put("state", "TASK_RUNNING");
        ArrayNode p = task.putArray("ports");
        for (int port : ports) {
            p.add(port);
        }
        ArrayNode servicePorts = task.putArray("servicePorts");
        ArrayNode mappings = portMappings(def);
        for (JsonNode m : mappings != null ? mappings : def.path("portDefinitions")) {
            servicePorts.add(m.has("servicePort") ? m.get("servicePort").asInt() : m.path("port").asInt());
        }
        task.putArray("ipAddresses").add(obj().put("ipAddress", host).put("protocol", "IPv4"));
        app.tasks.put(taskId, task);
        statusUpdate(app, task, "TASK_RUNNING");
        if (autoHealthy && !def.get("healthChecks").isEmpty()) {
            setHealth(taskId, true);
        }
        return taskId;
    }

    private void kill(App app, String taskId) {
        ObjectNode task = app.tasks.remove(taskId);
        task.put("state", "TASK_KILLED");
        statusUpdate(app, task, "TASK_KILLED");
    }

    private void statusUpdate(App app, ObjectNode task, String status) {
        emit("status_update_event", obj().put("slaveId", task.get("slaveId").asText()).put("taskId", task.get("id").asText())
                .put("taskStatus", status).put("message", "").put("appId", app.definition.get("id").asText())
                .put("host", task.get("host").asText()).<ObjectNode>set("ports", task.get("ports").deepCopy())
                .<ObjectNode>set("ipAddresses", task.get("ipAddresses").deepCopy())
                .put("version", app.definition.get("version").asText()));
    }

    private ObjectNode healthResult(String taskId, boolean alive) {
        String now = Instant.now().toString();
        ObjectNode r = obj().put("alive", alive).put("consecutiveFailures", alive ? 0 : 3).put("taskId", taskId).put("instanceId", taskId);
        if (alive) {
            r.put("firstSuccess", now).put("lastSuccess", now);
        } else {
            r.put("lastFailure", now).put("lastFailureCause", "500 Internal Server Error");
        }
        return r;
    }

    private static ObjectNode deployment(String id, String action, String appId) {
        ObjectNode actionNode = obj().put("action", action).put("app", appId);
        ObjectNode plan = obj().put("id", id).put("version", Instant.now().toString());
        plan.putArray("steps").add(obj().set("actions", JSON.createArrayNode().add(actionNode)));
        ObjectNode event = obj();
        event.set("plan", plan);
        event.set("currentStep", obj().set("actions", JSON.createArrayNode().add(actionNode.deepCopy())));
        return event;
    }

    private void emit(String type, ObjectNode fields) {
        if (silent) {
            return;
        }
        ObjectNode event = obj();
        event.setAll(fields);
        event.put("eventType", type).put("timestamp", Instant.now().toString());
        String text = "event: " + type + "\ndata: " + event + "\n\n";
        for (Stream s : streams) {
            if (s.types.isEmpty() || s.types.contains(type)) {
                write(s, text);
            }
        }
    }

    private void write(Stream s, String text) {
        try {
            synchronized (s) {
                s.out.write(text.getBytes(StandardCharsets.UTF_8));
                s.out.flush();
            }
        } catch (IOException e) {
            closeStream(s);
        }
    }

    private void closeStream(Stream s) {
        streams.remove(s);
        try {
            synchronized (s) {
                s.out.close();
            }
        } catch (IOException e) {
            // gone already
        }
    }

    // ---- internals: HTTP ------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath().substring(prefix.length());
        String query = exchange.getRequestURI().getRawQuery();
        requests.add(exchange.getRequestMethod() + " " + path + (query == null ? "" : "?" + query));
        try {
            if (authorization != null && !authorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                unauthorized.incrementAndGet();
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"Mesosphere\"");
                reply(exchange, 401, obj().put("message", "Invalid username or password."));
                return;
            }
            if (unavailable) {
                reply(exchange, 503, obj().put("message", "Could not determine the current leader"));
                return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
                reply(exchange, 405, obj().put("message", "only GET is emulated"));
                return;
            }
            if (path.equals("/v2/events")) {
                events(exchange, query);
                return;
            }
            if (garbage) {
                byte[] body = "<html><body><h1>502 Bad Gateway</h1></body></html>".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "text/html");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
                return;
            }
            Set<String> embed = params(query, "embed");
            if (path.equals("/v2/apps") || path.equals("/v2/apps/")) {
                fullReads.incrementAndGet();
                ObjectNode body = obj();
                ArrayNode list = body.putArray("apps");
                synchronized (this) {
                    for (App app : apps.values()) {
                        list.add(render(app, embed.contains("apps.tasks")));
                    }
                }
                reply(exchange, 200, body);
                return;
            }
            if (path.startsWith("/v2/apps/")) {
                String id = path.substring("/v2/apps".length());
                ObjectNode body;
                int status = 200;
                synchronized (this) {
                    if (id.endsWith("/tasks") && apps.containsKey(id.substring(0, id.length() - "/tasks".length()))) {
                        taskReads.incrementAndGet();
                        App app = apps.get(id.substring(0, id.length() - "/tasks".length()));
                        body = obj();
                        ArrayNode tasks = body.putArray("tasks");
                        app.tasks.values().forEach(t -> tasks.add(t.deepCopy()));
                    } else {
                        if (id.endsWith("/tasks")) {
                            taskReads.incrementAndGet();
                            id = id.substring(0, id.length() - "/tasks".length());
                        } else {
                            appReads.incrementAndGet();
                        }
                        App app = apps.get(id);
                        if (app == null) {
                            status = 404;
                            body = obj().put("message", "App '" + id + "' does not exist");
                        } else {
                            body = obj();
                            body.set("app", render(app, embed.contains("app.tasks")));
                        }
                    }
                }
                reply(exchange, status, body);
                return;
            }
            reply(exchange, 404, obj().put("message", "not found: " + path));
        } catch (IOException | RuntimeException e) {
            exchange.close();
        }
    }

    private ObjectNode render(App app, boolean withTasks) {
        ObjectNode out = app.definition.deepCopy();
        int healthy = 0;
        int unhealthy = 0;
        for (ObjectNode t : app.tasks.values()) {
            JsonNode results = t.path("healthCheckResults");
            if (results.isArray() && !results.isEmpty()) {
                if (results.get(0).path("alive").asBoolean()) {
                    healthy++;
                } else {
                    unhealthy++;
                }
            }
        }
        out.put("tasksStaged", 0).put("tasksRunning", app.tasks.size()).put("tasksHealthy", healthy).put("tasksUnhealthy", unhealthy);
        out.putArray("deployments");
        if (withTasks) {
            ArrayNode tasks = out.putArray("tasks");
            app.tasks.values().forEach(t -> tasks.add(t.deepCopy()));
        }
        return out;
    }

    private void events(HttpExchange exchange, String query) throws IOException {
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            reply(exchange, 405, obj().put("message", "HTTP method GET is not supported by this URL"));
            return;
        }
        if (streamsRefused) {
            reply(exchange, 503, obj().put("message", "event stream unavailable"));
            return;
        }
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().add("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        Stream s = new Stream(exchange.getResponseBody(), params(query, "event_type"));
        synchronized (this) {
            streamConnects.incrementAndGet();
            streams.add(s);
            ObjectNode attached = obj().put("remoteAddress", exchange.getRemoteAddress().getAddress().getHostAddress())
                    .put("eventType", "event_stream_attached").put("timestamp", Instant.now().toString());
            if (s.types.isEmpty() || s.types.contains("event_stream_attached")) {
                write(s, "event: event_stream_attached\ndata: " + attached + "\n\n");
            }
        }
    }

    private static Set<String> params(String query, String name) {
        Set<String> out = new HashSet<>();
        if (query == null) {
            return out;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
                out.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static void reply(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json; qs=2");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
