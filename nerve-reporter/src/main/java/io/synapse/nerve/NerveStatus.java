package io.synapse.nerve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.status.HtmlPage;
import io.synapse.common.status.RegistrySection;
import io.synapse.common.status.StatusSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** What nerve's status endpoint shows: {@code /status}, {@code /healthz} and the page. */
final class NerveStatus implements StatusSource {
    private final Nerve nerve;

    NerveStatus(Nerve nerve) {
        this.nerve = nerve;
    }

    @Override
    public List<String> unhealthy() {
        return nerve.problems();
    }

    /** {@code up}, {@code down}, {@code maintenance} or {@code starting} (no round yet). */
    static String state(ServiceRunner r) {
        Boolean up = r.desiredUp();
        if (up == null) {
            return "starting";
        }
        if (r.inMaintenance()) {
            return "maintenance";
        }
        return up ? "up" : "down";
    }

    /** {@code registered}, {@code deregistered}, {@code failing} or {@code pending}. */
    static String registration(ServiceRunner r) {
        if (r.reportFailuresInARow() > 0) {
            return "failing";
        }
        Boolean reported = r.reportedUp();
        return reported == null ? "pending" : reported ? "registered" : "not registered";
    }

    @Override
    public JsonNode status() {
        Instant now = Instant.now();
        NerveConfig config = nerve.config();
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("daemon", "nerve");
        root.put("instance_id", config.instanceId());
        Instant started = nerve.startedAt();
        root.put("started_at", started == null ? null : started.toString());
        if (started != null) {
            root.put("uptime_seconds", Duration.between(started, now).toSeconds());
        }
        List<String> problems = nerve.problems();
        root.put("healthy", problems.isEmpty());
        problems.forEach(root.putArray("problems")::add);
        ArrayNode services = root.putArray("services");
        for (ServiceRunner r : nerve.runners()) {
            ObjectNode n = services.addObject();
            n.put("name", r.name());
            n.put("host", r.config().host());
            n.put("port", r.config().port());
            n.put("state", state(r));
            n.put("up", r.desiredUp() == null ? null : r.desiredUp());
            n.put("maintenance", r.inMaintenance());
            ObjectNode rep = n.putObject("reporter");
            rep.put("target", r.config().reporter().describe());
            rep.put("registration", registration(r));
            rep.put("failures_in_a_row", r.reportFailuresInARow());
            if (r.lastReportError() != null) {
                rep.put("last_error", r.lastReportError());
                rep.put("last_error_at", r.lastReportErrorAt().toString());
            }
            n.put("last_round_at", r.lastRoundAt() == null ? null : r.lastRoundAt().toString());
            ArrayNode checks = n.putArray("checks");
            for (ServiceRunner.CheckStatus c : r.checkStatuses()) {
                ObjectNode cn = checks.addObject();
                cn.put("name", c.label());
                cn.put("type", c.type());
                cn.put("state", c.up() == null ? "unknown" : c.up() ? "up" : "down");
                cn.put("last_result", c.lastPassed() == null ? null : c.lastPassed() ? "passed" : "failed");
                if (c.reason() != null) {
                    cn.put("reason", c.reason());
                }
                if (!Double.isNaN(c.seconds())) {
                    cn.put("duration_seconds", c.seconds());
                }
                cn.put("last_run_at", c.at() == null ? null : c.at().toString());
            }
        }
        RegistrySection.json(root, "nerve");
        return root;
    }

    @Override
    public String html() {
        Instant now = Instant.now();
        List<ServiceRunner> runners = nerve.runners();
        HtmlPage page = new HtmlPage("nerve on " + nerve.config().instanceId()).generatedAt(now).problems(nerve.problems());
        long up = runners.stream().filter(r -> state(r).equals("up")).count();
        long down = runners.stream().filter(r -> state(r).equals("down")).count();
        long maint = runners.stream().filter(ServiceRunner::inMaintenance).count();
        page.summary(runners.size() + (runners.size() == 1 ? " service: " : " services: ") + up + " up, " + down + " down, "
                + maint + " in maintenance; started " + HtmlPage.ago(nerve.startedAt(), now) + ".");
        HtmlPage.Table services = page.table("Services", "service", "address", "state", "registration", "reporter", "last round")
                .whenEmpty("no services");
        HtmlPage.Table checks = page.table("Checks", "service", "check", "state", "last result", "latency", "last run")
                .whenEmpty("no checks");
        for (ServiceRunner r : runners) {
            String state = state(r);
            // down because a check fails: red; in maintenance (on purpose) or starting: grey
            boolean bad = state.equals("down");
            String registration = registration(r);
            services.row(r.name(), bad || registration.equals("failing"),
                    r.name(),
                    r.config().host() + ":" + r.config().port(),
                    HtmlPage.state(state.equals("up") ? Boolean.TRUE : bad ? Boolean.FALSE : null, state),
                    HtmlPage.state(registration.equals("failing") ? Boolean.FALSE : registration.equals("registered") ? Boolean.TRUE : null,
                            registration, registration.equals("failing") ? r.lastReportError() : null),
                    r.config().reporter().describe(),
                    HtmlPage.ago(r.lastRoundAt(), now));
            for (ServiceRunner.CheckStatus c : r.checkStatuses()) {
                boolean failing = Boolean.FALSE.equals(c.up()) || Boolean.FALSE.equals(c.lastPassed());
                checks.row(r.name() + "/" + c.label(), failing,
                        r.name(),
                        c.label() + " (" + c.type() + ")",
                        HtmlPage.state(c.up(), c.up() == null ? "unknown" : c.up() ? "up" : "down"),
                        c.lastPassed() == null ? HtmlPage.state(null, "not run")
                                : HtmlPage.state(c.lastPassed(), c.lastPassed() ? "passed" : "failed", c.reason()),
                        Double.isNaN(c.seconds()) ? HtmlPage.number("") : HtmlPage.number(String.format("%.1f ms", c.seconds() * 1000)),
                        HtmlPage.ago(c.at(), now));
            }
        }
        RegistrySection.table(page, "nerve", "no registry connection open");
        return page.render();
    }
}
