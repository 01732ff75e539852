package org.machina.cli;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A QMP client over a Unix socket: reads the greeting, negotiates capabilities, then sends one
 * command at a time and returns its {@code return} value. Events that arrive meanwhile go to an
 * event listener (dropped by default).
 */
final class QmpClient implements Closeable {
    private static final Gson GSON = new Gson();

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    private Consumer<JsonObject> events = e -> { };
    private final JsonObject greeting;
    private int nextId;
    private final Duration timeout;
    private volatile long waiting;
    private long waitSeq;
    private volatile boolean timedOut;

    private QmpClient(SocketChannel channel, Duration timeout) throws IOException {
        this.channel = channel;
        this.timeout = timeout;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
        long w = arm();
        JsonObject g = readMessage();
        disarm(w);
        if (g == null || !g.has("QMP")) {
            throw new IOException("the monitor did not greet with a QMP banner: " + g);
        }
        this.greeting = g;
    }

    /**
     * Connects and negotiates ({@code qmp_capabilities}). With a {@code timeout}, every reply must come
     * within it or the connection is closed and an {@link IOException} says so; null waits for ever.
     */
    static QmpClient connect(Path socket, Duration timeout) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            QmpClient c = new QmpClient(ch, timeout);
            c.execute("qmp_capabilities", null);
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    JsonObject greeting() {
        return greeting;
    }

    void onEvent(Consumer<JsonObject> listener) {
        this.events = listener;
    }

    /** Runs a command; returns its {@code return} value, or throws {@link QmpError} for an {@code error} reply. */
    JsonElement execute(String command, JsonObject arguments) throws IOException {
        JsonObject msg = new JsonObject();
        msg.addProperty("execute", command);
        if (arguments != null) {
            msg.add("arguments", arguments);
        }
        JsonObject reply = send(msg);
        if (reply.has("error")) {
            JsonObject err = reply.getAsJsonObject("error");
            throw new QmpError(err.has("class") ? err.get("class").getAsString() : "GenericError",
                    err.has("desc") ? err.get("desc").getAsString() : err.toString());
        }
        return reply.has("return") ? reply.get("return") : new JsonObject();
    }

    /** Sends a raw message (an id is added when missing) and returns the matching reply, passing events on. */
    JsonObject send(JsonObject message) throws IOException {
        JsonObject msg = message.deepCopy();
        if (!msg.has("id")) {
            msg.addProperty("id", "machina-cli-" + nextId++);
        }
        long w = arm();
        try {
            write(msg);
            while (true) {
                JsonObject r = readMessage();
                if (r == null) {
                    throw new IOException("the monitor closed the connection");
                }
                if (r.has("event")) {
                    events.accept(r);
                } else if (r.has("return") || r.has("error")) {
                    return r;
                }
            }
        } catch (IOException e) {
            if (timedOut) {
                throw new IOException("the monitor did not answer '" + msg.get("execute") + "' within "
                        + timeout.toSeconds() + " s");
            }
            throw e;
        } finally {
            disarm(w);
        }
    }

    /** Starts the reply watchdog: closes the connection when no reply comes within the time-out. */
    private synchronized long arm() {
        long token = ++waitSeq;
        waiting = token;
        if (timeout != null) {
            CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                if (waiting == token) {
                    timedOut = true;
                    try {
                        channel.close();
                    } catch (IOException e) {
                        // closing to interrupt the read
                    }
                }
            });
        }
        return token;
    }

    private void disarm(long token) {
        if (waiting == token) {
            waiting = 0;
        }
    }

    /** Writes a message as is (interactive use; replies are read with {@link #readMessage}). */
    void write(JsonObject message) throws IOException {
        out.write((GSON.toJson(message) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Next JSON object, or null at end of stream. */
    JsonObject readMessage() throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                return null;
            }
        } while (line.isBlank());
        return JsonParser.parseString(line).getAsJsonObject();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** An {@code error} reply from the monitor. */
    static final class QmpError extends IOException {
        private final String errorClass;

        QmpError(String errorClass, String desc) {
            super(desc);
            this.errorClass = errorClass;
        }

        String errorClass() {
            return errorClass;
        }
    }
}
