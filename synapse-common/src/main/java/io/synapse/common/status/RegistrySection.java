package io.synapse.common.status;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.metrics.RegistryConnections;

import static java.util.Objects.requireNonNull;

/** The registry connections of a daemon as its status JSON and status page show them (synapse and nerve alike). */
public final class RegistrySection {
    private RegistrySection() {}

    /** Adds {@code "registries": [{registry, connection, connected, state}, ...]} to {@code root}. */
    public static void json(ObjectNode root, String daemon) {
        requireNonNull(root, "root is null");
        ArrayNode registries = root.putArray("registries");
        for (RegistryConnections.Connection c : RegistryConnections.list(daemon)) {
            ObjectNode n = registries.addObject();
            n.put("registry", c.registry());
            n.put("connection", c.connection());
            n.put("connected", c.connected());
            n.put("state", c.state());
        }
    }

    /** Adds the "Registry connections" table to {@code page}, saying {@code whenEmpty} when there is none. */
    public static void table(HtmlPage page, String daemon, String whenEmpty) {
        requireNonNull(page, "page is null");
        HtmlPage.Table table = page.table("Registry connections", "registry", "connection", "state").whenEmpty(whenEmpty);
        for (RegistryConnections.Connection c : RegistryConnections.list(daemon)) {
            table.row(c.registry() + " " + c.connection(), !c.connected(), c.registry(), c.connection(),
                    HtmlPage.state(c.connected(), c.connected() ? "connected" : "disconnected", c.state()));
        }
    }
}
