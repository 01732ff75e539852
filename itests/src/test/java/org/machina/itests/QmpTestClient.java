package org.machina.itests;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A QMP client for tests: JSON lines over a Unix socket, the greeting and qmp_capabilities
 * handled, events kept in order of arrival.
 */
final class QmpTestClient implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    private final List<JsonObject> events = new ArrayList<>();

    private QmpTestClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
    }

    static QmpTestClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        QmpTestClient c = new QmpTestClient(ch);
        JsonObject greeting = c.read();
        if (!greeting.has("QMP")) {
            throw new IOException("no QMP greeting: " + greeting);
        }
        JsonObject caps = c.execute("qmp_capabilities", new JsonObject());
        if (!caps.has("return")) {
            throw new IOException("qmp_capabilities: " + caps);
        }
        return c;
    }

    /** Sends a command; returns its {"return": ...} or {"error": ...} reply, keeping events met meanwhile. */
    JsonObject execute(String command, JsonObject arguments) throws IOException {
        JsonObject cmd = new JsonObject();
        cmd.addProperty("execute", command);
        cmd.add("arguments", arguments);
        out.write((cmd + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
            JsonObject reply = read();
            if (reply.has("event")) {
                events.add(reply);
            } else {
                return reply;
            }
        }
    }

    /** The events received so far with this name. */
    List<JsonObject> events(String name) {
        return events.stream().filter(e -> e.get("event").getAsString().equals(name)).toList();
    }

    /**
     * After the machine's process ended: the events it sent before its side closed, each one kept
     * (the socket is closed by then, so this does not block).
     */
    List<JsonObject> eventsUntilClosed() throws IOException {
        for (String line; (line = in.readLine()) != null; ) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("event")) {
                events.add(o);
            }
        }
        return List.copyOf(events);
    }

    private JsonObject read() throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw new IOException("the QMP connection closed");
        }
        return JsonParser.parseString(line).getAsJsonObject();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
