package io.synapse.nerve;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Non-blocking TCP connects for the {@code tcp} checks of every service, without a thread per
 * check: a connect that completes at once (a local service, or a refusal) is answered on the
 * caller's thread; one still in progress is finished (or timed out) by this connector's single
 * selector thread. The connection is closed as soon as it is established, as the blocking check
 * does.
 */
final class TcpConnector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcpConnector.class);

    /** The outcome of one connect: {@code failure} is {@code null} when it connected. */
    @FunctionalInterface
    interface Callback {
        void done(Exception failure);
    }

    private record Pending(SocketChannel channel, long deadline, Callback callback) {}

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Pending> incoming = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    TcpConnector(String threadName) {
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a selector for tcp checks: " + e.getMessage(), e);
        }
        this.thread = new Thread(this::loop, requireNonNull(threadName, "threadName is null"));
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Connects to {@code address} within {@code timeoutNanos}, then closes the connection, and calls
     * {@code callback} once: on this thread when the outcome is known at once, else on the
     * connector's thread. A failure is the exception a blocking connect would have thrown ({@code
     * Connection refused}, {@code Connect timed out}, ...).
     */
    void connect(InetSocketAddress address, long timeoutNanos, Callback callback) {
        requireNonNull(address, "address is null");
        requireNonNull(callback, "callback is null");
        if (address.isUnresolved()) {
            callback.done(new UnknownHostException(address.getHostString()));
            return;
        }
        SocketChannel channel = null;
        boolean connected;
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            // a local service's handshake is done within connect(): finishConnect() then answers at once
            connected = channel.connect(address) || channel.finishConnect();
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            callback.done(e instanceof IOException io ? io : new IOException(e.getMessage(), e));
            return;
        }
        if (connected) {
            closeQuietly(channel);
            callback.done(null);
            return;
        }
        if (closed) {
            closeQuietly(channel);
            callback.done(new IOException("nerve is stopping"));
            return;
        }
        incoming.add(new Pending(channel, System.nanoTime() + timeoutNanos, callback));
        selector.wakeup();
    }

    private void loop() {
        while (!closed) {
            try {
                long now = System.nanoTime();
                long next = Long.MAX_VALUE;
                for (SelectionKey key : selector.keys()) {
                    if (key.isValid()) {
                        next = Math.min(next, ((Pending) key.attachment()).deadline() - now);
                    }
                }
                if (next == Long.MAX_VALUE) {
                    selector.select();
                } else if (next > 0) {
                    selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(next) + 1));
                } else {
                    selector.selectNow();
                }
                Pending p;
                while ((p = incoming.poll()) != null) {
                    try {
                        p.channel().register(selector, SelectionKey.OP_CONNECT, p);
                    } catch (IOException | RuntimeException e) {
                        finish(p, null, e instanceof IOException io ? io : new IOException(e.getMessage(), e));
                    }
                }
                Iterator<SelectionKey> selected = selector.selectedKeys().iterator();
                while (selected.hasNext()) {
                    SelectionKey key = selected.next();
                    selected.remove();
                    Pending pending = (Pending) key.attachment();
                    try {
                        if (pending.channel().finishConnect()) {
                            finish(pending, key, null);
                        }
                    } catch (IOException | RuntimeException e) {
                        finish(pending, key, e instanceof IOException io ? io : new IOException(e.getMessage(), e));
                    }
                }
                now = System.nanoTime();
                for (SelectionKey key : selector.keys()) {
                    Pending pending = (Pending) key.attachment();
                    if (key.isValid() && pending.deadline() - now <= 0) {
                        finish(pending, key, new SocketTimeoutException("Connect timed out"));
                    }
                }
            } catch (ClosedSelectorException e) {
                break;
            } catch (IOException | RuntimeException e) {
                log.warn("tcp checks: selector failed ({}); continuing", Check.reason(e));
            }
        }
        // stopping: whatever is still connecting fails
        Pending p;
        while ((p = incoming.poll()) != null) {
            finish(p, null, new IOException("nerve is stopping"));
        }
    }

    private static void finish(Pending pending, SelectionKey key, Exception failure) {
        if (key != null) {
            key.cancel();
        }
        closeQuietly(pending.channel());
        try {
            pending.callback().done(failure);
        } catch (RuntimeException e) {
            log.error("tcp checks: a check's continuation failed", e);
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing a connection we only opened to see that it opens
            }
        }
    }

    /** Stops the thread; checks still connecting fail. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        selector.wakeup();
        try {
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Pending pending) {
                finish(pending, key, new IOException("nerve is stopping"));
            }
        }
        Pending p;
        while ((p = incoming.poll()) != null) {
            finish(p, null, new IOException("nerve is stopping"));
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
