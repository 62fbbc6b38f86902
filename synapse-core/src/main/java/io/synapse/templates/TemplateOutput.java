package io.synapse.templates;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.mustachejava.MustacheException;
import io.synapse.output.CandidateFiles;
import io.synapse.output.RateLimitedCommand;
import io.synapse.spi.GeneratorState;
import io.synapse.spi.ServiceView;
import io.synapse.templates.Template.Part;
import io.synapse.templates.Template.PerService;
import io.synapse.templates.Template.StringBuilderWriter;
import io.synapse.templates.Template.Whole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code templates} entry at run time: renders the template from the merged state (re-rendering
 * only the services that changed where the template allows it), and when the result differs from
 * what is installed writes a candidate, checks it, moves it into place atomically, and asks for a
 * rate-limited reload.
 */
final class TemplateOutput implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TemplateOutput.class);
    private static final byte[] EMPTY = new byte[0];
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(120);

    private final TemplateSettings settings;
    private final RateLimitedCommand reloader;
    /** The model of each rendered service, reused while the service did not change. */
    private final Map<String, Model.Service> models = new HashMap<>();
    /** Per part: the last rendering (whole parts: one entry under ""; per-service parts: one per service). */
    private final List<Map<String, Rendered>> rendered = new ArrayList<>();
    private List<String> lastOrder = List.of();
    /** The current rendering differs from what this output last installed (or nothing was installed yet). */
    private boolean pending = true;
    private boolean installedOnce;
    private long writes;

    /** A rendered piece and the service model it was rendered from (null for whole parts). */
    private record Rendered(Model.Service model, byte[] bytes) {}

    TemplateOutput(TemplateSettings settings) {
        this.settings = settings;
        this.reloader = settings.reloadCommand() == null ? null
                : new RateLimitedCommand(settings.label() + " reload", settings.reloadCommand(), settings.restartInterval(), 0);
        for (int i = 0; i < settings.template().parts().size(); i++) {
            rendered.add(new HashMap<>());
        }
    }

    TemplateSettings settings() {
        return settings;
    }

    long writes() {
        return writes;
    }

    long reloads() {
        return reloader == null ? 0 : reloader.runs();
    }

    /** Brings the destination up to date; throws when the template failed or the candidate was rejected. */
    void update(GeneratorState state) throws IOException, InterruptedException {
        List<Model.Service> services = models(state);
        List<String> order = new ArrayList<>(services.size());
        for (Model.Service s : services) {
            order.add(s.name());
        }
        boolean changed = !order.equals(lastOrder);
        lastOrder = order;

        List<ByteBuffer> content = new ArrayList<>();
        long size = 0;
        int rerendered = 0;
        List<Object> scopes = new ArrayList<>(4);
        scopes.add(new Model.Root(services));
        StringBuilderWriter out = new StringBuilderWriter(4096);
        List<Part> parts = settings.template().parts();
        try {
            for (int i = 0; i < parts.size(); i++) {
                Map<String, Rendered> cache = rendered.get(i);
                if (parts.get(i) instanceof Whole whole) {
                    out.clear();
                    whole.code().execute(out, scopes);
                    byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
                    Rendered old = cache.put("", new Rendered(null, bytes));
                    changed |= old == null || !Arrays.equals(old.bytes(), bytes);
                    content.add(ByteBuffer.wrap(bytes));
                    size += bytes.length;
                    continue;
                }
                PerService section = (PerService) parts.get(i);
                Map<String, Rendered> next = new HashMap<>(services.size() * 2);
                for (Model.Service s : services) {
                    Rendered old = cache.get(s.name());
                    Rendered r = old;
                    if (old == null || old.model() != s) {
                        out.clear();
                        section.code().next(out, s, scopes);
                        byte[] bytes = out.length() == 0 ? EMPTY : out.toString().getBytes(StandardCharsets.UTF_8);
                        r = new Rendered(s, bytes);
                        changed |= old == null || !Arrays.equals(old.bytes(), bytes);
                        rerendered++;
                    }
                    next.put(s.name(), r);
                    if (r.bytes().length > 0) {
                        content.add(ByteBuffer.wrap(r.bytes()));
                        size += r.bytes().length;
                    }
                }
                rendered.set(i, next);
                byte[] tail = section.tail().getBytes(StandardCharsets.UTF_8);
                content.add(ByteBuffer.wrap(tail));
                size += tail.length;
            }
        } catch (MustacheException e) {
            // the parts rendered so far are cached; forget them so that the next update renders all again
            rendered.replaceAll(m -> new HashMap<>());
            models.clear();
            throw new IOException(settings.label() + ": cannot render " + settings.template().describe(e));
        }
        pending |= changed;
        if (!pending) {
            return;
        }
        Path destination = settings.destination();
        if (!installedOnce && CandidateFiles.sameContent(destination, content)) {
            LOG.info("{}: {} is already up to date", settings.label(), destination);
            installedOnce = true;
            pending = false;
            return;
        }
        try {
            CandidateFiles.install(destination, settings.candidate(), content, settings.fileMode(), settings.checkCommand(), CHECK_TIMEOUT);
        } catch (CandidateFiles.RejectedException e) {
            throw new IOException(settings.label() + ": " + e.getMessage(), e);
        }
        writes++;
        installedOnce = true;
        pending = false;
        LOG.info("{}: wrote {} ({} bytes, {} service part(s) rendered)", settings.label(), destination, size, rerendered);
        if (reloader != null) {
            reloader.request();
        }
    }

    /**
     * The service's {@code haproxy.port} (from the file, a catalog or the registry, as the haproxy
     * generator sees it), or null. Read only: the haproxy generator validates it.
     */
    static Integer haproxyPort(ServiceView view) {
        JsonNode port = view.section("haproxy").path("port");
        long p = -1;
        if (port.isIntegralNumber() && port.canConvertToInt()) {
            p = port.asInt();
        } else if (port.isTextual() && port.asText().matches("[0-9]{1,5}")) {
            p = Integer.parseInt(port.asText());
        }
        return p >= 1 && p <= 65535 ? (int) p : null;
    }

    /** The models of the services this output renders, rebuilt only for those that changed. */
    private List<Model.Service> models(GeneratorState state) {
        List<ServiceView> views = new ArrayList<>(state.services().size());
        for (ServiceView view : state.services().values()) {
            if (settings.services() == null || settings.services().contains(view.name())) {
                views.add(view);
            }
        }
        List<Model.Service> out = new ArrayList<>(views.size());
        for (int i = 0; i < views.size(); i++) {
            ServiceView view = views.get(i);
            boolean first = i == 0;
            boolean last = i == views.size() - 1;
            Model.Service model = models.get(view.name());
            if (model == null || state.changed().contains(view.name())) {
                model = Model.Service.of(view.name(), haproxyPort(view), view.backends(), first, last);
            } else {
                model = model.at(first, last);
            }
            out.add(model);
        }
        models.clear();
        for (Model.Service s : out) {
            models.put(s.name(), s);
        }
        return out;
    }

    @Override
    public void close() {
        if (reloader != null) {
            reloader.close();
        }
    }
}
