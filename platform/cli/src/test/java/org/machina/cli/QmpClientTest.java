package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The QMP client against a scripted fake server; the monitor shorthand parser. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class QmpClientTest {
    @TempDir
    Path dir;

    /** Serves one client: greeting, then answers each message through {@code responder}. */
    private Thread fakeServer(Path sock, List<String> received, java.util.function.Function<JsonObject, String> responder)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        return Thread.ofPlatform().daemon().start(() -> {
            try (server; SocketChannel c = server.accept()) {
                OutputStream out = Channels.newOutputStream(c);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
                out.write("{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n".getBytes(StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    received.add(line);
                    String reply = responder.apply(JsonParser.parseString(line).getAsJsonObject());
                    if (reply != null) {
                        out.write(reply.getBytes(StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                // client went away
            }
        });
    }

    @Test
    void negotiatesRunsCommandsAndPassesEvents() throws Exception {
        Path sock = dir.resolve("m.sock");
        List<String> received = new ArrayList<>();
        fakeServer(sock, received, m -> {
            String id = m.get("id").toString();
            return switch (m.get("execute").getAsString()) {
                case "qmp_capabilities" -> "{\"return\": {}, \"id\": " + id + "}\r\n";
                case "query-status" -> "{\"event\": \"STOP\", \"data\": {}}\r\n"
                        + "{\"return\": {\"status\": \"paused\", \"running\": false}, \"id\": " + id + "}\r\n";
                default -> "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command "
                        + m.get("execute").getAsString() + " has not been found\"}, \"id\": " + id + "}\r\n";
            };
        });
        List<JsonObject> events = new ArrayList<>();
        try (QmpClient q = QmpClient.connect(sock, Duration.ofSeconds(10))) {
            q.onEvent(events::add);
            JsonObject st = q.execute("query-status", null).getAsJsonObject();
            assertEquals("paused", st.get("status").getAsString());
            assertEquals(1, events.size());
            assertEquals("STOP", events.get(0).get("event").getAsString());
            QmpClient.QmpError e = assertThrows(QmpClient.QmpError.class, () -> q.execute("frobnicate", new JsonObject()));
            assertEquals("CommandNotFound", e.errorClass());
            assertTrue(e.getMessage().contains("frobnicate"));
        }
        assertTrue(received.get(0).contains("qmp_capabilities"), received.toString());
        assertTrue(received.get(2).contains("\"arguments\":{}"), received.toString());
    }

    @Test
    void silentMonitorTimesOut() throws Exception {
        Path sock = dir.resolve("s.sock");
        fakeServer(sock, new ArrayList<>(), m -> m.get("execute").getAsString().equals("qmp_capabilities")
                ? "{\"return\": {}, \"id\": " + m.get("id") + "}\n" : null);
        try (QmpClient q = QmpClient.connect(sock, Duration.ofMillis(300))) {
            IOException e = assertThrows(IOException.class, () -> q.execute("query-status", null));
            assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
        }
    }

    @Test
    void monitorShorthand() {
        JsonObject a = QmpCommands.Monitor.parseLine("query-status");
        assertEquals("query-status", a.get("execute").getAsString());
        assertTrue(!a.has("arguments"));
        JsonObject b = QmpCommands.Monitor.parseLine("device_del {\"id\": \"dbg\"}");
        assertEquals("device_del", b.get("execute").getAsString());
        assertEquals("dbg", b.getAsJsonObject("arguments").get("id").getAsString());
        JsonObject c = QmpCommands.Monitor.parseLine("{\"execute\": \"stop\", \"id\": 7}");
        assertEquals(7, c.get("id").getAsInt());
        CliException e = assertThrows(CliException.class, () -> QmpCommands.Monitor.parseLine("device_del {id"));
        assertEquals(CliException.USAGE, e.status());
    }
}
