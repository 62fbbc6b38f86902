package io.synapse.docker;

import ch.qos.logback.classic.Level;
import io.synapse.testing.LogCapture;
import io.synapse.spi.ServiceWatcher;
import io.synapse.testing.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.synapse.docker.DockerTesting.watcher;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The engine out of reach while it keeps running (an {@link EngineProxy} between the watcher and the
 * real engine): the last good backends stay, the failure is reported, and the watcher re-syncs
 * exactly when the engine answers again; a stalled event stream is caught by the periodic full read;
 * one unreachable engine does not stop the others.
 */
class DockerOutageTest {
    private static DockerFixture docker;

    @BeforeAll
    static void startDocker() {
        docker = DockerFixture.start();
    }

    @AfterAll
    static void removeContainers() {
        docker.close();
    }

    private static void awaitLast(DockerTesting.Recorder r, List<String> expected) {
        await().atMost(Duration.ofSeconds(60)).until(() -> r.lastAddresses() != null
                && r.lastAddresses().size() == expected.size() && r.lastAddresses().containsAll(expected));
    }

    /** The backend the proxied engine "engine" gives a container publishing port 80 on 127.0.0.1. */
    private static String backend(String id) {
        return "engine@127.0.0.1:" + docker.publishedPort(id);
    }

    private static String discovery(EngineProxy proxy, String service, String extra) {
        return "{'servers': [{'name': 'engine', 'host': '127.0.0.1', 'port': " + proxy.port() + "}], 'container_port': 80,"
                + " 'labels': ['" + docker.label() + "', '" + service + "']" + extra + "}";
    }

    @Test
    void cutOffKeepsTheLastBackendsAndResyncsWhenTheEngineAnswersAgain() {
        String service = "io.synapse.test.service=cut";
        try (EngineProxy proxy = EngineProxy.plain()) {
            DockerTesting.Recorder r = new DockerTesting.Recorder();
            String a = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            String b = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            String backendA = backend(a);
            String backendB = backend(b);
            try (ServiceWatcher w = watcher("web", discovery(proxy, service, ""), r)) {
                w.start();
                awaitLast(r, List.of(backendA, backendB));
                try (var lease = DockerHost.HOSTS.acquire(Endpoint.tcp("127.0.0.1", proxy.port(), null))) {
                    DockerHost host = lease.get();
                    long reads = host.fullReads();
                    int snapshots = r.snapshots.size();

                    proxy.cut();
                    await().atMost(Duration.ofSeconds(60)).until(() -> !r.failures.isEmpty());
                    assertThat(r.failures.get(0)).startsWith("cannot read docker engine tcp://127.0.0.1:" + proxy.port() + ": ");
                    // while cut off: changes happen, nothing is published
                    docker.docker("stop", "-t", "0", a);
                    String c = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
                    String backendC = backend(c);
                    assertThat(r.snapshots).hasSize(snapshots);

                    proxy.restore();
                    awaitLast(r, List.of(backendB, backendC));
                    assertThat(host.fullReads()).isGreaterThan(reads);
                    assertThat(proxy.eventStreams()).isGreaterThanOrEqualTo(2);
                    // the re-opened stream keeps delivering
                    docker.docker("stop", "-t", "0", b);
                    awaitLast(r, List.of(backendC));
                }
            }
        }
    }

    @Test
    void aStalledEventStreamIsCaughtByThePeriodicFullRead() {
        String service = "io.synapse.test.service=stalled";
        try (EngineProxy proxy = EngineProxy.plain(); LogCapture log = new LogCapture(DockerHost.class)) {
            DockerTesting.Recorder r = new DockerTesting.Recorder();
            String a = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            String backendA = backend(a);
            try (ServiceWatcher w = watcher("web", discovery(proxy, service, ", 'check_interval': 1"), r)) {
                w.start();
                awaitLast(r, List.of(backendA));
                proxy.muteEvents();
                String b = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
                awaitLast(r, List.of(backendA, backend(b)));
                assertThat(log.messages(Level.INFO)).anyMatch(m -> m.contains("the periodic full read changed the containers (") && m.contains("the event stream had not delivered"));
                assertThat(r.failures).isEmpty();
            }
        }
    }

    @Test
    void anUnreachableEngineIsReportedWhileTheOthersKeepWorking() {
        String service = "io.synapse.test.service=partial";
        int closedPort = FreePorts.next();
        try (EngineProxy proxy = EngineProxy.plain()) {
            DockerTesting.Recorder r = new DockerTesting.Recorder();
            String a = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
            String backendA = backend(a);
            String servers = "{'servers': [{'name': 'engine', 'host': '127.0.0.1', 'port': " + proxy.port() + "},"
                    + " {'name': 'down', 'host': '127.0.0.1', 'port': " + closedPort + "}], 'container_port': 80,"
                    + " 'labels': ['" + docker.label() + "', '" + service + "']}";
            try (ServiceWatcher w = watcher("web", servers, r)) {
                w.start();
                awaitLast(r, List.of(backendA));
                await().atMost(Duration.ofSeconds(60)).until(() -> !r.failures.isEmpty());
                assertThat(r.failures.get(0)).startsWith("cannot read docker engine tcp://127.0.0.1:" + closedPort + ": ")
                        .contains("Connection refused");

                String b = docker.runHttpd("-p", "127.0.0.1::80", "-l", service);
                awaitLast(r, List.of(backendA, backend(b)));
                // still failing: reported again after the publish, so the engine does not take it for a recovery
                await().atMost(Duration.ofSeconds(60)).until(() -> r.failures.size() >= 2);
            }
        }
    }

    @Test
    void noEngineAtAllPublishesNothing() {
        int closedPort = FreePorts.next();
        DockerTesting.Recorder r = new DockerTesting.Recorder();
        try (ServiceWatcher w = watcher("web", "{'servers': [{'host': '127.0.0.1', 'port': " + closedPort + "}],"
                + " 'image_name': 'redis', 'container_port': 6379}", r)) {
            w.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> !r.failures.isEmpty());
            assertThat(r.snapshots).isEmpty();
        }
    }
}
