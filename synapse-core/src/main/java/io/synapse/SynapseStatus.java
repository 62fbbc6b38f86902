package io.synapse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.synapse.common.status.HtmlPage;
import io.synapse.common.status.RegistrySection;
import io.synapse.common.status.StatusSource;
import io.synapse.engine.CatalogStatus;
import io.synapse.engine.Engine;
import io.synapse.engine.GeneratorStatus;
import io.synapse.engine.ServiceStatus;
import io.synapse.spi.Backend;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What synapse's status endpoint shows: {@code /status}, {@code /healthz} and the page. */
final class SynapseStatus implements StatusSource {
    private final Engine engine;
    private final String host;

    SynapseStatus(Engine engine) {
        this.engine = engine;
        this.host = hostName();
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "this host" : env;
        }
    }

    @Override
    public List<String> unhealthy() {
        return engine.problems();
    }

    @Override
    public JsonNode status() {
        Instant now = Instant.now();
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("daemon", "synapse");
        root.put("host", host);
        put(root, "started_at", engine.startedAt());
        if (engine.startedAt() != null) {
            root.put("uptime_seconds", Duration.between(engine.startedAt(), now).toSeconds());
        }
        List<String> problems = engine.problems();
        root.put("healthy", problems.isEmpty());
        problems.forEach(root.putArray("problems")::add);
        ObjectNode renders = root.putObject("renders");
        renders.put("ok", engine.renders() - engine.rendersFailed());
        renders.put("failed", engine.rendersFailed());
        put(renders, "last_at", engine.lastRenderAt());
        ObjectNode reloads = root.putObject("haproxy_reloads");
        for (String result : List.of("ok", "failed", "rate_limited")) {
            reloads.put(result, (long) count("synapse.haproxy.reloads", "result", result));
        }
        ArrayNode services = root.putArray("services");
        for (ServiceStatus s : engine.serviceStatuses()) {
            ObjectNode n = services.addObject();
            n.put("name", s.name());
            n.put("method", s.method());
            if (s.catalog() != null) {
                n.put("catalog", s.catalog());
            }
            n.put("backends", s.backends().size());
            ObjectNode w = n.putObject("watcher");
            w.put("state", s.watcherState());
            put(w, "last_event_at", s.lastEventAt());
            w.put("failures", s.failures());
            if (s.lastError() != null) {
                w.put("last_error", s.lastError());
                put(w, "last_error_at", s.lastErrorAt());
            }
            put(n, "last_change_at", s.lastChangeAt());
            if (s.lastChangeAt() != null) {
                n.put("last_change_age_seconds", Duration.between(s.lastChangeAt(), now).toSeconds());
            }
            n.put("rejected_registrations", s.rejected());
            if (s.lastRejected() != null) {
                n.put("last_rejected", s.lastRejected());
            }
            ArrayNode servers = n.putArray("servers");
            for (Backend b : s.backends()) {
                ObjectNode bn = servers.addObject();
                if (b.name() != null) {
                    bn.put("name", b.name());
                }
                bn.put("host", b.host());
                bn.put("port", b.port());
            }
        }
        ArrayNode catalogs = root.putArray("catalogs");
        for (CatalogStatus c : engine.catalogStatuses()) {
            ObjectNode n = catalogs.addObject();
            n.put("name", c.name());
            n.put("method", c.method());
            n.put("services", c.services());
            n.put("state", c.failing() ? "failing" : c.initialized() ? "up" : "starting");
            if (c.lastError() != null) {
                n.put("last_error", c.lastError());
                put(n, "last_error_at", c.lastErrorAt());
            }
        }
        ArrayNode generators = root.putArray("generators");
        for (GeneratorStatus g : engine.generatorStatuses()) {
            ObjectNode n = generators.addObject();
            n.put("name", g.name());
            n.put("state", g.failing() ? "failing" : "ok");
            put(n, "last_success_at", g.lastSuccessAt());
            if (g.lastError() != null) {
                n.put("last_error", g.lastError());
                put(n, "last_error_at", g.lastErrorAt());
            }
        }
        RegistrySection.json(root, "synapse");
        return root;
    }

    @Override
    public String html() {
        Instant now = Instant.now();
        List<ServiceStatus> services = engine.serviceStatuses();
        List<String> problems = engine.problems();
        HtmlPage page = new HtmlPage("synapse on " + host).generatedAt(now).problems(problems);
        long backends = services.stream().mapToLong(s -> s.backends().size()).sum();
        long failing = services.stream().filter(ServiceStatus::failing).count();
        page.summary(services.size() + (services.size() == 1 ? " service, " : " services, ") + backends
                + (backends == 1 ? " backend" : " backends") + (failing == 0 ? "" : ", " + failing + (failing == 1 ? " watcher failing" : " watchers failing"))
                + "; started " + HtmlPage.ago(engine.startedAt(), now) + ".");
        page.summary("Renders: " + (engine.renders() - engine.rendersFailed()) + " ok, " + engine.rendersFailed() + " failed, last "
                + HtmlPage.ago(engine.lastRenderAt(), now) + ". HAProxy reloads: " + (long) count("synapse.haproxy.reloads", "result", "ok")
                + " ok, " + (long) count("synapse.haproxy.reloads", "result", "failed") + " failed, "
                + (long) count("synapse.haproxy.reloads", "result", "rate_limited") + " rate limited; runtime API updates: "
                + (long) count("synapse.haproxy.runtime.updates", "result", "ok") + ".");

        HtmlPage.Table t = page.table("Services", "service", "discovery", "watcher", "backends", "last event", "last change",
                "rejected registrations", "servers").whenEmpty("no services");
        for (ServiceStatus s : services) {
            Boolean ok = s.failing() ? Boolean.FALSE : s.initialized() ? Boolean.TRUE : null;
            List<String> servers = new ArrayList<>();
            for (Backend b : s.backends()) {
                servers.add((b.name() == null ? "" : b.name() + " ") + b.host() + ":" + b.port());
            }
            t.row(s.name(), s.failing(),
                    s.name(),
                    s.method() + (s.catalog() == null ? "" : " (catalog " + s.catalog() + ")"),
                    HtmlPage.state(ok, s.watcherState(), s.failing() ? s.lastError() + " (" + HtmlPage.ago(s.lastErrorAt(), now) + ")" : null),
                    HtmlPage.number(s.backends().size()),
                    HtmlPage.ago(s.lastEventAt(), now),
                    HtmlPage.ago(s.lastChangeAt(), now),
                    s.rejected() == 0 ? HtmlPage.number(0) : HtmlPage.state(false, Long.toString(s.rejected()), "last: " + s.lastRejected()),
                    HtmlPage.details(servers.size() + (servers.size() == 1 ? " server" : " servers"), servers));
        }
        List<CatalogStatus> catalogs = engine.catalogStatuses();
        if (!catalogs.isEmpty()) {
            HtmlPage.Table c = page.table("Catalogs", "catalog", "method", "state", "services");
            for (CatalogStatus cs : catalogs) {
                Boolean ok = cs.failing() ? Boolean.FALSE : cs.initialized() ? Boolean.TRUE : null;
                c.row(cs.name(), cs.failing(), cs.name(), cs.method(),
                        HtmlPage.state(ok, cs.failing() ? "failing" : cs.initialized() ? "up" : "starting", cs.failing() ? cs.lastError() : null),
                        HtmlPage.number(cs.services()));
            }
        }
        RegistrySection.table(page, "synapse", "no shared registry connection (ZooKeeper and etcd connections are listed here)");
        HtmlPage.Table g = page.table("Outputs", "generator", "state", "last success", "last error");
        for (GeneratorStatus gs : engine.generatorStatuses()) {
            g.row(gs.name(), gs.failing(), gs.name(), HtmlPage.state(!gs.failing(), gs.failing() ? "failing" : "ok"),
                    HtmlPage.ago(gs.lastSuccessAt(), now),
                    gs.lastError() == null ? "" : gs.lastError() + " (" + HtmlPage.ago(gs.lastErrorAt(), now) + ")");
        }
        return page.render();
    }

    private static double count(String name, String tag, String value) {
        Counter c = Metrics.globalRegistry.find(name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    private static void put(ObjectNode node, String field, Instant t) {
        if (t != null) {
            node.put(field, t.toString());
        } else {
            node.putNull(field);
        }
    }
}
