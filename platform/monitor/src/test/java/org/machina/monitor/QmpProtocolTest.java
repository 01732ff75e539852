package org.machina.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;

/** The QMP protocol over a real Unix socket: greeting, negotiation, framing, errors, robustness. */
@Timeout(60)
class QmpProtocolTest extends ServerFixture {

    private static String errorClass(JsonObject reply) {
        return reply.getAsJsonObject("error").get("class").getAsString();
    }

    private static String desc(JsonObject reply) {
        return reply.getAsJsonObject("error").get("desc").getAsString();
    }

    @Test
    void greetingHasVersionPackageAndNoCapabilities() throws IOException {
        try (QmpTestClient c = new QmpTestClient(socket)) {
            JsonObject qmp = c.read().getAsJsonObject("QMP");
            JsonObject version = qmp.getAsJsonObject("version");
            assertEquals(QmpServer.QEMU_MAJOR, version.getAsJsonObject("qemu").get("major").getAsInt());
            assertEquals(QmpServer.QEMU_MINOR, version.getAsJsonObject("qemu").get("minor").getAsInt());
            assertEquals(0, version.getAsJsonObject("qemu").get("micro").getAsInt());
            assertTrue(version.get("package").getAsString().startsWith("machina-"));
            assertEquals(0, qmp.getAsJsonArray("capabilities").size());
        }
    }

    @Test
    void onlyQmpCapabilitiesBeforeNegotiation() throws IOException {
        try (QmpTestClient c = new QmpTestClient(socket)) {
            c.read();
            JsonObject early = c.execute("{\"execute\":\"query-status\",\"id\":7}");
            assertEquals("CommandNotFound", errorClass(early));
            assertTrue(desc(early).contains("qmp_capabilities"));
            assertEquals(7, early.get("id").getAsInt());
            JsonObject oob = c.execute("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}");
            assertEquals("GenericError", errorClass(oob));
            assertTrue(desc(oob).contains("oob"));
            JsonObject ok = c.execute("{\"execute\":\"qmp_capabilities\",\"id\":\"neg\"}");
            assertEquals(new JsonObject(), ok.getAsJsonObject("return"));
            assertEquals("neg", ok.get("id").getAsString());
            JsonObject again = c.execute("{\"execute\":\"qmp_capabilities\"}");
            assertEquals("CommandNotFound", errorClass(again));
            assertTrue(c.execute("{\"execute\":\"query-status\"}").has("return"));
        }
    }

    @Test
    void idOfAnyJsonTypeIsEchoedOnReturnsAndErrors() throws IOException {
        try (QmpTestClient c = client()) {
            for (String id : List.of("\"abc\"", "42", "{\"a\":[1,2]}", "null", "1.5")) {
                JsonObject r = c.execute("{\"execute\":\"query-status\",\"id\":" + id + "}");
                assertEquals(JsonParser.parseString(id), r.get("id"), id);
                JsonObject e = c.execute("{\"execute\":\"no-such\",\"id\":" + id + "}");
                assertEquals(JsonParser.parseString(id), e.get("id"), id);
            }
            assertFalse(c.execute("{\"execute\":\"query-status\"}").has("id"));
        }
    }

