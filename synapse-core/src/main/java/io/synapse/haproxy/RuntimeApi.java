package io.synapse.haproxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * HAProxy's runtime API: the worker's stats socket ({@code level admin}) or, through the master
 * CLI of a master-worker HAProxy, the current worker ({@code @1 <command>}).
 *
 * <p>Commands go in batches, one connection and one line each, separated by {@code ;} (a third of
 * the time of interactive mode). HAProxy then ends each answer with an empty line, except the
 * answers of {@code del server}, which are one line; so every command gets its own answer even
 * though {@code add server} and {@code del server} print text on success, and anything that does
 * not read this way is an error. With several stats sockets, the first one that accepts a
 * connection is used: HAProxy 2.6 has one process, so they all reach the same servers (sending
 * {@code add server} to each would add it twice).
 */
final class RuntimeApi {
    /** The longest command line sent: HAProxy reads one line into one buffer (16 KB by default). */
    static final int MAX_LINE = 8000;
    private static final long TIMEOUT_MILLIS = 30_000;

    private final List<Path> statsSockets;
    private final Path masterSocket;
    private int preferred;

    /**
     * @param statsSockets the worker's stats sockets, tried in order; may be empty when {@code masterSocket} is set
     * @param masterSocket the master CLI, used when there is no stats socket; may be null
     */
    RuntimeApi(List<Path> statsSockets, Path masterSocket) {
        this.statsSockets = List.copyOf(requireNonNull(statsSockets, "statsSockets is null"));
        this.masterSocket = masterSocket;
        if (statsSockets.isEmpty() && masterSocket == null) {
            throw new IllegalArgumentException("a stats socket or the master socket is needed");
        }
    }

    /** Whether commands go through the master CLI (then a reload needs no wait for the new worker). */
    boolean viaMaster() {
        return statsSockets.isEmpty();
    }

    /** Where commands go, for log lines. */
    String target() {
        return viaMaster() ? "master socket " + masterSocket : "stats socket " + statsSockets.get(preferred);
    }

    /**
     * Runs {@code commands} in order and returns their answers (trimmed; an empty string is a
     * command that printed nothing, which for most commands means success). Throws when HAProxy
     * cannot be reached or its output does not read as one answer per command: then any of the
     * commands may or may not have been applied.
     */
    List<String> run(List<String> commands) throws IOException {
        String prefix = viaMaster() ? "@1 " : "";
        List<String> answers = new ArrayList<>(commands.size());
        StringBuilder line = new StringBuilder(MAX_LINE + 512);
        List<String> batch = new ArrayList<>();
        for (String c : commands) {
            if (c.indexOf('\n') >= 0 || c.indexOf(';') >= 0) {
                throw new IllegalArgumentException("a command must be one line without ';': " + c);
            }
            if (!batch.isEmpty() && line.length() + prefix.length() + c.length() + 1 > MAX_LINE) {
                answers.addAll(batch(line, batch));
                line.setLength(0);
                batch.clear();
            }
            if (!batch.isEmpty()) {
                line.append(';');
            }
            line.append(prefix).append(c);
            batch.add(c);
        }
        if (!batch.isEmpty()) {
            answers.addAll(batch(line, batch));
        }
        return answers;
    }

    private List<String> batch(StringBuilder line, List<String> commands) throws IOException {
        String out = connectAndExchange(line.append('\n').toString(), true);
        return parse(out, commands, target());
    }

    /** One answer per command out of the output of {@code commands} joined by {@code ;}. */
    static List<String> parse(String out, List<String> commands, String target) throws IOException {
        if (!out.endsWith("\n")) {
            // every answer ends with a newline: anything else is a connection that ended early
            throw new IOException(target + " answered " + (out.isEmpty() ? "nothing" : "an incomplete line: " + firstLine(out)));
        }
        String[] lines = out.substring(0, out.length() - 1).split("\n", -1);
        List<String> answers = new ArrayList<>(commands.size());
        int at = 0;
        for (String c : commands) {
            if (at >= lines.length) {
                throw new IOException(target + " answered " + answers.size() + " of " + commands.size() + " commands");
            }
            if (c.startsWith("del server ")) {
                answers.add(lines[at++].strip()); // one line, no empty line after it
                continue;
            }
            StringBuilder answer = new StringBuilder();
            while (at < lines.length && !lines[at].isEmpty()) {
                if (answer.length() > 0) {
                    answer.append('\n');
                }
                answer.append(lines[at++]);
            }
            if (at >= lines.length) {
                throw new IOException(target + " answered " + answers.size() + " of " + commands.size() + " commands");
            }
            at++; // the empty line that ends the answer
            answers.add(answer.toString().strip());
        }
        for (; at < lines.length; at++) {
            if (!lines[at].isEmpty()) {
                throw new IOException(target + " answered more than asked: " + firstLine(lines[at]));
            }
        }
        return answers;
    }

