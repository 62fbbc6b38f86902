package io.synapse.docker;

import ch.qos.logback.classic.Level;
import io.synapse.testing.LogCapture;
import io.synapse.spi.Backend;
import io.synapse.spi.ServiceWatcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import static io.synapse.docker.DockerTesting.watcher;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The watcher at the SPI against the real local engine (unix socket): each container change of the
 * issue reaches the listener from the event stream, with the backend addresses Docker reports.
 */
class DockerWatcherTest {
    private static DockerFixture docker;

    @BeforeAll
    static void startDocker() {
        docker = DockerFixture.start();
    }

    @AfterAll
    static void removeContainers() {
        docker.close();
    }

    private static void awaitLast(DockerTesting.Recorder r, Predicate<List<String>> condition) {
        await().atMost(Duration.ofSeconds(60)).until(() -> r.lastAddresses() != null && condition.test(r.lastAddresses()));
    }

    private static String backend(String id) {
        return docker.backend(id);
    }

    private String discovery(String extra) {
        return "{'socket': '" + DockerFixture.SOCKET + "', 'labels': ['" + docker.label() + "'], 'container_port': 80" + extra + "}";
    }

    @Test
    void startStopKillPauseAndRestart() {
        String service = "io.synapse.test.service=lifecycle";
        DockerTesting.Recorder r = new DockerTesting.Recorder();
        // full reads every 50 ms race every event: the engine's list lags its events, and must not make the set flap
        try (ServiceWatcher w = watcher("web", discovery(", 'labels': ['" + docker.label() + "', '" + service + "'], 'check_interval': 0.05"), r)) {
            String a = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            String backendA = backend(a);
            w.start();
            awaitLast(r, l -> l.equals(List.of(backendA)));

            String b = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            String backendB = backend(b);
            awaitLast(r, l -> l.size() == 2);
            assertThat(r.lastAddresses()).containsExactlyInAnyOrder(backendA, backendB);
            // a container without the service label is not a backend
            docker.runHttpd("-p", "127.0.0.1::80");

            docker.docker("stop", "-t", "1", a);
            awaitLast(r, l -> l.equals(List.of(backendB)));

            docker.docker("start", a);
            String restartedA = backend(a); // a new host port
            awaitLast(r, l -> l.size() == 2);
            assertThat(r.lastAddresses()).containsExactlyInAnyOrder(restartedA, backendB);

            docker.docker("kill", b);
            awaitLast(r, l -> l.equals(List.of(restartedA)));

            docker.docker("pause", a);
            awaitLast(r, List::isEmpty);
            docker.docker("unpause", a);
            awaitLast(r, l -> l.equals(List.of(restartedA)));

            docker.remove(a);
            awaitLast(r, List::isEmpty);
            assertThat(r.failures).isEmpty();
            // one snapshot per change and nothing in between (a list right after "die" or "unpause" can show
            // the container in its old state: the watcher must not flap on it)
            assertThat(r.snapshots).extracting(List::size).containsExactly(1, 2, 1, 2, 1, 0, 1, 0);
        }
    }