    @Test
    void badInputGetsErrorsAndTheSessionContinues() throws IOException {
        try (QmpTestClient c = client()) {
            JsonObject malformed = c.execute("{\"execute\": \"query-status\", }");
            assertEquals("GenericError", errorClass(malformed));
            assertTrue(desc(malformed).startsWith("JSON parse error"), desc(malformed));
            assertEquals("GenericError", errorClass(c.execute("garbage")));
            assertEquals("QMP input must be a JSON object", desc(c.execute("[1,2]")));
            assertEquals("QMP input must be a JSON object", desc(c.execute("\"text\"")));
            assertEquals("QMP input member 'foo' is unexpected", desc(c.execute("{\"foo\":1}")));
            assertEquals("QMP input lacks member 'execute'", desc(c.execute("{}")));
            assertEquals("QMP input member 'execute' must be a string", desc(c.execute("{\"execute\":3}")));
            assertEquals("QMP input member 'arguments' must be an object",
                    desc(c.execute("{\"execute\":\"stop\",\"arguments\":[]}")));
            JsonObject unknown = c.execute("{\"execute\":\"frobnicate\",\"id\":1}");
            assertEquals("CommandNotFound", errorClass(unknown));
            assertTrue(desc(unknown).contains("frobnicate"));
            JsonObject wrongType = c.execute("{\"execute\":\"device_del\",\"arguments\":{\"id\":5}}");
            assertEquals("GenericError", errorClass(wrongType));
            assertEquals("Invalid parameter type for 'id', expected: string", desc(wrongType));
            JsonObject missing = c.execute("{\"execute\":\"device_del\"}");
            assertEquals("Parameter 'id' is missing", desc(missing));
            JsonObject extra = c.execute("{\"execute\":\"query-status\",\"arguments\":{\"x\":1}}");
            assertEquals("Parameter 'x' is unexpected", desc(extra));
            JsonObject bad = c.execute("{\"execute\":\"query-status\"} }");
            assertTrue(bad.has("return"));
            assertEquals("GenericError", errorClass(c.reply())); // the stray brace
            assertTrue(c.execute("{\"execute\":\"query-status\"}").has("return"));
        }
    }

    @Test
    void messagesNeedNoNewlinesAndMayBeSplitAcrossWrites() throws IOException {
        try (QmpTestClient c = client()) {
            c.write("{\"execute\":\"query-status\",\"id\":1}{\"execute\":\"query-version\",\"id\":2}");
            assertEquals(1, c.reply().get("id").getAsInt());
            assertEquals(2, c.reply().get("id").getAsInt());
            c.write("{\"execute\":\"query-st");
            c.write("atus\",\"id\":\"a}{\\\"b\"}");
            assertEquals("a}{\"b", c.reply().get("id").getAsString());
            c.write("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info qtree\"},"
                    + "\"id\":\"\u00e9\u6f22\"}\n");
            assertEquals("\u00e9\u6f22", c.reply().get("id").getAsString());
        }
    }

    @Test
    void hugeMessageGetsAnErrorAndTheConnectionIsClosed() throws IOException {
        try (QmpTestClient c = client()) {
            StringBuilder big = new StringBuilder("{\"execute\":\"query-status\",\"id\":\"");
            big.append("x".repeat(QmpServer.MAX_MESSAGE_BYTES + 10)).append("\"}");
            try {
                c.write(big.toString());
            } catch (IOException closedWhileWriting) {
                // the server may close before all was written
            }
            JsonObject error = c.reply();
            assertEquals("GenericError", errorClass(error));
            assertTrue(desc(error).contains("limit"), desc(error));
            assertNull(c.reply(), "connection closed after the error");
        }
        try (QmpTestClient again = client()) {
            assertTrue(again.execute("{\"execute\":\"query-status\"}").has("return"));
        }
    }

    @Test
    void deeplyNestedInputIsRefusedNotFatal() throws IOException {
        try (QmpTestClient c = client()) {
            String deep = "[".repeat(100_000) + "]".repeat(100_000);
            JsonObject r = c.execute("{\"execute\":\"query-status\",\"arguments\":{\"x\":" + deep + "}}");
            assertEquals("GenericError", errorClass(r));
            assertTrue(c.execute("{\"execute\":\"query-status\"}").has("return"));
        }
    }

    @Test
    void unserialisableResultIsAnErrorNotACrash() throws IOException {
        registry.add(command("x-test-cycle", (ctx, args) -> {
            List<Object> cycle = new ArrayList<>();
            cycle.add(cycle);
            return cycle;
        }));
        try (QmpTestClient c = client()) {
            JsonObject r = c.execute("{\"execute\":\"x-test-cycle\",\"id\":1}");
            assertEquals("GenericError", errorClass(r));
            assertEquals(1, r.get("id").getAsInt());
            assertTrue(c.execute("{\"execute\":\"query-status\"}").has("return"));
        }
    }

