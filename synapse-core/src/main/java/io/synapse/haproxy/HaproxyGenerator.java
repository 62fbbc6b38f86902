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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the whole haproxy.cfg from per-service sections that are kept and re-rendered only for
 * the services that changed (and within them, only the servers that changed); brings the running
 * HAProxy up to date through {@link HaproxyControl} (runtime API first, a reload when needed); and
 * installs the file when it changed, after {@code check_command} passed, atomically.
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
    /** Every service in file order, with its section (null for a disabled one). */
    private final Map<String, ServiceSection> order = new LinkedHashMap<>();
    /** The rendered section of every service that is not disabled. */
    private final Map<String, ServiceSection> sections = new LinkedHashMap<>();
    private final Map<String, ServerIds> ids = new HashMap<>();
    private final Map<JsonNode, ServiceSettings> overrideSettings = new HashMap<>();
    private final StateFile stateFile;
    private final HaproxyControl control;
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
        this.stateFile = global.stateFilePath() == null ? null : new StateFile(global.stateFilePath(), global.stateFileTtlSeconds());
        this.control = new HaproxyControl(global, () -> sections);
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
        // one lock for rendering, the runtime API, the file and reloads: a reload loads the file this model describes
        control.lock().lockInterruptibly();
        try {
            updateLocked(state);
        } finally {
            control.lock().unlock();
        }
    }

    private void updateLocked(GeneratorState state) throws IOException, InterruptedException {
        long nowSeconds = System.currentTimeMillis() / 1000;
        boolean changed = false;
        int rendered = 0;
        List<ServiceSection> changedSections = new ArrayList<>();
        for (ServiceView view : state.services().values()) {
            if (!state.changed().contains(view.name()) && order.containsKey(view.name())) {
                continue;
            }
            ServiceSettings settings = settingsFor(view);
            ServiceSection section = null;
            if (settings == null || settings.disabled()) {
                sections.remove(view.name());
            } else {
                section = render(view, settings, nowSeconds);
                changedSections.add(section);
            }
            rendered++;
            boolean known = order.containsKey(view.name());
            ServiceSection old = order.put(view.name(), section);
            if (!known || old != section || section != null && section.outputChanged()) {
                changed = true;
            }
        }
        boolean removed = order.keySet().retainAll(state.services().keySet());
        sections.keySet().retainAll(state.services().keySet());
        changed |= removed;
        if (stateFile != null) {
            stateFile.retain(state.services().keySet());
        }
        byte[] newShared = renderShared(state);
        changed |= !Arrays.equals(newShared, shared);
        shared = newShared;
        if (!changed && written) {
            return;
        }
        long size = header.length + shared.length;
        for (ServiceSection s : order.values()) {
            if (s != null) {
                size += s.byteSize();
            }
        }
        byte[] sharedNow = shared;
        AtomicFiles.Content content = out -> {
            out.write(header);
            for (ServiceSection s : order.values()) {
                if (s != null) {
                    s.writeTo(out);
                }
            }
            out.write(sharedNow);
        };
        Path target = global.configFilePath();
        if (!written) {
            if (global.doWrites() && AtomicFiles.sameAs(target, content, size)) {
                LOG.info("haproxy: {} is already up to date", target);
                written = true;
                control.assumeRunning(shared);
                return;
            }
            control.unknownRunning("synapse started and " + (global.doWrites() ? target + " had other contents" : "does not write the file"));
        }
        // the runtime API first (a change reaches HAProxy in a millisecond), then the file
        control.apply(changedSections, shared);
        if (global.doWrites()) {
            long t0 = System.nanoTime();
            if (global.doChecks()) {
                check(content);
            }
            AtomicFiles.write(target, content);
            writes++;
            // synapse_generator_writes_total
            Counter.builder("synapse.generator.writes").tag("generator", "haproxy").description("Output files written")
                    .register(Metrics.globalRegistry).increment();
            LOG.info("haproxy: wrote {} ({} bytes, {} service(s) re-rendered) in {} ms", target, size, rendered,
                    String.format("%.1f", (System.nanoTime() - t0) / 1e6));
        }
        written = true;
        control.installed();
        if (stateFile != null) {
            stateFile.saveIfNeeded(nowSeconds);
        }
    }

    private ServiceSection render(ServiceView view, ServiceSettings settings, long nowSeconds) {
        // the state file's servers that are gone but remembered come last, disabled
        List<Backend> remembered = stateFile == null ? List.of() : stateFile.update(view.name(), view.backends(), nowSeconds);
        ServiceSection.Servers servers = ServiceSection.Servers.of(view.backends(), remembered);
        ServerIds serverIds = ids.computeIfAbsent(settings.backendName(), k -> {
            ServerIds fresh = new ServerIds(k, global.maxServerId());
            if (stateFile != null) {
                fresh.remember(stateFile.ids(view.name()));
            }
            return fresh;
        });
        ServiceSection section = sections.get(view.name());
        if (section == null || section.settings() != settings) {
            section = new ServiceSection(renderer, view.name(), settings, BackendTraits.of(global.defaults(), settings), serverIds);
            sections.put(view.name(), section);
        }
        section.render(servers, control.busyIds(view.name()));
        if (stateFile != null) {
            stateFile.rememberIds(view.name(), serverIds.current());
        }
        return section;
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

    private void check(AtomicFiles.Content content) throws IOException, InterruptedException {
        Path candidate = global.candidateConfigFilePath();
        AtomicFiles.write(candidate, content);
        Commands.Result r = Commands.run(global.checkCommand(), Duration.ofSeconds(120));
        if (!r.ok()) {
            throw new CandidateRejectedException("check_command rejected the new config (exit " + r.exitCode() + "): "
                    + r.summary() + "; " + global.configFilePath() + " was left as it was");
        }
    }

    long writes() {
        return writes;
    }

    /** Reloads done (the runtime API could not take a change, or a non-server setting changed). */
    long reloads() {
        return control.reloads();
    }

    /** Commands sent through the runtime API. */
    long liveCommands() {
        return control.liveCommands();
    }

    @Override
    public void close() {
        control.close();
    }

    /** The check command refused a candidate: the installed config was not touched. */
    static final class CandidateRejectedException extends IOException {
        CandidateRejectedException(String message) {
            super(message);
        }
    }
}
