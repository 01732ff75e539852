package org.machina.monitor;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.machina.api.monitor.MonitorException.ErrorClass;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QMP client. Its reader thread parses messages and runs commands one after another; its
 * writer thread drains an outbound queue shared by replies and events, so that an event raised
 * on the machine thread never waits for a slow client. A client whose queue overflows is
 * disconnected.
 */
final class QmpSession {
    private static final Logger LOG = LoggerFactory.getLogger(QmpSession.class);
    private static final int QUEUE_CAPACITY = 4096;
    /** Queue marker (compared by identity) telling the writer to flush and close. */
    private static final String CLOSE = new String("<close>");

    private final QmpServer server;
    private final SocketChannel channel;
    private final int number;
    private final BlockingQueue<String> outbound = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final QmpContext context;
    private volatile boolean negotiated;
    private volatile boolean closed;

    QmpSession(QmpServer server, SocketChannel channel, int number) {
        this.server = server;
        this.channel = channel;
        this.number = number;
        this.context = new QmpContext(server);
    }

    int number() {
        return number;
    }

    boolean negotiated() {
        return negotiated;
    }

    /** Queues one message for the client; drops the client if it does not keep up. */
    void send(String text) {
        if (closed) {
            return;
        }
        if (!outbound.offer(text)) {
            LOG.warn("QMP client {} does not read its messages ({} queued); disconnecting it", number, QUEUE_CAPACITY);
            close();
        }
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        outbound.clear();
        outbound.offer(CLOSE);
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing QMP client {}", number, e);
        }
        server.sessionEnded(this);
    }

    /** Reads and handles messages until the client goes away. */
    void run() {
        Thread.ofVirtual().name("qmp-client-" + number + "-writer").start(this::writeLoop);
        send(greeting());
        QmpFramer framer = new QmpFramer(QmpServer.MAX_MESSAGE_BYTES, this::handle);
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        try {
            while (!closed) {
                buffer.clear();
                int n = channel.read(buffer);
                if (n < 0) {
                    finishAndClose(); // the client may have only shut down its sending side: flush replies
                    return;
                }
                framer.feed(buffer.array(), 0, n);
            }
        } catch (QmpFramer.TooLargeException e) {
            LOG.warn("QMP client {}: {}; disconnecting it", number, e.getMessage());
            send(error(null, ErrorClass.GenericError, e.getMessage() + "; closing the connection"));
            finishAndClose();
            return;
        } catch (IOException e) {
            if (!closed) {
                LOG.debug("QMP client {} read failed", number, e);
            }
        }
        close();
    }

    /** Lets the writer flush what is queued, then closes. */
    private void finishAndClose() {
        if (!outbound.offer(CLOSE)) {
            close();
        }
    }

    private void writeLoop() {
        try {
            while (true) {
                String text = outbound.take();
                if (text == CLOSE) {
                    break;
                }
                ByteBuffer bytes = ByteBuffer.wrap((text + "\r\n").getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            }
        } catch (IOException e) {
            if (!closed) {
                LOG.debug("QMP client {} went away", number, e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    private static String greeting() {
        JsonObject qemu = new JsonObject();
        qemu.addProperty("micro", QmpServer.QEMU_MICRO);
        qemu.addProperty("minor", QmpServer.QEMU_MINOR);
        qemu.addProperty("major", QmpServer.QEMU_MAJOR);
        JsonObject version = new JsonObject();
        version.add("qemu", qemu);
        version.addProperty("package", QmpServer.PACKAGE);
        JsonObject body = new JsonObject();
        body.add("version", version);
        body.add("capabilities", new JsonArray());
        JsonObject greeting = new JsonObject();
        greeting.add("QMP", body);
        return QmpJson.write(greeting);
    }

    private void handle(String text) {
        if (closed) {
            return;
        }
        JsonElement parsed;
        try {
            parsed = QmpJson.parse(text);
        } catch (JsonParseException e) {
            send(error(null, ErrorClass.GenericError, "JSON parse error, " + e.getMessage()));
            return;
        }
        if (!(parsed instanceof JsonObject request)) {
            send(error(null, ErrorClass.GenericError, "QMP input must be a JSON object"));
            return;
        }
        JsonElement id = request.get("id");
        try {
            send(reply(id, dispatch(request)));
        } catch (MonitorException e) {
            send(error(id, e.errorClass(), e.getMessage()));
        } catch (RuntimeException | StackOverflowError e) {
            // a result that cannot be serialised, or input the conversion cannot take: never kill the session
            LOG.warn("QMP client {}: request failed: {}", number, text.length() > 200 ? text.substring(0, 200) : text, e);
            send(error(id, ErrorClass.GenericError, "internal error: " + e));
        }
    }

    private JsonElement dispatch(JsonObject request) throws MonitorException {
        for (String member : request.keySet()) {
            if (!member.equals("execute") && !member.equals("arguments") && !member.equals("id")) {
                throw generic("QMP input member '" + member + "' is unexpected");
            }
        }
        JsonElement execute = request.get("execute");
        if (execute == null) {
            throw generic("QMP input lacks member 'execute'");
        }
        if (!execute.isJsonPrimitive() || !execute.getAsJsonPrimitive().isString()) {
            throw generic("QMP input member 'execute' must be a string");
        }
        JsonElement arguments = request.get("arguments");
        if (arguments != null && !arguments.isJsonObject()) {
            throw generic("QMP input member 'arguments' must be an object");
        }
        String name = execute.getAsString();
        @SuppressWarnings("unchecked")
        Map<String, Object> args = arguments == null ? Map.of() : (Map<String, Object>) QmpJson.toJava(arguments);
        if (name.equals("qmp_capabilities")) {
            return negotiate(args);
        }
        if (!negotiated) {
            throw new MonitorException(ErrorClass.CommandNotFound,
                    "Expecting capabilities negotiation with 'qmp_capabilities'");
        }
        Optional<MonitorCommand> command = server.registry().find(name);
        if (command.isEmpty()) {
            throw new MonitorException(ErrorClass.CommandNotFound, "The command " + name + " has not been found");
        }
        return run(command.get(), args);
    }

    private JsonElement negotiate(Map<String, Object> args) throws MonitorException {
        if (negotiated) {
            throw new MonitorException(ErrorClass.CommandNotFound,
                    "Capabilities negotiation is already complete, command ignored");
        }
        for (Map.Entry<String, Object> e : args.entrySet()) {
            if (!e.getKey().equals("enable")) {
                throw generic("Parameter '" + e.getKey() + "' is unexpected");
            }
            if (!(e.getValue() instanceof java.util.List<?> list)) {
                throw generic("Invalid parameter type for 'enable', expected: array");
            }
            for (Object capability : list) {
                throw generic("Capability '" + capability + "' not available (this server offers none)");
            }
        }
        negotiated = true;
        return new JsonObject();
    }

    private JsonElement run(MonitorCommand command, Map<String, Object> args) throws MonitorException {
        try {
            Object result = command.execute(context, args);
            return QmpJson.fromResult(result);
        } catch (MonitorException e) {
            throw e;
        } catch (RuntimeException | LinkageError | AssertionError e) {
            LOG.warn("QMP command '{}' failed", command.name(), e);
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw generic(message);
        }
    }

    private static MonitorException generic(String message) {
        return new MonitorException(ErrorClass.GenericError, message);
    }

    private static String reply(JsonElement id, JsonElement result) {
        JsonObject reply = new JsonObject();
        reply.add("return", result);
        if (id != null) {
            reply.add("id", id);
        }
        return QmpJson.write(reply);
    }

    private static String error(JsonElement id, ErrorClass errorClass, String description) {
        JsonObject error = new JsonObject();
        error.addProperty("class", errorClass.name());
        error.addProperty("desc", description == null ? errorClass.name() : description);
        JsonObject reply = new JsonObject();
        reply.add("error", error);
        if (id != null) {
            reply.add("id", id);
        }
        return QmpJson.write(reply);
    }
}
