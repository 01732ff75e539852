package org.machina.monitor;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A raw QMP client for tests: writes JSON text, reads one JSON message per line. */
public final class QmpTestClient implements AutoCloseable {
    public final SocketChannel channel;
    private final BufferedReader in;
    /** Events read while waiting for replies. */
    public final List<JsonObject> events = new ArrayList<>();

    public QmpTestClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    /** Connects, checks the greeting and negotiates. */
    public static QmpTestClient negotiated(Path socket) throws IOException {
        QmpTestClient c = new QmpTestClient(socket);
        JsonObject greeting = c.read();
        if (!greeting.has("QMP")) {
            throw new IOException("no greeting: " + greeting);
        }
        JsonObject r = c.execute("{\"execute\":\"qmp_capabilities\"}");
        if (!r.has("return")) {
            throw new IOException("negotiation failed: " + r);
        }
        return c;
    }

    public void write(String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The next message, or {@code null} at end of stream. */
    public JsonObject read() throws IOException {
        String line = in.readLine();
        if (line == null) {
            return null;
        }
        JsonElement e = JsonParser.parseString(line);
        return e.getAsJsonObject();
    }

    /** The next reply (return or error), collecting events on the way; {@code null} at end of stream. */
    public JsonObject reply() throws IOException {
        while (true) {
            JsonObject m = read();
            if (m == null || !m.has("event")) {
                return m;
            }
            events.add(m);
        }
    }

    /** The next event (collected ones first). */
    public JsonObject event() throws IOException {
        if (!events.isEmpty()) {
            return events.remove(0);
        }
        JsonObject m = read();
        if (m == null || !m.has("event")) {
            throw new IOException("expected an event, got " + m);
        }
        return m;
    }

    public JsonObject execute(String json) throws IOException {
        write(json + "\n");
        return reply();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