    /** {@code show servers state}: the text HAProxy loads from a {@code server-state-file}. */
    String showServersState() throws IOException {
        return oneShot("show servers state");
    }

    /** The pid of the process that answers commands ({@code show info}). */
    long workerPid() throws IOException {
        String info = oneShot("show info");
        for (String line : info.split("\n")) {
            if (line.startsWith("Pid: ")) {
                return Long.parseLong(line.substring(5).trim());
            }
        }
        throw new IOException(target() + " answered show info without a Pid: " + firstLine(info));
    }

    /** One command on its own connection, without a prompt; the whole answer. */
    String oneShot(String command) throws IOException {
        return connectAndExchange((viaMaster() ? "@1 " : "") + command + "\n", true);
    }

    private String connectAndExchange(String payload, boolean halfClose) throws IOException {
        if (viaMaster()) {
            return exchange(masterSocket, payload, halfClose, TIMEOUT_MILLIS);
        }
        IOException first = null;
        for (int i = 0; i < statsSockets.size(); i++) {
            int index = (preferred + i) % statsSockets.size();
            SocketChannel ch;
            try {
                ch = connect(statsSockets.get(index));
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
                continue;
            }
            preferred = index;
            return exchange(ch, statsSockets.get(index), payload, halfClose, TIMEOUT_MILLIS);
        }
        throw first;
    }

    /** Connects to {@code socket}, sends {@code payload}, and reads until HAProxy closes the connection. */
    static String exchange(Path socket, String payload, boolean halfClose, long timeoutMillis) throws IOException {
        return exchange(connect(socket), socket, payload, halfClose, timeoutMillis);
    }

    /** {@link #exchange} with a half-close, as {@code echo cmd | socat socket -} does. */
    static String send(Path socket, String payload) throws IOException {
        return exchange(socket, payload, true, TIMEOUT_MILLIS);
    }

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return ch;
        } catch (IOException e) {
            ch.close();
            throw new IOException(socket + ": " + e.getMessage(), e);
        }
    }

    /** Closes connections whose answer is late: blocking I/O with a deadline, without a selector per batch. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "haproxy-socket-timeout");
        t.setDaemon(true);
        return t;
    });

    private static String exchange(SocketChannel ch, Path socket, String payload, boolean halfClose, long timeoutMillis)
            throws IOException {
        AtomicBoolean late = new AtomicBoolean();
        ScheduledFuture<?> deadline = WATCHDOG.schedule(() -> {
            late.set(true);
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing to wake the reader up
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        try (ch) {
            byte[] bytes = payload.getBytes(StandardCharsets.US_ASCII);
            if (bytes.length > 64 * 1024) {
                // HAProxy answers while it reads: a long batch is written by another thread, so
                // that neither side waits for the other to read
                return writeWhileReading(ch, socket, bytes, halfClose);
            }
            ByteBuffer out = ByteBuffer.wrap(bytes);
            while (out.hasRemaining()) {
                ch.write(out);
            }
            if (halfClose) {
                ch.shutdownOutput();
            }
            return readAll(ch);
        } catch (IOException e) {
            if (late.get()) {
                throw new IOException(socket + ": no complete answer within " + timeoutMillis / 1000 + " s");
            }
            throw new IOException(socket + ": " + e.getMessage(), e);
        } finally {
            deadline.cancel(false);
        }
    }

    private static String readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream in = new ByteArrayOutputStream(256);
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        while (ch.read(buf) >= 0) {
            in.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        in.write(buf.array(), 0, buf.position());
        return in.toString(StandardCharsets.UTF_8);
    }

    private static String writeWhileReading(SocketChannel ch, Path socket, byte[] bytes, boolean halfClose) throws IOException {
        AtomicReference<IOException> failed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                ByteBuffer out = ByteBuffer.wrap(bytes);
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                if (halfClose) {
                    ch.shutdownOutput();
                }
            } catch (IOException e) {
                failed.set(e);
            }
        }, "haproxy-socket-writer");
        writer.setDaemon(true);
        writer.start();
        String answer = readAll(ch);
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(socket + ": interrupted", e);
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        return answer;
    }

    static String firstLine(String text) {
        String t = text.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
