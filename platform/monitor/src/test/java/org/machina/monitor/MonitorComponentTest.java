package org.machina.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.monitor.api.MonitorHandle;

/** The MonitorService as the runtime uses it: whiteboard commands, start, close, deactivate. */
@Timeout(60)
class MonitorComponentTest {
    @TempDir
    Path dir;

    private static MonitorCommand echo(String name) {
        return new MonitorCommand() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Object execute(CommandContext context, Map<String, Object> arguments) {
                return Map.of("machine", context.machine().map(m -> m.name()).orElse("none"), "args", arguments);
            }
        };
    }

    @Test
    void whiteboardCommandsServeEveryMonitorAndGoAwayWhenUnbound() throws IOException {
        MonitorComponent component = new MonitorComponent();
        MonitorCommand first = echo("x-echo");
        component.addCommand(first);
        MonitorHandle handle = component.start(new FakeMachine(), dir.resolve("a.sock"), Optional.empty());
        try (QmpTestClient c = QmpTestClient.negotiated(handle.unixSocket())) {
            assertEquals(1, handle.clientCount());
            String r = c.execute("{\"execute\":\"x-echo\",\"arguments\":{\"n\":1,\"s\":\"t\",\"l\":[true,null]}}")
                    .toString();
            assertTrue(r.contains("\"l\":[true,null]"), r);
            assertTrue(r.contains("\"machine\":\"fake\""), r);
            assertTrue(r.contains("\"n\":1"), r);
            component.removeCommand(first);
            assertEquals("CommandNotFound", c.execute("{\"execute\":\"x-echo\"}").getAsJsonObject("error")
                    .get("class").getAsString());
            component.addCommand(echo("x-later"));
            assertTrue(c.execute("{\"execute\":\"x-later\"}").has("return"));
        }
        handle.close();
        assertFalse(Files.exists(dir.resolve("a.sock")));
    }

    @Test
    void monitorWithoutMachineSaysSoAndDeactivateClosesAll() throws IOException {
        MonitorComponent component = new MonitorComponent();
        component.addCommand(new org.machina.monitor.commands.QueryStatus());
        component.addCommand(echo("x-echo"));
        MonitorHandle handle = component.start(null, dir.resolve("b.sock"), Optional.empty());
        try (QmpTestClient c = QmpTestClient.negotiated(handle.unixSocket())) {
            assertEquals("this monitor has no machine", c.execute("{\"execute\":\"query-status\"}")
                    .getAsJsonObject("error").get("desc").getAsString());
            assertTrue(c.execute("{\"execute\":\"x-echo\"}").toString().contains("\"machine\":\"none\""));
            component.deactivate();
            assertNull(c.reply());
        }
        assertFalse(Files.exists(dir.resolve("b.sock")));
    }
}
