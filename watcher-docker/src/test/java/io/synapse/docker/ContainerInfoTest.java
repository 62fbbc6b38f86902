package io.synapse.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine describes a container in two ways, its list and its inspection; the watcher reads both
 * (a full read lists, an event inspects one container), so both must decode to the same value, or
 * every periodic read would see a change.
 */
class ContainerInfoTest {
    private static DockerFixture docker;
    private static DockerClient client;

    @BeforeAll
    static void start() {
        docker = DockerFixture.start();
        client = DockerHost.client(Endpoint.unix(DockerFixture.SOCKET), null, DockerHost.RESPONSE_TIMEOUT);
    }

    @AfterAll
    static void stop() throws IOException {
        client.close();
        docker.close();
    }

    private static ContainerInfo listed(String id) {
        List<Container> list = client.listContainersCmd().withIdFilter(List.of(id)).withShowAll(true).exec();
        assertThat(list).hasSize(1);
        return ContainerInfo.of(list.get(0));
    }

    private static ContainerInfo inspected(String id) {
        return ContainerInfo.of(client.inspectContainerCmd(id).exec());
    }

    @Test
    void listAndInspectionDecodeToTheSameValue() {
        String network = docker.network();
        String published = docker.runHttpd("-p", "127.0.0.1::80", "-p", "127.0.0.1::8080/udp", "-l", "tier=web", "--name",
                "published-" + docker.label().substring(docker.label().indexOf('=') + 1));
        // exposed but not published, and on two networks
        String exposedOnly = docker.runHttpd("--expose", "81");
        docker.docker("network", "connect", network, exposedOnly);

        for (String id : List.of(published, exposedOnly)) {
            assertThat(inspected(id)).as(id).isEqualTo(listed(id));
        }
        ContainerInfo p = inspected(published);
        assertThat(p.name()).startsWith("published-");
        assertThat(p.image()).isEqualTo(DockerFixture.IMAGE);
        assertThat(p.labels()).containsEntry("tier", "web").containsKey(DockerFixture.TEST_LABEL);
        assertThat(p.ports()).containsExactly(
                new ContainerInfo.Port("127.0.0.1", 80, docker.publishedPort(published), "tcp"),
                new ContainerInfo.Port("127.0.0.1", 8080, Integer.parseInt(docker.docker("port", published, "8080/udp")
                        .replaceAll(".*:", "")), "udp"));
        assertThat(inspected(exposedOnly).ports()).containsExactly(new ContainerInfo.Port(null, 81, null, "tcp"));
        assertThat(inspected(exposedOnly).networks()).containsOnlyKeys("bridge", network)
                .containsEntry(network, docker.ip(exposedOnly, network));
        assertThat(p.created()).isPositive();
    }
}
