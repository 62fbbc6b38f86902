package io.synapse.docker;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The local Docker engine's unix socket, served on a loopback TCP port (optionally with TLS and
 * client-certificate authentication), so that tests can reach it as a {@code tcp://} engine and cut
 * the watcher off from it while the engine keeps running:
 * <ul>
 *   <li>{@link #cut()} closes every open connection and refuses new ones until {@link #restore()};</li>
 *   <li>{@link #muteEvents()} keeps {@code /events} connections open but drops what the engine sends
 *       on them (a stream that silently stalls), while other requests work.</li>
 * </ul>
 */
final class EngineProxy implements AutoCloseable {
    private final ServerSocket server;
    private final Path socket;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger eventStreams = new AtomicInteger();
    private volatile boolean cut;
    private volatile boolean muted;
    private volatile boolean closed;

    EngineProxy(Path socket, SSLContext tls) {
        this.socket = socket;
        try {
            if (tls == null) {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } else {
                SSLServerSocket s = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
                s.setNeedClientAuth(true);
                server = s;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::acceptLoop, "engine-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static EngineProxy plain() {
        return new EngineProxy(Path.of(DockerFixture.SOCKET), null);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Event streams opened through this proxy so far. */
    int eventStreams() {
        return eventStreams.get();
    }

    void cut() {
        cut = true;
        closeAll();
    }

    void restore() {
        cut = false;
        muted = false;
    }

    void muteEvents() {
        muted = true;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                closeQuietly(client);
                continue;
            }
            try {
                SocketChannel upstream = SocketChannel.open(StandardProtocolFamily.UNIX);
                upstream.connect(UnixDomainSocketAddress.of(socket));
                open.add(client);
                open.add(upstream);
                boolean[] events = {false};
                start(() -> clientToEngine(client, upstream, events));
                start(() -> engineToClient(upstream, client, events));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void clientToEngine(Socket client, SocketChannel upstream, boolean[] events) {
        byte[] buf = new byte[64 * 1024];
        boolean first = true;
        try (InputStream in = client.getInputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (first) {
                    String head = new String(buf, 0, Math.min(n, 200), StandardCharsets.ISO_8859_1);
                    int nl = head.indexOf('\n');
                    if ((nl < 0 ? head : head.substring(0, nl)).contains("/events")) {
                        events[0] = true;
                        eventStreams.incrementAndGet();
                    }
                    first = false;
                }
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    upstream.write(bb);
                }
            }
        } catch (IOException ignored) {
            // closed
        } finally {
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private void engineToClient(SocketChannel upstream, Socket client, boolean[] events) {
        ByteBuffer bb = ByteBuffer.allocate(64 * 1024);
        try (OutputStream out = client.getOutputStream()) {
            while (upstream.read(bb) >= 0) {
                bb.flip();
                if (!(muted && events[0])) {
                    out.write(bb.array(), 0, bb.limit());
                    out.flush();
                }
                bb.clear();
            }
        } catch (IOException ignored) {
            // closed
        } finally {
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private static void start(Runnable r) {
        Thread t = new Thread(r, "engine-proxy-pipe");
        t.setDaemon(true);
        t.start();
    }

    private void closeAll() {
        for (AutoCloseable c : open) {
            closeQuietly(c);
        }
        open.clear();
    }

    private void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already closed
        }
        open.remove(c);
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        closeAll();
    }
}
