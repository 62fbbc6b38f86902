package io.synapse.haproxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * HAProxy's runtime API: the worker's stats socket ({@code level admin}) or, through the master
 * CLI of a master-worker HAProxy, the current worker ({@code @1 <command>}).
 *
 * <p>Commands go in batches, one connection each, in interactive mode ({@code prompt}): every
 * answer ends with the prompt, so each command gets its own answer even though {@code add server}
 * and {@code del server} print text on success. With several stats sockets, the first one that
 * accepts a connection is used: HAProxy 2.6 has one process, so they all reach the same servers
 * (sending {@code add server} to each would add it twice).
 */
final class RuntimeApi {
    /** Commands per connection: the answers must fit the socket buffers while we write. */
    static final int BATCH = 200;
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
     * cannot be reached or the connection ends before every command was answered: then any of
     * the commands may or may not have been applied.
     */
    List<String> run(List<String> commands) throws IOException {
        List<String> answers = new ArrayList<>(commands.size());
        for (int from = 0; from < commands.size(); from += BATCH) {
            answers.addAll(batch(commands.subList(from, Math.min(commands.size(), from + BATCH))));
        }
        return answers;
    }

    private List<String> batch(List<String> commands) throws IOException {
        String prefix = viaMaster() ? "@1 " : "";
        StringBuilder payload = new StringBuilder(64 * commands.size() + 16).append("prompt\n");
        for (String c : commands) {
            if (c.indexOf('\n') >= 0 || c.indexOf(';') >= 0) {
                throw new IllegalArgumentException("a command must be one line without ';': " + c);
            }
            payload.append(prefix).append(c).append('\n');
        }
        payload.append("quit\n");
        String out = connectAndExchange(payload.toString(), false);
        // every answer is followed by "\n" and the prompt ("> " on a worker, "master> " on the
        // master); the first answer is prompt's own
        String prompt = viaMaster() ? "\nmaster> " : "\n> ";
        String text = "\n" + out;
        List<String> answers = new ArrayList<>(commands.size());
        int at = text.indexOf(prompt);
        if (at < 0) {
            throw new IOException(target() + " answered without a prompt: " + firstLine(out));
        }
        at += prompt.length();
        while (answers.size() < commands.size()) {
            int next = text.indexOf(prompt, at);
            if (next < 0) {
                throw new IOException(target() + " closed the connection after " + answers.size() + " of "
                        + commands.size() + " answers");
            }
            answers.add(text.substring(at, next).strip());
            at = next + prompt.length();
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

    private static String exchange(SocketChannel ch, Path socket, String payload, boolean halfClose, long timeoutMillis)
            throws IOException {
        // non-blocking both ways: HAProxy answers while we are still writing a long batch
        try (ch; Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            ByteBuffer out = ByteBuffer.wrap(payload.getBytes(StandardCharsets.US_ASCII));
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
            boolean shut = false;
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new IOException(socket + ": no complete answer within " + timeoutMillis / 1000 + " s");
                }
                selector.select(left);
                if (out.hasRemaining() && key.isValid() && key.isWritable()) {
                    ch.write(out);
                }
                if (!out.hasRemaining() && !shut) {
                    shut = true;
                    if (halfClose) {
                        ch.shutdownOutput();
                    }
                    key.interestOps(SelectionKey.OP_READ);
                }
                int n;
                while ((n = ch.read(buf)) > 0) {
                    in.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                if (n < 0) {
                    return in.toString(StandardCharsets.UTF_8);
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(socket.toString())) {
                throw e;
            }
            throw new IOException(socket + ": " + e.getMessage(), e);
        }
    }

    static String firstLine(String text) {
        String t = text.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