    @Test
    void onlyHealthyContainersWhenTheyHaveAHealthCheck() {
        String service = "io.synapse.test.service=health";
        DockerTesting.Recorder r = new DockerTesting.Recorder();
        try (ServiceWatcher w = watcher("web", discovery(", 'labels': ['" + docker.label() + "', '" + service + "'], 'check_interval': 0.05"), r)) {
            w.start();
            awaitLast(r, List::isEmpty);
            String plain = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            String checked = docker.runHttpd("-p", "127.0.0.1::80", "-l", service,
                    "--health-cmd", "test -e /tmp/healthy", "--health-interval", "200ms", "--health-retries", "1");
            String backendPlain = backend(plain);
            String backendChecked = backend(checked);
            awaitLast(r, l -> l.equals(List.of(backendPlain)));
            // the health check starts failing: still not a backend
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    docker.docker("inspect", "--format", "{{.State.Health.Status}}", checked).equals("unhealthy"));
            assertThat(r.lastAddresses()).containsExactly(backendPlain);

            docker.docker("exec", checked, "touch", "/tmp/healthy");
            awaitLast(r, l -> l.size() == 2);
            assertThat(r.lastAddresses()).containsExactlyInAnyOrder(backendPlain, backendChecked);

            docker.docker("exec", checked, "rm", "/tmp/healthy");
            awaitLast(r, l -> l.equals(List.of(backendPlain)));
            assertThat(r.snapshots).extracting(List::size).containsExactly(0, 1, 2, 1);
        }
    }

    @Test
    void imageNameWithAndWithoutTagAsInTheRubyWatcher() {
        String tagged = "synapse-test/busybox:v-" + docker.label().substring(docker.label().indexOf('=') + 1);
        docker.docker("tag", DockerFixture.IMAGE, tagged);
        try {
            String service = "io.synapse.test.service=image";
            String latest = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            String untagged = docker.runHttpdFrom("synapse-test/busybox", "-p", "127.0.0.1::80", "-l", service);
            String v = docker.runHttpdFrom(tagged, "-p", "127.0.0.1::80", "-l", service);

            String labels = ", 'labels': ['" + docker.label() + "', '" + service + "']";
            DockerTesting.Recorder any = new DockerTesting.Recorder();
            DockerTesting.Recorder onlyTag = new DockerTesting.Recorder();
            DockerTesting.Recorder onlyLatest = new DockerTesting.Recorder();
            DockerTesting.Recorder otherRepository = new DockerTesting.Recorder();
            try (ServiceWatcher w1 = watcher("any", discovery(", 'image_name': 'synapse-test/busybox'" + labels), any);
                 ServiceWatcher w2 = watcher("tag", discovery(", 'image_name': '" + tagged + "'" + labels), onlyTag);
                 ServiceWatcher w3 = watcher("latest", discovery(", 'image_name': 'synapse-test/busybox:latest'" + labels), onlyLatest);
                 ServiceWatcher w4 = watcher("other", discovery(", 'image_name': 'synapse-test/busy'" + labels), otherRepository)) {
                w1.start();
                w2.start();
                w3.start();
                w4.start();
                awaitLast(any, l -> l.size() == 3);
                assertThat(any.lastAddresses()).containsExactlyInAnyOrder(backend(latest), backend(untagged), backend(v));
                String backendV = backend(v);
                awaitLast(onlyTag, l -> l.equals(List.of(backendV)));
                // a container started without a tag runs :latest
                awaitLast(onlyLatest, l -> l.size() == 2);
                assertThat(onlyLatest.lastAddresses()).containsExactlyInAnyOrder(backend(latest), backend(untagged));
                awaitLast(otherRepository, List::isEmpty);
            }
        } finally {
            docker.docker("rmi", tagged);
        }
    }

    @Test
    void aContainerWhoseTagMovedToANewImageKeepsServing() {
        String moved = "synapse-test/busybox:moved-" + docker.label().substring(docker.label().indexOf('=') + 1);
        String service = "io.synapse.test.service=moved";
        docker.docker("tag", DockerFixture.IMAGE, moved);
        try {
            String old = docker.runHttpdFrom(moved, "-p", "127.0.0.1::80", "-l", service);
            String backendOld = backend(old);
            // version 2 is pulled under the same tag: the engine now lists the old container by image id
            DockerFixture.importImage(moved, "ENV VERSION=2");
            assertThat(docker.docker("ps", "--filter", "id=" + old, "--format", "{{.Image}}")).doesNotContain("moved");
            DockerTesting.Recorder r = new DockerTesting.Recorder();
            try (ServiceWatcher w = watcher("web", discovery(", 'image_name': '" + moved + "', 'labels': ['" + docker.label() + "', '"
                    + service + "']"), r)) {
                w.start();
                awaitLast(r, l -> l.equals(List.of(backendOld)));
                String fresh = docker.runHttpdFrom(moved, "-p", "127.0.0.1::80", "-l", service);
                String backendFresh = backend(fresh);
                awaitLast(r, l -> l.equals(List.of(backendOld, backendFresh)));
                docker.remove(old);
                awaitLast(r, l -> l.equals(List.of(backendFresh)));
            }
        } finally {
            docker.removeAll();
            docker.docker("rmi", moved);
        }
    }

    @Test
    void containersThatCannotBeBackendsAreSkippedAndABadPortLabelIsWarnedOnce() {
        String service = "io.synapse.test.service=skipped";
        DockerTesting.Recorder r = new DockerTesting.Recorder();
        try (LogCapture log = new LogCapture(DockerServiceWatcher.class);
             ServiceWatcher w = watcher("web", "{'socket': '" + DockerFixture.SOCKET + "', 'labels': ['" + docker.label() + "', '"
                     + service + "'], 'container_port_label': 'io.synapse.test.port'}", r)) {
            String good = docker.runHttpd("-p", "127.0.0.1::80", "-l", service, "-l", "io.synapse.test.port=80");
            String unpublished = docker.runHttpd("-l", service, "-l", "io.synapse.test.port=80");
            String bad = docker.runHttpd("-p", "127.0.0.1::80", "-l", service, "-l", "io.synapse.test.port=http");
            String noLabel = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            w.start();
            String backendGood = backend(good);
            awaitLast(r, l -> l.equals(List.of(backendGood)));
            String another = docker.runHttpd("-p", "127.0.0.1::80", "-l", service, "-l", "io.synapse.test.port=80");
            awaitLast(r, l -> l.size() == 2);
            assertThat(r.lastAddresses()).containsExactlyInAnyOrder(backend(good), backend(another));
            assertThat(log.messages(Level.WARN)).containsExactlyInAnyOrder(
                    "service web: skipping container " + docker.name(bad) + " (" + bad.substring(0, 12) + ") on unix://"
                            + DockerFixture.SOCKET + ": label io.synapse.test.port=\"http\": expected a port 1-65535",
                    "service web: skipping container " + docker.name(noLabel) + " (" + noLabel.substring(0, 12) + ") on unix://"
                            + DockerFixture.SOCKET + ": no label io.synapse.test.port (the container port)");
            assertThat(r.rejected).containsExactlyInAnyOrder(
                    "container " + docker.name(bad) + " (" + bad.substring(0, 12) + ") on unix://" + DockerFixture.SOCKET
                            + ": label io.synapse.test.port=\"http\": expected a port 1-65535",
                    "container " + docker.name(noLabel) + " (" + noLabel.substring(0, 12) + ") on unix://" + DockerFixture.SOCKET
                            + ": no label io.synapse.test.port (the container port)");
            // not publishing the port is no error (the Ruby watcher skipped such containers silently too)
            assertThat(log.messages(Level.WARN)).noneMatch(m -> m.contains(unpublished.substring(0, 12)));
        }
    }

    @Test
    void networkModeUsesTheContainersAddressOnTheNetwork() {
        String network = docker.network();
        String service = "io.synapse.test.service=network";
        DockerTesting.Recorder r = new DockerTesting.Recorder();
        try (ServiceWatcher w = watcher("web", discovery(", 'labels': ['" + docker.label() + "', '" + service + "'], 'network': '"
                + network + "'"), r)) {
            String onNet = docker.runHttpd("--network", network, "-l", service);
            String elsewhere = docker.runHttpd("-l", service);
            w.start();
            String backendOnNet = docker.name(onNet) + "@" + docker.ip(onNet, network) + ":80";
            awaitLast(r, l -> l.equals(List.of(backendOnNet)));

            // connecting a running container to the network makes it a backend
            docker.docker("network", "connect", network, elsewhere);
            String backendElsewhere = docker.name(elsewhere) + "@" + docker.ip(elsewhere, network) + ":80";
            awaitLast(r, l -> l.size() == 2);
            assertThat(r.lastAddresses()).containsExactlyInAnyOrder(backendOnNet, backendElsewhere);
            docker.docker("network", "disconnect", network, onNet);
            awaitLast(r, l -> l.equals(List.of(backendElsewhere)));
        }
    }

    @Test
    void servicesOnOneEngineShareOneConnectionAndOneEventStream() {
        String service = "io.synapse.test.service=shared";
        String labels = ", 'labels': ['" + docker.label() + "', '" + service + "']";
        try (EngineProxy proxy = EngineProxy.plain()) {
            String servers = "{'servers': [{'name': 'engine', 'host': '127.0.0.1', 'port': " + proxy.port() + "}], 'container_port': 80";
            DockerTesting.Recorder r1 = new DockerTesting.Recorder();
            DockerTesting.Recorder r2 = new DockerTesting.Recorder();
            DockerTesting.Recorder r3 = new DockerTesting.Recorder();
            try (ServiceWatcher w1 = watcher("one", servers + labels + "}", r1);
                 ServiceWatcher w2 = watcher("two", servers + labels + ", 'check_interval': 600}", r2);
                 ServiceWatcher w3 = watcher("three", servers + ", 'image_name': 'synapse-test/busybox'" + labels + "}", r3)) {
                w1.start();
                w2.start();
                w3.start();
                awaitLast(r1, List::isEmpty);
                awaitLast(r2, List::isEmpty);
                awaitLast(r3, List::isEmpty);
                Endpoint endpoint = Endpoint.tcp("127.0.0.1", proxy.port(), null);
                assertThat(DockerHost.HOSTS.references(endpoint)).isEqualTo(3);
                assertThat(proxy.eventStreams()).isEqualTo(1);

                String a = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
                // Ruby compatible: the backend is named after its server and has the server's host
                String expected = "engine@127.0.0.1:" + docker.publishedPort(a);
                awaitLast(r1, l -> l.equals(List.of(expected)));
                awaitLast(r2, l -> l.equals(List.of(expected)));
                awaitLast(r3, l -> l.equals(List.of(expected)));
                assertThat(proxy.eventStreams()).isEqualTo(1);
                Backend b = r1.last().get(0);
                assertThat(b.labels()).containsEntry("io.synapse.test.service", "shared");
            }
            assertThat(DockerHost.HOSTS.references(Endpoint.tcp("127.0.0.1", proxy.port(), null))).isZero();
        }
    }
}
