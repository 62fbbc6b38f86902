package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.synapse.output.AtomicFiles;
import io.synapse.output.Commands;
import io.synapse.spi.Backend;
import io.synapse.spi.ConfigGenerator;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the whole haproxy.cfg from per-service sections that are cached and re-rendered only for
 * the services that changed; installs it only when it changed, after {@code check_command} passed,
 * atomically; then asks for a (rate-limited) reload.
 */
final class HaproxyGenerator implements ConfigGenerator {
    private static final Logger LOG = LoggerFactory.getLogger(HaproxyGenerator.class);
    private static final MustacheFactory MUSTACHE = new DefaultMustacheFactory("io/synapse/haproxy");
    private static final byte[] EMPTY = new byte[0];

    private final GlobalSettings global;
    private final Map<String, ServiceSettings> fileSettings;
    private final Map<String, JsonNode> fileSections;
    private final String defaultsMode;
    private final ServiceRenderer renderer;
    private final Mustache sharedTemplate;
    private final byte[] header;
    private final Map<String, byte[]> chunks = new LinkedHashMap<>();
    private final Map<String, ServerIds> ids = new HashMap<>();
    private final Map<JsonNode, ServiceSettings> overrideSettings = new HashMap<>();
    private final Reloader reloader;
    private final StateFile stateFile;
    private final RuntimeApi runtimeApi;
    /** What the running HAProxy loaded, per service: used to tell whether the socket can apply a change. */
    private final Map<String, RunningBackend> running = new HashMap<>();
    private final java.util.Set<String> warnedSharedFrontend = new java.util.HashSet<>();
    private byte[] shared = EMPTY;
    private boolean written;
    private long writes;

    HaproxyGenerator(GlobalSettings global, Map<String, ServiceSettings> fileSettings, Map<String, JsonNode> fileSections,
            String defaultsMode) {
        this.global = global;
        this.fileSettings = Map.copyOf(fileSettings);
        this.fileSections = Map.copyOf(fileSections);
        this.defaultsMode = defaultsMode;
        this.renderer = new ServiceRenderer(MUSTACHE.compile("service.mustache"), global);
        this.sharedTemplate = MUSTACHE.compile("shared-frontend.mustache");
        Map<String, Object> scope = new HashMap<>();
        scope.put("global", global.global());
        scope.put("defaults", global.defaults());
        List<Map<String, Object>> extra = new ArrayList<>();
        global.extraSections().forEach((h, lines) -> extra.add(Map.of("header", h, "lines", lines)));
        scope.put("extraSections", extra);
        StringWriter out = new StringWriter();
        MUSTACHE.compile("header.mustache").execute(out, scope);
        this.header = out.toString().getBytes(StandardCharsets.UTF_8);
        this.reloader = global.doReloads() ? new Reloader(global.reloadCommand(), global.restartInterval(), global.restartJitter()) : null;
        this.stateFile = global.stateFilePath() == null ? null : new StateFile(global.stateFilePath(), global.stateFileTtlSeconds());
        this.runtimeApi = global.doSocket() ? new RuntimeApi(global.socketFilePaths()) : null;
    }

    @Override
    public void checkServiceConfig(String service, JsonNode section, ConfigProblems problems) {
        ServiceSettings.parse(service, section, defaultsMode, problems);
    }

    private ServiceSettings settingsFor(ServiceView view) {
        ServiceSettings fromFile = fileSettings.get(view.name());
        JsonNode fileSection = fileSections.get(view.name());
        if (view.config() == null || view.config() == fileSection || view.config().equals(fileSection)) {
            return fromFile;
        }
        return overrideSettings.computeIfAbsent(view.config(), c -> {
            ServiceSettings s = ServiceSettings.parse(view.name(), c, defaultsMode, new ConfigProblems());
            return s != null ? s : fromFile;
        });
    }

