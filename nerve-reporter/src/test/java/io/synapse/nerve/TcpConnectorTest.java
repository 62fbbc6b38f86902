package io.synapse.nerve;

import io.synapse.testing.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class TcpConnectorTest {
    private final TcpConnector connector = new TcpConnector("test-tcp-checks");
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        connector.close();
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private CompletableFuture<Exception> connect(InetSocketAddress address, Duration timeout) {
        CompletableFuture<Exception> outcome = new CompletableFuture<>();
        connector.connect(address, timeout.toNanos(), failure -> {
            if (!outcome.complete(failure)) {
                throw new AssertionError("callback called twice");
            }
        });
        return outcome;
    }

    /** A listener whose accept queue is full and never drained: the next connection's SYN is dropped. */
    private InetSocketAddress unanswered() throws Exception {
        ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        cleanup.add(listener);
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        // Linux queues backlog + 1 connections; a few more make sure the queue is full
        for (int i = 0; i < 4; i++) {
            Socket s = new Socket();
            cleanup.add(s);
            try {
                s.connect(address, 200);
            } catch (java.io.IOException e) {
                break; // the queue is full
            }
        }
        return address;
    }

    @Test
    void anOpenPortPassesAndAClosedOneIsRefused() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            InetSocketAddress open = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
            assertThat(connect(open, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS)).isNull();
        }
        InetSocketAddress closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.next());
        Exception refused = connect(closed, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
        assertThat(Check.reason(refused)).isEqualTo("Connection refused");
    }

    @Test
    void aConnectionThatDoesNotOpenTimesOutOnTheConnectorThread() throws Exception {
        InetSocketAddress address = unanswered();
        long t0 = System.nanoTime();
        CompletableFuture<Exception> outcome = connect(address, Duration.ofMillis(300));
        Exception failure = outcome.get(10, TimeUnit.SECONDS);
        assertThat(Check.reason(failure)).isEqualTo("Connect timed out");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(300);
        // the connector keeps working after a timeout
        try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            InetSocketAddress open = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
            assertThat(connect(open, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void closingFailsWhatIsStillConnectingAndRefusesNewChecks() throws Exception {
        InetSocketAddress address = unanswered();
        CompletableFuture<Exception> pending = connect(address, Duration.ofSeconds(30));
        assertThat(pending).isNotDone();
        connector.close();
        assertThat(pending.get(5, TimeUnit.SECONDS)).hasMessage("nerve is stopping");
        Exception late = connect(address, Duration.ofSeconds(30)).get(5, TimeUnit.SECONDS);
        assertThat(late).hasMessage("nerve is stopping");
    }

    @Test
    void anUnresolvedAddressFailsAtOnce() throws Exception {
        Exception failure = connect(InetSocketAddress.createUnresolved("no-such-host.invalid", 80), Duration.ofSeconds(1))
                .getNow(null);
        assertThat(Check.reason(failure)).isEqualTo("unknown host no-such-host.invalid");
    }
}
