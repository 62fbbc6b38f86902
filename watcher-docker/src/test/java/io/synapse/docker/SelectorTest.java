package io.synapse.docker;

import io.synapse.spi.Backend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Which containers become backends, and at which address, on values shaped like the engine's. */
class SelectorTest {
    private final List<String> skipped = new ArrayList<>();

    private static ContainerInfo container(String name, long created, Map<String, String> labels, List<ContainerInfo.Port> ports,
                                           Map<String, String> networks) {
        return new ContainerInfo(name + "-id-0123456789abcdef", name, "mycool/image:1", created, labels, ports, networks);
    }

    private static ContainerInfo.Port published(String ip, int privatePort, int publicPort) {
        return new ContainerInfo.Port(ip, privatePort, publicPort, "tcp");
    }

    private List<String> backends(Selector selector, List<ContainerInfo> containers, String name, String engineHost) {
        return selector.backends(containers, name, engineHost, (c, reason, warn) -> skipped.add(c.name() + ": " + reason + (warn ? " (warn)" : "")))
                .stream().map(Backend::toString).toList();
    }

    @Test
    void theRubyWatcherCasesWithServerNamesAndHosts() {
        Selector selector = new Selector(ImageName.parse("mycool/image"), Map.of(), 6379, null, null);
        List<ContainerInfo> containers = List.of(
                container("one", 1, Map.of(), List.of(published("0.0.0.0", 6379, 49153), published("0.0.0.0", 6390, 49154)), Map.of()),
                container("two", 2, Map.of(), List.of(published("0.0.0.0", 6379, 49155)), Map.of()),
                container("unmapped", 3, Map.of(), List.of(new ContainerInfo.Port(null, 6379, null, "tcp")), Map.of()),
                new ContainerInfo("wrong-id", "wrong", "wrong/image:tagname", 4, Map.of(), List.of(published("0.0.0.0", 6379, 49156)), Map.of()));
        assertThat(backends(selector, containers, "mainserver", "server1.local"))
                .containsExactly("mainserver@server1.local:49153", "mainserver@server1.local:49155");
        assertThat(skipped).containsExactly("unmapped: does not publish port 6379");
    }

    @Test
    void theLocalEngineUsesTheBoundAddressAndContainerNames() {
        Selector selector = new Selector(null, Map.of("tier", "web"), 80, null, null);
        List<ContainerInfo> containers = List.of(
                container("loopback", 5, Map.of("tier", "web"), List.of(published("127.0.0.1", 80, 32768)), Map.of()),
                container("all", 4, Map.of("tier", "web"), List.of(published("::", 80, 32769), published("0.0.0.0", 80, 32769)), Map.of()),
                container("v6", 6, Map.of("tier", "web"), List.of(published("::", 80, 32770)), Map.of()),
                container("udp", 7, Map.of("tier", "web"), List.of(new ContainerInfo.Port("0.0.0.0", 80, 32771, "udp")), Map.of()),
                container("db", 1, Map.of("tier", "db"), List.of(published("127.0.0.1", 80, 32772)), Map.of()));
        // oldest first
        assertThat(backends(selector, containers, null, null))
                .containsExactly("all@127.0.0.1:32769", "loopback@127.0.0.1:32768", "v6@::1:32770");
        assertThat(skipped).containsExactly("udp: does not publish port 80");
    }

    @Test
    void labelSelectorsNeedTheKeyAndTheValueWhenGiven() {
        Selector selector = new Selector(null, Selector.parseLabels(List.of("app", "tier=web")), 80, null, null);
        assertThat(selector.selects(container("a", 1, Map.of("app", "x", "tier", "web"), List.of(), Map.of()))).isTrue();
        assertThat(selector.selects(container("b", 1, Map.of("app", "", "tier", "web"), List.of(), Map.of()))).isTrue();
        assertThat(selector.selects(container("c", 1, Map.of("tier", "web"), List.of(), Map.of()))).isFalse();
        assertThat(selector.selects(container("d", 1, Map.of("app", "x", "tier", "db"), List.of(), Map.of()))).isFalse();
        assertThat(Selector.parseLabels(List.of("a=b=c", "k="))).containsEntry("a", "b=c").containsEntry("k", "");
    }

    @Test
    void networkModeTakesTheContainersAddressAndPort() {
        Selector selector = new Selector(null, Map.of(), 8080, null, "app");
        List<ContainerInfo> containers = List.of(
                container("on", 1, Map.of(), List.of(), Map.of("app", "172.18.0.5", "bridge", "172.17.0.2")),
                container("off", 2, Map.of(), List.of(published("0.0.0.0", 8080, 32000)), Map.of("bridge", "172.17.0.3")),
                container("noip", 3, Map.of(), List.of(), Map.of("app", "")));
        assertThat(backends(selector, containers, null, "ignored.example")).containsExactly("on@172.18.0.5:8080");
        assertThat(skipped).containsExactly("off: not attached to network \"app\"", "noip: no address on network \"app\"");
    }

    @Test
    void thePortLabelIsReadPerContainerWithTheContainerPortAsFallback() {
        Selector selector = new Selector(null, Map.of(), null, "synapse.port", null);
        List<ContainerInfo> containers = List.of(
                container("a", 1, Map.of("synapse.port", "80"), List.of(published("0.0.0.0", 80, 32001)), Map.of()),
                container("b", 2, Map.of("synapse.port", " 8080 "), List.of(published("0.0.0.0", 8080, 32002)), Map.of()),
                container("bad", 3, Map.of("synapse.port", "70000"), List.of(published("0.0.0.0", 80, 32003)), Map.of()),
                container("none", 4, Map.of(), List.of(published("0.0.0.0", 80, 32004)), Map.of()));
        assertThat(backends(selector, containers, null, null)).containsExactly("a@127.0.0.1:32001", "b@127.0.0.1:32002");
        assertThat(skipped).containsExactly("bad: label synapse.port=\"70000\": expected a port 1-65535 (warn)",
                "none: no label synapse.port (the container port) (warn)");

        skipped.clear();
        Selector withFallback = new Selector(null, Map.of(), 80, "synapse.port", null);
        assertThat(backends(withFallback, containers, null, null))
                .containsExactly("a@127.0.0.1:32001", "b@127.0.0.1:32002", "none@127.0.0.1:32004");
    }

    @Test
    void backendsCarryTheContainersLabelsAndItsCreationAsId() {
        Selector selector = new Selector(null, Map.of(), 80, null, null);
        Backend b = selector.backends(List.of(container("a", 1700000000L, Map.of("tier", "web", "bad", "line\nbreak"),
                List.of(published("127.0.0.1", 80, 32001)), Map.of())), null, null, (c, r, w) -> skipped.add(r)).get(0);
        assertThat(b.labels()).containsExactly(Map.entry("tier", "web"));
        assertThat(b.id()).isEqualTo(1700000000L);
        assertThat(skipped).isEmpty();
    }
}