    @Override
    public void update(GeneratorState state) throws IOException, InterruptedException {
        long nowSeconds = System.currentTimeMillis() / 1000;
        boolean changed = false;
        int rendered = 0;
        List<String> changedServices = new ArrayList<>();
        for (ServiceView view : state.services().values()) {
            if (!state.changed().contains(view.name()) && chunks.containsKey(view.name())) {
                continue;
            }
            ServiceSettings settings = settingsFor(view);
            byte[] bytes = settings == null || settings.disabled() ? EMPTY : render(view, settings, nowSeconds);
            rendered++;
            byte[] old = chunks.put(view.name(), bytes);
            if (old == null || !Arrays.equals(old, bytes)) {
                changed = true;
                changedServices.add(view.name());
            }
        }
        boolean removed = chunks.keySet().retainAll(state.services().keySet());
        changed |= removed;
        if (stateFile != null) {
            stateFile.retain(state.services().keySet());
        }
        byte[] newShared = renderShared(state);
        boolean sharedChanged = !Arrays.equals(newShared, shared);
        changed |= sharedChanged;
        shared = newShared;
        if (!changed && written) {
            return;
        }
        List<ByteBuffer> content = new ArrayList<>(chunks.size() + 2);
        content.add(ByteBuffer.wrap(header));
        long size = header.length;
        for (byte[] c : chunks.values()) {
            if (c.length > 0) {
                content.add(ByteBuffer.wrap(c));
                size += c.length;
            }
        }
        content.add(ByteBuffer.wrap(shared));
        size += shared.length;
        if (global.doWrites()) {
            Path target = global.configFilePath();
            if (!written && sameAsFile(target, content, size)) {
                LOG.info("haproxy: {} is already up to date", target);
                written = true;
                rememberRunning();
                return;
            }
            if (global.doChecks()) {
                check(content);
            }
            AtomicFiles.write(target, content);
            writes++;
            // synapse_generator_writes_total
            Counter.builder("synapse.generator.writes").tag("generator", "haproxy").description("Output files written")
                    .register(Metrics.globalRegistry).increment();
            LOG.info("haproxy: wrote {} ({} bytes, {} service(s) re-rendered)", target, size, rendered);
        }
        boolean applied = written && !removed && !sharedChanged && applyThroughSocket(changedServices);
        written = true;
        if (stateFile != null) {
            stateFile.saveIfNeeded(nowSeconds);
        }
        if (!applied) {
            rememberRunning();
            if (reloader != null) {
                reloader.request();
            }
        }
    }

    /** A service's section as HAProxy loaded it: everything but the server lines, and the server lines. */
    private record RunningBackend(String backendName, String skeleton, Map<String, String> servers, java.util.Set<String> maint) {
        static RunningBackend parse(String backendName, byte[] chunk) {
            StringBuilder skeleton = new StringBuilder();
            Map<String, String> servers = new LinkedHashMap<>();
            java.util.Set<String> maint = new java.util.HashSet<>();
            for (String line : new String(chunk, StandardCharsets.UTF_8).split("\n", -1)) {
                if (line.startsWith("\tserver ")) {
                    String name = line.substring(8, line.indexOf(' ', 8));
                    boolean disabled = line.endsWith(" disabled");
                    servers.put(name, disabled ? line.substring(0, line.length() - " disabled".length()) : line);
                    if (disabled) {
                        maint.add(name);
                    }
                } else {
                    skeleton.append(line).append('\n');
                }
            }
            return new RunningBackend(backendName, skeleton.toString(), servers, maint);
        }
    }

    private void rememberRunning() {
        running.clear();
        if (runtimeApi == null) {
            return;
        }
        chunks.forEach((service, chunk) -> {
            ServiceSettings s = fileSettings.get(service);
            if (chunk.length > 0 && s != null) {
                running.put(service, RunningBackend.parse(currentBackendName(service, chunk), chunk));
            }
        });
    }

    private static String currentBackendName(String service, byte[] chunk) {
        String text = new String(chunk, StandardCharsets.UTF_8);
        int i = text.indexOf("\nbackend ");
        return i < 0 ? service : text.substring(i + 9, text.indexOf('\n', i + 9));
    }

