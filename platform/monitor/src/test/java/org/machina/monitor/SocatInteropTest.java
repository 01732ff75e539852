package org.machina.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Interop with an existing, unrelated client: {@code socat} drives scripted exchanges over the
 * Unix socket, as users and shell scripts do ({@code socat - UNIX-CONNECT:qmp.sock}).
 */
@Timeout(60)
class SocatInteropTest extends ServerFixture {

    @BeforeAll
    static void needsSocat() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/socat")), "socat is not installed (apt-get install socat)");
    }

    /** Runs socat with {@code script} on its standard input; returns every line it printed. */
    private List<JsonObject> socat(String... script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("socat", "-t", "10", "-", "UNIX-CONNECT:" + socket)
                .redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write((String.join("\n", script) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "socat ended");
        assertEquals(0, p.exitValue(), out);
        List<JsonObject> messages = new ArrayList<>();
        for (String line : out.split("\r\n")) {
            if (!line.isBlank()) {
                messages.add(JsonParser.parseString(line).getAsJsonObject());
            }
        }
        return messages;
    }

    @Test
    void scriptedSessionGetsGreetingRepliesAndEventsInOrder() throws Exception {
        List<JsonObject> m = socat(
                "{\"execute\":\"qmp_capabilities\"}",
                "{\"execute\":\"query-status\",\"id\":\"s1\"}",
                "{\"execute\":\"stop\",\"id\":\"s2\"}",
                "{\"execute\":\"query-status\",\"id\":\"s3\"}",
                "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info status\"},\"id\":4}");
        assertTrue(m.get(0).has("QMP"), m.get(0).toString());
        assertEquals(new JsonObject(), m.get(1).getAsJsonObject("return"));
        assertEquals("running", m.get(2).getAsJsonObject("return").get("status").getAsString());
        assertEquals("s1", m.get(2).get("id").getAsString());
        // the STOP event is raised while stop runs, so it precedes stop's reply
        assertEquals("STOP", m.get(3).get("event").getAsString());
        assertEquals("s2", m.get(4).get("id").getAsString());
        assertEquals("paused", m.get(5).getAsJsonObject("return").get("status").getAsString());
        assertEquals("VM status: paused\r\n", m.get(6).get("return").getAsString());
        assertEquals(7, m.size());
    }

    @Test
    void scriptedBadInputGetsErrorsAndTheServerStaysUp() throws Exception {
        List<JsonObject> m = socat(
                "{\"execute\":\"query-status\"}",
                "{\"execute\":\"qmp_capabilities\"}",
                "this is not json",
                "{\"execute\":\"no-such-command\",\"id\":9}",
                "{\"execute\":\"device_del\",\"arguments\":{\"id\":false}}",
                "{\"execute\": \"query-status\"");   // cut off: socat closes before the message ends
        assertEquals("CommandNotFound", m.get(1).getAsJsonObject("error").get("class").getAsString());
        assertTrue(m.get(2).has("return"));
        // one error per bad word, as QEMU 7.2 answers the same line ("invalid keyword 'this'", ...)
        for (int i = 3; i < 7; i++) {
            assertEquals("GenericError", m.get(i).getAsJsonObject("error").get("class").getAsString());
            assertTrue(m.get(i).getAsJsonObject("error").get("desc").getAsString().startsWith("JSON parse error"));
        }
        assertEquals("CommandNotFound", m.get(7).getAsJsonObject("error").get("class").getAsString());
        assertEquals(9, m.get(7).get("id").getAsInt());
        assertEquals("Invalid parameter type for 'id', expected: string",
                m.get(8).getAsJsonObject("error").get("desc").getAsString());
        assertEquals(9, m.size());
        List<JsonObject> again = socat("{\"execute\":\"qmp_capabilities\"}", "{\"execute\":\"query-version\"}");
        assertEquals("machina-0.1.0", again.get(2).getAsJsonObject("return").get("package").getAsString());
    }
}
