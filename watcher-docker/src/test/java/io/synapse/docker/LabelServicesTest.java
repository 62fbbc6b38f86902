package io.synapse.docker;

import io.synapse.spi.ServiceDefinition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The services labelled containers define, on values shaped like the engine's. */
class LabelServicesTest {
    private static final Endpoint LOCAL = Endpoint.unix("/var/run/docker.sock");
    private final List<String> problems = new ArrayList<>();

    private static ContainerInfo container(String name, long created, Map<String, String> labels) {
        return new ContainerInfo(name + "-0123456789abcdef", name, "app:1", created, labels, List.of(), Map.of());
    }

    private static DockerHost.HostState engine(Endpoint endpoint, ContainerInfo... containers) {
        Map<String, ContainerInfo> byId = new LinkedHashMap<>();
        for (ContainerInfo c : containers) {
            byId.put(c.id(), c);
        }
        return new DockerHost.HostState(endpoint, byId, null);
    }

    private List<ServiceDefinition> define(LabelServices services, DockerHost.HostState... engines) {
        return services.define(List.of(engines), problems::add);
    }

    @Test
    void eachLabelledServiceBecomesADefinitionWatchedByLabelOnTheSameEngine() {
        LabelServices services = new LabelServices("synapse", List.of(new DockerServiceWatcher.Target(LOCAL, null)), null, null);
        List<ServiceDefinition> defined = define(services, engine(LOCAL,
                container("web-1", 10, Map.of("synapse.service", "web", "synapse.port", "80", "synapse.frontend_port", "3210")),
                container("web-2", 11, Map.of("synapse.service", "web", "synapse.port", "80", "synapse.frontend_port", "3210")),
                container("db", 12, Map.of("synapse.service", "db", "synapse.port", "5432", "synapse.mode", "tcp")),
                container("plain", 13, Map.of("tier", "web"))));
        assertThat(defined).containsExactly(
                new ServiceDefinition("db", Map.of(
                        "discovery", Map.of("method", "docker", "socket", "/var/run/docker.sock",
                                "labels", List.of("synapse.service=db"), "container_port_label", "synapse.port"),
                        "haproxy", Map.of("listen", List.of("mode tcp")))),
                new ServiceDefinition("web", Map.of(
                        "discovery", Map.of("method", "docker", "socket", "/var/run/docker.sock",
                                "labels", List.of("synapse.service=web"), "container_port_label", "synapse.port"),
                        "haproxy", Map.of("port", 3210))));
        assertThat(problems).isEmpty();
    }

    @Test
    void tcpEnginesAreNamedWithTheirTlsFilesAndTheCatalogsOptionsArePassedOn() {
        Endpoint a = Endpoint.tcp("10.0.0.1", 2376, new DockerConfig.Tls("/ca.pem", "/cert.pem", "/key.pem"));
        Endpoint b = Endpoint.tcp("10.0.0.2", 4243, null);
        LabelServices services = new LabelServices("com.example.lb",
                List.of(new DockerServiceWatcher.Target(a, "one"), new DockerServiceWatcher.Target(b, null)), 5.0, "backend");
        List<ServiceDefinition> defined = define(services,
                engine(a, container("x", 1, Map.of("com.example.lb.service", "api", "com.example.lb.port", "8080"))),
                engine(b, container("y", 2, Map.of("com.example.lb.service", "api", "com.example.lb.port", "8080"))));
        assertThat(defined).containsExactly(new ServiceDefinition("api", Map.of(
                "discovery", Map.of("method", "docker",
                        "servers", List.of(
                                Map.of("name", "one", "host", "10.0.0.1", "port", 2376,
                                        "tls", Map.of("ca", "/ca.pem", "cert", "/cert.pem", "key", "/key.pem")),
                                Map.of("host", "10.0.0.2", "port", 4243)),
                        "labels", List.of("com.example.lb.service=api"), "container_port_label", "com.example.lb.port",
                        "check_interval", 5.0, "network", "backend"),
                "haproxy", Map.of())));
    }

    @Test
    void badLabelsSkipTheContainerAndConflictsFollowTheOldestContainer() {
        LabelServices services = new LabelServices("synapse", List.of(new DockerServiceWatcher.Target(LOCAL, null)), null, null);
        List<ServiceDefinition> defined = define(services, engine(LOCAL,
                container("bad-name", 1, Map.of("synapse.service", "web/v2", "synapse.port", "80")),
                container("bad-port", 2, Map.of("synapse.service", "web", "synapse.port", "80", "synapse.frontend_port", "eighty")),
                container("bad-mode", 3, Map.of("synapse.service", "web", "synapse.port", "80", "synapse.mode", "udp")),
                container("old", 4, Map.of("synapse.service", "web", "synapse.port", "80", "synapse.frontend_port", "3210")),
                container("new", 5, Map.of("synapse.service", "web", "synapse.port", "80", "synapse.frontend_port", "3211"))));
        assertThat(defined).extracting(ServiceDefinition::name).containsExactly("web");
        assertThat(defined.get(0).config().get("haproxy")).isEqualTo(Map.of("port", 3210));
        assertThat(problems).containsExactlyInAnyOrder(
                "skipping container bad-name (bad-name-012) on unix:///var/run/docker.sock: label synapse.service=\"web/v2\": "
                        + "only letters, digits and . _ - : are allowed",
                "skipping container bad-port (bad-port-012) on unix:///var/run/docker.sock: label synapse.frontend_port=\"eighty\": "
                        + "expected a port 1-65535",
                "skipping container bad-mode (bad-mode-012) on unix:///var/run/docker.sock: label synapse.mode=\"udp\": expected http or tcp",
                "service web: container new (new-01234567) has synapse.frontend_port=3211 synapse.mode=(none) but the oldest container "
                        + "old has synapse.frontend_port=3210 synapse.mode=(none); using the oldest's");
    }

    @Test
    void anEngineNotReadYetDefinesNothing() {
        LabelServices services = new LabelServices("synapse", List.of(new DockerServiceWatcher.Target(LOCAL, null)), null, null);
        assertThat(define(services, new DockerHost.HostState(LOCAL, null, "down"))).isEmpty();
    }
}