    @Test
    void largeButAllowedMessageIsAccepted() throws IOException {
        try (QmpTestClient c = client()) {
            String id = "y".repeat(QmpServer.MAX_MESSAGE_BYTES / 2);
            JsonObject r = c.execute("{\"execute\":\"query-status\",\"id\":\"" + id + "\"}");
            assertEquals(id, r.get("id").getAsString());
        }
    }

    @Test
    void failingCommandBecomesGenericErrorAndServerLives() throws IOException {
        registry.add(command("x-test-throw", (ctx, args) -> {
            throw new IllegalStateException("device exploded");
        }));
        registry.add(command("x-test-null", (ctx, args) -> {
            throw new NullPointerException();
        }));
        try (QmpTestClient c = client()) {
            JsonObject r = c.execute("{\"execute\":\"x-test-throw\",\"id\":3}");
            assertEquals("GenericError", errorClass(r));
            assertEquals("device exploded", desc(r));
            assertEquals(3, r.get("id").getAsInt());
            assertEquals("NullPointerException", desc(c.execute("{\"execute\":\"x-test-null\"}")));
            assertTrue(c.execute("{\"execute\":\"query-status\"}").has("return"));
        }
    }

    @Test
    void clientDisconnectingMidCommandIsHarmless() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        registry.add(command("x-test-slow", (ctx, args) -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Map.of("done", true);
        }));
        QmpTestClient c = client();
        c.write("{\"execute\":\"x-test-slow\"}\n");
        started.await();
        c.close();
        release.countDown();
        try (QmpTestClient other = client()) {
            assertTrue(other.execute("{\"execute\":\"query-status\"}").has("return"));
            other.execute("{\"execute\":\"stop\"}");
            assertEquals("STOP", other.event().get("event").getAsString());
        }
    }

    @Test
    void clientHalfClosingStillGetsItsReplies() throws IOException {
        try (QmpTestClient c = client()) {
            c.write("{\"execute\":\"query-status\",\"id\":1}\n{\"execute\":\"query-version\",\"id\":2}\n");
            c.channel.shutdownOutput();
            assertEquals(1, c.reply().get("id").getAsInt());
            assertEquals(2, c.reply().get("id").getAsInt());
            assertNull(c.reply());
        }
    }

    @Test
    void twentyClientsAtOnceAllGetRepliesAndEvents() throws Exception {
        int n = 20;
        List<QmpTestClient> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clients.add(client());
        }
        assertEquals(n, server.clientCount());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                QmpTestClient c = clients.get(i);
                int id = i;
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int k = 0; k < 25; k++) {
                        JsonObject r = c.execute("{\"execute\":\"query-status\",\"id\":" + (id * 1000 + k) + "}");
                        if (r.get("id").getAsInt() == id * 1000 + k && r.has("return")) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : results) {
                assertEquals(25, f.get());
            }
        }
        clients.get(0).execute("{\"execute\":\"stop\"}");
        for (QmpTestClient c : clients) {
            JsonObject event = c.event();
            assertEquals("STOP", event.get("event").getAsString());
            assertEquals("host-qmp-stop", event.getAsJsonObject("data").get("reason").getAsString());
            c.close();
        }
    }

    @Test
    void clientsBeyondTheLimitAreToldSoAndOthersKeepWorking() throws IOException {
        List<QmpTestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < QmpServer.MAX_CLIENTS; i++) {
                clients.add(client());
            }
            try (QmpTestClient extra = new QmpTestClient(socket)) {
                JsonObject refused = extra.read();
                assertTrue(desc(refused).contains("too many"), refused.toString());
                assertNull(extra.read());
            }
            clients.remove(0).close();
            QmpTestClient again = null;
            for (int tries = 0; tries < 1000 && again == null; tries++) { // the server notices the close soon
                QmpTestClient c = new QmpTestClient(socket);
                if (c.read().has("QMP")) {
                    again = c;
                } else {
                    c.close();
                    Thread.onSpinWait();
                }
            }
            assertTrue(again != null, "a place became free");
            clients.add(again);
            assertTrue(clients.get(5).execute("{\"execute\":\"query-status\"}").has("return"));
        } finally {
            for (QmpTestClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void eventsHaveTimestampsAndReachOnlyNegotiatedClients() throws IOException {
        try (QmpTestClient raw = new QmpTestClient(socket); QmpTestClient c = client()) {
            raw.read(); // greeting only
            machine.powerButton();
            JsonObject event = c.event();
            assertEquals("POWERDOWN", event.get("event").getAsString());
            assertFalse(event.has("data"), "empty data is left out, as QEMU does");
            JsonObject ts = event.getAsJsonObject("timestamp");
            assertTrue(ts.get("seconds").getAsLong() > 0);
            long micros = ts.get("microseconds").getAsLong();
            assertTrue(micros >= 0 && micros < 1_000_000);
            // the raw client's next message is the reply to its first command, not the event
            JsonObject r = raw.execute("{\"execute\":\"qmp_capabilities\"}");
            assertTrue(r.has("return"), r.toString());
        }
    }

    @Test
    void commandsComeAndGoWhileClientsAreConnected() throws IOException {
        MonitorCommand late = command("x-test-late", (ctx, args) -> "late");
        try (QmpTestClient c = client()) {
            assertEquals("CommandNotFound", errorClass(c.execute("{\"execute\":\"x-test-late\"}")));
            registry.add(late);
            assertEquals("late", c.execute("{\"execute\":\"x-test-late\"}").get("return").getAsString());
            registry.remove(late);
            assertEquals("CommandNotFound", errorClass(c.execute("{\"execute\":\"x-test-late\"}")));
        }
    }

    @Test
    void staleSocketIsReplacedLiveOneRefused() throws IOException {
        IOException live = assertThrows(IOException.class,
                () -> new QmpServer(machine, socket, Optional.empty(), registry));
        assertTrue(live.getMessage().contains("in use"), live.getMessage());
        assertTrue(server.clientCount() <= 1);
        server.close();
        assertFalse(Files.exists(socket), "close removes the socket file");
        // a socket file left behind by a dead process
        java.nio.channels.ServerSocketChannel dead = java.nio.channels.ServerSocketChannel
                .open(java.net.StandardProtocolFamily.UNIX);
        dead.bind(java.net.UnixDomainSocketAddress.of(socket));
        dead.close();
        assertTrue(Files.exists(socket));
        server = new QmpServer(machine, socket, Optional.empty(), registry);
        try (QmpTestClient c = client()) {
            assertTrue(c.execute("{\"execute\":\"query-status\"}").has("return"));
        }
        Path plain = dir.resolve("plain");
        Files.writeString(plain, "not a socket");
        IOException inTheWay = assertThrows(IOException.class,
                () -> new QmpServer(machine, plain, Optional.empty(), registry));
        assertTrue(inTheWay.getMessage().contains("not a socket"));
        assertTrue(Files.exists(plain));
    }

    @Test
    void socketIsForItsOwnerOnly() throws IOException {
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(socket)));
    }

    @Test
    void tcpOnLoopbackServesTheSameProtocol() throws IOException {
        Path second = dir.resolve("second.sock");
        try (QmpServer tcp = new QmpServer(machine, second,
                Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), registry);
                Socket s = new Socket(InetAddress.getLoopbackAddress(), tcp.tcpAddress().orElseThrow().getPort())) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            assertTrue(in.readLine().contains("\"QMP\""));
            s.getOutputStream().write("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\"}\n"
                    .getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"return\":{}}", in.readLine());
            assertTrue(in.readLine().contains("\"status\":\"running\""));
        }
        assertThrows(IllegalArgumentException.class, () -> new QmpServer(machine, dir.resolve("third.sock"),
                Optional.of(new InetSocketAddress(InetAddress.getByName("8.8.8.8"), 0)), registry));
    }

    @Test
    void closingTheServerDisconnectsClients() throws IOException {
        try (QmpTestClient c = client()) {
            server.close();
            assertNull(c.reply());
            assertTrue(machine.listeners.isEmpty(), "machine listener removed");
        }
    }

    interface Body {
        Object run(CommandContext context, Map<String, Object> args) throws Exception;
    }

    static MonitorCommand command(String name, Body body) {
        return new MonitorCommand() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Object execute(CommandContext context, Map<String, Object> arguments) {
                try {
                    return body.run(context, arguments);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }
}
