package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Instance names, state detection from files, and the daemon's console rewrite of descriptions. */
class InstanceTest {
    @TempDir
    Path dir;

    private Instance instance(String name, String description) throws Exception {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve("description.json"), description);
        return new Instance(name, d);
    }

    @Test
    void namesAreValidated() {
        for (String ok : new String[] {"a", "web-1", "A.b_c", "x".repeat(64)}) {
            assertEquals(ok, Instance.validName(ok));
        }
        for (String bad : new String[] {"", "1abc", "-a", "a/b", "a b", "..", "x".repeat(65), "é"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Instance.validName(bad), bad);
            assertTrue(e.getMessage().contains("letter"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Instance.validName(null));
    }

    @Test
    void createdUntilStarted() throws Exception {
        Instance i = instance("vm", "{\"board\": \"none\", \"memory\": 64}");
        InstanceStatus s = InstanceStatus.of(i);
        assertEquals("created", s.state());
        assertEquals("none", s.board());
        assertEquals("64M", s.memory());
        assertTrue(s.pid().isEmpty());
    }

    @Test
    void boardObjectAndMemoryString() throws Exception {
        Instance i = instance("vm", "{\"board\": {\"type\": \"pc\"}, \"memory\": \"1G\"}");
        assertEquals("pc", i.board());
        assertEquals("1G", i.memory());
    }

    @Test
    void pidFileOfAnotherProcessMeansCrashed() throws Exception {
        Instance i = instance("vm", "{\"board\": \"none\"}");
        // this test JVM is alive but is not 'machina daemon vm'
        Files.writeString(i.pidFile(), ProcessHandle.current().pid() + "\n");
        assertTrue(i.daemon().isEmpty());
        assertTrue(i.crashed());
        InstanceStatus s = InstanceStatus.of(i);
        assertEquals("crashed", s.state());
        assertTrue(s.detail().orElseThrow().contains(Long.toString(ProcessHandle.current().pid())));
    }

    @Test
    void deadOrGarbledPidMeansCrashed() throws Exception {
        Instance i = instance("vm", "{\"board\": \"none\"}");
        Files.writeString(i.pidFile(), "not a pid");
        assertEquals("crashed", InstanceStatus.of(i).state());
        Files.writeString(i.pidFile(), "999999999");
        assertEquals("crashed", InstanceStatus.of(i).state());
        i.clearRuntimeFiles();
        assertEquals("created", InstanceStatus.of(i).state());
    }

    @Test
    void shutdownFileMeansShutdown() throws Exception {
        Instance i = instance("vm", "{\"board\": \"none\"}");
        Files.writeString(i.shutdownFile(), "power button pressed (exit status 0)\n");
        InstanceStatus s = InstanceStatus.of(i);
        assertEquals("shutdown", s.state());
        assertEquals("power button pressed (exit status 0)", s.detail().orElseThrow());
        assertEquals("shutdown", s.toJson().get("state").getAsString());
    }

    @Test
    void consoleReplacesSerial0AndKeepsOtherChardevs() throws Exception {
        Instance i = instance("vm", "{}");
        JsonObject d = JsonParser.parseString("""
                {"board": "none", "chardevs": [{"id": "serial0", "backend": "stdio"},
                 {"id": "log", "backend": "file", "path": "x.log"}]}""").getAsJsonObject();
        JsonObject out = JsonParser.parseString(DaemonCommand.withConsole(d, i)).getAsJsonObject();
        var chardevs = out.getAsJsonArray("chardevs");
        assertEquals(2, chardevs.size());
        assertEquals("log", chardevs.get(0).getAsJsonObject().get("id").getAsString());
        JsonObject console = chardevs.get(1).getAsJsonObject();
        assertEquals("serial0", console.get("id").getAsString());
        assertEquals("socket", console.get("backend").getAsString());
        assertEquals(i.consoleSocket().toString(), console.get("path").getAsString());
        assertEquals(i.consoleLog().toString(), console.get("logfile").getAsString());
        assertEquals("stdio", d.getAsJsonArray("chardevs").get(0).getAsJsonObject().get("backend").getAsString(),
                "the stored description is not changed");
        JsonObject none = JsonParser.parseString(DaemonCommand.withConsole(new JsonObject(), i)).getAsJsonObject();
        assertEquals(1, none.getAsJsonArray("chardevs").size());
    }

    @Test
    void uptimeFormatting() {
        assertEquals("-", InstanceStatus.formatUptime(java.util.Optional.empty()));
        assertEquals("0:00:05", InstanceStatus.formatUptime(java.util.Optional.of(5L)));
        assertEquals("1:01:01", InstanceStatus.formatUptime(java.util.Optional.of(3661L)));
        assertEquals("2d03h", InstanceStatus.formatUptime(java.util.Optional.of(2 * 86400L + 3 * 3600L + 59)));
        assertFalse(InstanceStatus.formatUptime(java.util.Optional.of(0L)).isEmpty());
    }
}