    /**
     * Applies the change through the runtime API when it only takes servers the running HAProxy
     * already has in or out of maintenance (a server that left, or came back with the same line);
     * anything else (a new server, other settings) needs a reload. Returns whether it was applied.
     */
    private boolean applyThroughSocket(List<String> changedServices) {
        if (runtimeApi == null || changedServices.isEmpty()) {
            return false;
        }
        List<String> commands = new ArrayList<>();
        Map<String, java.util.Set<String>> newMaint = new HashMap<>();
        for (String service : changedServices) {
            RunningBackend r = running.get(service);
            byte[] chunk = chunks.get(service);
            if (r == null || chunk == null || chunk.length == 0) {
                return false;
            }
            RunningBackend next = RunningBackend.parse(currentBackendName(service, chunk), chunk);
            if (!next.skeleton().equals(r.skeleton())) {
                return false;
            }
            for (Map.Entry<String, String> e : next.servers().entrySet()) {
                if (!e.getValue().equals(r.servers().get(e.getKey()))) {
                    return false;
                }
            }
            java.util.Set<String> maint = new java.util.HashSet<>();
            for (String server : r.servers().keySet()) {
                boolean wanted = next.servers().containsKey(server) && !next.maint().contains(server);
                if (!wanted) {
                    maint.add(server);
                }
                if (wanted == r.maint().contains(server)) {
                    commands.add("set server " + r.backendName() + "/" + server + " state " + (wanted ? "ready" : "maint"));
                }
            }
            newMaint.put(service, maint);
        }
        try {
            runtimeApi.run(commands);
        } catch (IOException e) {
            Metrics.counter("synapse.haproxy.runtime.updates", "result", "failed").increment();
            LOG.warn("haproxy: runtime API failed ({}); reloading instead", e.getMessage());
            return false;
        }
        Metrics.counter("synapse.haproxy.runtime.updates", "result", "ok").increment();
        newMaint.forEach((service, maint) -> {
            RunningBackend r = running.get(service);
            running.put(service, new RunningBackend(r.backendName(), r.skeleton(), r.servers(), maint));
        });
        LOG.info("haproxy: applied {} server change(s) through the runtime API, no reload needed", commands.size());
        return true;
    }

    private byte[] render(ServiceView view, ServiceSettings settings, long nowSeconds) {
        List<ServiceRenderer.Server> servers = new ArrayList<>(view.backends().size());
        for (Backend b : view.backends()) {
            servers.add(new ServiceRenderer.Server(b, false));
        }
        if (stateFile != null) {
            for (Backend b : stateFile.update(view.name(), view.backends(), nowSeconds)) {
                servers.add(new ServiceRenderer.Server(b, true));
            }
        }
        ServerIds serverIds = ids.computeIfAbsent(settings.backendName(), k -> {
            ServerIds fresh = new ServerIds(k, global.maxServerId());
            if (stateFile != null) {
                fresh.remember(stateFile.ids(view.name()));
            }
            return fresh;
        });
        byte[] bytes = renderer.render(view.name(), settings, servers, serverIds).getBytes(StandardCharsets.UTF_8);
        if (stateFile != null) {
            stateFile.rememberIds(view.name(), serverIds.current());
        }
        return bytes;
    }

    private byte[] renderShared(GeneratorState state) {
        if (global.sharedFrontend() == null) {
            // as Ruby: a service's shared_frontend lines need the top-level shared_frontend (its bind)
            for (ServiceView view : state.services().values()) {
                ServiceSettings s = settingsFor(view);
                if (s != null && !s.disabled() && s.sharedFrontend() != null && warnedSharedFrontend.add(view.name())) {
                    LOG.warn("service {}: haproxy.shared_frontend is skipped: the top-level haproxy section has no shared_frontend",
                            view.name());
                }
            }
            return EMPTY;
        }
        List<String> lines = new ArrayList<>(global.sharedFrontend());
        for (ServiceView view : state.services().values()) {
            ServiceSettings s = settingsFor(view);
            if (s != null && !s.disabled() && s.sharedFrontend() != null) {
                lines.addAll(s.sharedFrontend());
            }
        }
        StringWriter out = new StringWriter();
        sharedTemplate.execute(out, Map.of("lines", lines));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void check(List<ByteBuffer> content) throws IOException, InterruptedException {
        Path candidate = global.candidateConfigFilePath();
        AtomicFiles.write(candidate, content);
        Commands.Result r = Commands.run(global.checkCommand(), Duration.ofSeconds(120));
        if (!r.ok()) {
            throw new CandidateRejectedException("check_command rejected the new config (exit " + r.exitCode() + "): "
                    + r.summary() + "; " + global.configFilePath() + " was left as it was");
        }
    }

    private static boolean sameAsFile(Path target, List<ByteBuffer> content, long size) throws IOException {
        if (!Files.isRegularFile(target) || Files.size(target) != size) {
            return false;
        }
        byte[] onDisk = Files.readAllBytes(target);
        int offset = 0;
        for (ByteBuffer b : content) {
            ByteBuffer d = b.duplicate();
            int n = d.remaining();
            if (!ByteBuffer.wrap(onDisk, offset, n).equals(d)) {
                return false;
            }
            offset += n;
        }
        return true;
    }

    long writes() {
        return writes;
    }

    @Override
    public void close() {
        if (reloader != null) {
            reloader.close();
        }
    }

    /** The check command refused a candidate: the installed config was not touched. */
    static final class CandidateRejectedException extends IOException {
        CandidateRejectedException(String message) {
            super(message);
        }
    }
}
