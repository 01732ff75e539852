package org.machina.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.machina.api.machine.MachineState;

/** Each core command through a real socket against a fake machine. */
@Timeout(60)
class QmpCommandsTest extends ServerFixture {

    private static JsonObject ok(JsonObject reply) {
        assertTrue(reply.has("return"), () -> "expected a return, got " + reply);
        return reply;
    }

    private static String errorClass(JsonObject reply) {
        return reply.getAsJsonObject("error").get("class").getAsString();
    }

    private static String desc(JsonObject reply) {
        return reply.getAsJsonObject("error").get("desc").getAsString();
    }

    private static String hmp(QmpTestClient c, String line) throws IOException {
        return ok(c.execute("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"" + line
                + "\"}}")).get("return").getAsString();
    }

    @Test
    void queryStatusFollowsTheMachine() throws IOException {
        try (QmpTestClient c = client()) {
            JsonObject s = ok(c.execute("{\"execute\":\"query-status\"}")).getAsJsonObject("return");
            assertEquals("running", s.get("status").getAsString());
            assertTrue(s.get("running").getAsBoolean());
            assertFalse(s.get("singlestep").getAsBoolean());
            machine.state = MachineState.CREATED;
            s = ok(c.execute("{\"execute\":\"query-status\"}")).getAsJsonObject("return");
            assertEquals("prelaunch", s.get("status").getAsString());
            assertFalse(s.get("running").getAsBoolean());
        }
    }

    @Test
    void queryVersionMatchesTheGreeting() throws IOException {
        try (QmpTestClient c = client()) {
            JsonObject v = ok(c.execute("{\"execute\":\"query-version\"}")).getAsJsonObject("return");
            assertEquals(QmpServer.QEMU_MAJOR, v.getAsJsonObject("qemu").get("major").getAsInt());
            assertEquals(QmpServer.PACKAGE, v.get("package").getAsString());
        }
    }

    @Test
    void queryCommandsListsEveryRegisteredCommandAndQmpCapabilities() throws IOException {
        try (QmpTestClient c = client()) {
            Set<String> names = new HashSet<>();
            for (JsonElement e : ok(c.execute("{\"execute\":\"query-commands\"}")).getAsJsonArray("return")) {
                names.add(e.getAsJsonObject().get("name").getAsString());
            }
            assertEquals(Set.of("qmp_capabilities", "query-version", "query-status", "query-commands",
                    "query-cpus-fast", "stop", "cont", "system_reset", "system_powerdown", "quit", "device_add",
                    "device_del", "qom-list", "qom-get", "human-monitor-command", "eject", "blockdev-change-medium", "x-machina-fastpath"), names);
        }
    }

    @Test
    void ejectAndBlockdevChangeMediumReachTheMachine() throws IOException {
        try (QmpTestClient c = client()) {
            ok(c.execute("{\"execute\":\"eject\",\"arguments\":{\"device\":\"ide1-cd0\"}}"));
            ok(c.execute("{\"execute\":\"blockdev-change-medium\",\"arguments\":{\"id\":\"cd0\",\"filename\":\"b.iso\","
                    + "\"format\":\"raw\",\"read-only-mode\":\"retain\"}}"));
            ok(c.execute("{\"execute\":\"blockdev-change-medium\",\"arguments\":{\"device\":\"ide1-cd0\",\"filename\":\"c.iso\"}}"));
            assertEquals(List.of("eject ide1-cd0 false", "change cd0 b.iso raw false", "change ide1-cd0 c.iso  false"), machine.calls);
            JsonObject unknown = c.execute("{\"execute\":\"eject\",\"arguments\":{\"device\":\"hd0\"}}");
            assertEquals("DeviceNotFound", errorClass(unknown));
            assertTrue(desc(unknown).contains("removable drives: ide1-cd0"), desc(unknown));
            assertEquals("GenericError", errorClass(c.execute("{\"execute\":\"eject\",\"arguments\":{}}")), "device or id needed");
            assertEquals("GenericError", errorClass(c.execute("{\"execute\":\"blockdev-change-medium\",\"arguments\":"
                    + "{\"id\":\"cd0\",\"filename\":\"b.iso\",\"read-only-mode\":\"read-write\"}}")), "a CD-ROM is read-only");
            machine.cdLocked = true;
            JsonObject locked = c.execute("{\"execute\":\"eject\",\"arguments\":{\"id\":\"cd0\"}}");
            assertEquals("GenericError", errorClass(locked));
            assertTrue(desc(locked).contains("is locked and force was not specified"), desc(locked));
            ok(c.execute("{\"execute\":\"eject\",\"arguments\":{\"id\":\"cd0\",\"force\":true}}"));
            assertTrue(hmp(c, "eject ide1-cd0").contains("is locked"), "HMP shows the error as text");
            assertEquals("", hmp(c, "eject -f ide1-cd0"));
            machine.cdLocked = false;
            assertEquals("", hmp(c, "change cd0 d.iso raw"));
            assertTrue(hmp(c, "change cd0").startsWith("usage: change"));
            assertEquals(List.of("eject ide1-cd0 false", "change cd0 b.iso raw false", "change ide1-cd0 c.iso  false",
                    "eject cd0 true", "eject ide1-cd0 true", "change cd0 d.iso raw false"), machine.calls);
        }
    }

    @Test
    void fastPathSwitchesAtRunTime() throws IOException {
        try (QmpTestClient c = client()) {
            JsonObject r = ok(c.execute("{\"execute\":\"x-machina-fastpath\"}")).getAsJsonObject("return");
            assertTrue(r.get("enabled").getAsBoolean() && r.get("was").getAsBoolean(), r.toString());
            r = ok(c.execute("{\"execute\":\"x-machina-fastpath\",\"arguments\":{\"enable\":false}}")).getAsJsonObject("return");
            assertTrue(!r.get("enabled").getAsBoolean() && r.get("was").getAsBoolean(), r.toString());
            assertFalse(machine.fastPath);
            r = ok(c.execute("{\"execute\":\"x-machina-fastpath\",\"arguments\":{\"enable\":true}}")).getAsJsonObject("return");
            assertTrue(r.get("enabled").getAsBoolean() && !r.get("was").getAsBoolean(), r.toString());
            assertEquals("GenericError", errorClass(c.execute("{\"execute\":\"x-machina-fastpath\",\"arguments\":{\"enable\":\"no\"}}")));
        }
    }

    @Test
    void queryCpusFastShowsOneI386Cpu() throws IOException {
        try (QmpTestClient c = client()) {
            JsonArray cpus = ok(c.execute("{\"execute\":\"query-cpus-fast\"}")).getAsJsonArray("return");
            assertEquals(1, cpus.size());
            JsonObject cpu = cpus.get(0).getAsJsonObject();
            assertEquals(0, cpu.get("cpu-index").getAsInt());
            assertEquals("i386", cpu.get("target").getAsString());
            assertTrue(cpu.get("thread-id").getAsLong() > 0);
            machine.hasCpu = false;
            assertEquals(0, ok(c.execute("{\"execute\":\"query-cpus-fast\"}")).getAsJsonArray("return").size());
        }
    }

    @Test
    void lifecycleCommandsDriveTheMachineAndClientsSeeTheEvents() throws IOException {
        try (QmpTestClient c = client(); QmpTestClient watcher = client()) {
            ok(c.execute("{\"execute\":\"stop\"}"));
            ok(c.execute("{\"execute\":\"cont\"}"));
            ok(c.execute("{\"execute\":\"system_reset\"}"));
            ok(c.execute("{\"execute\":\"system_powerdown\"}"));
            ok(c.execute("{\"execute\":\"quit\"}"));
            assertEquals(List.of("pause host-qmp-stop", "start", "reset host-qmp-system-reset", "powerButton",
                    "shutdown host-qmp-quit 0"), machine.calls);
            for (String expected : List.of("STOP", "RESUME", "RESET", "POWERDOWN", "SHUTDOWN")) {
                assertEquals(expected, watcher.event().get("event").getAsString());
            }
            JsonObject shutdown = c.events.get(4);
            assertEquals("host-qmp-quit", shutdown.getAsJsonObject("data").get("reason").getAsString());
            assertFalse(shutdown.getAsJsonObject("data").get("guest").getAsBoolean());
        }
    }

    @Test
    void deviceAddQomAndDeviceDel() throws IOException {
        try (QmpTestClient c = client()) {
            ok(c.execute("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"isa-debugcon\",\"id\":\"dbg\","
                    + "\"iobase\":\"0xe9\",\"chardev\":\"out\",\"level\":3,\"on\":true}}"));
            assertEquals("addDevice isa-debugcon dbg {iobase=0xe9, chardev=out, level=3, on=true}",
                    machine.calls.get(0));

            JsonArray root = ok(c.execute("{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine\"}}"))
                    .getAsJsonArray("return");
            assertTrue(root.toString().contains("{\"name\":\"peripheral\",\"type\":\"child<container>\"}"), root::toString);
            JsonArray peripheral = ok(c.execute(
                    "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}")).getAsJsonArray("return");
            assertTrue(peripheral.toString().contains("{\"name\":\"dbg\",\"type\":\"child<isa-debugcon>\"}"));
            assertTrue(peripheral.toString().contains("{\"name\":\"serial0\",\"type\":\"child<isa-serial>\"}"));
            JsonArray props = ok(c.execute(
                    "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral/dbg\"}}")).getAsJsonArray("return");
            assertTrue(props.toString().contains("\"name\":\"iobase\""));
            assertEquals("isa-debugcon", ok(c.execute("{\"execute\":\"qom-get\",\"arguments\":"
                    + "{\"path\":\"/machine/peripheral/dbg\",\"property\":\"type\"}}")).get("return").getAsString());
            assertEquals("0xe9", ok(c.execute("{\"execute\":\"qom-get\",\"arguments\":"
                    + "{\"path\":\"dbg\",\"property\":\"iobase\"}}")).get("return").getAsString());
            JsonObject noProp = c.execute("{\"execute\":\"qom-get\",\"arguments\":"
                    + "{\"path\":\"/machine/peripheral/dbg\",\"property\":\"nope\"}}");
            assertEquals("GenericError", errorClass(noProp));
            assertTrue(desc(noProp).contains("nope") && desc(noProp).contains("iobase"), desc(noProp));
            assertEquals("DeviceNotFound", errorClass(c.execute(
                    "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral/ghost\"}}")));

            ok(c.execute("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"dbg\"}}"));
            assertEquals(1, c.events.size(), "exactly one DEVICE_DELETED: " + c.events);
            JsonObject deleted = c.event();
            assertEquals("DEVICE_DELETED", deleted.get("event").getAsString());
            assertEquals("dbg", deleted.getAsJsonObject("data").get("device").getAsString());
            assertEquals("/machine/peripheral/dbg", deleted.getAsJsonObject("data").get("path").getAsString());

            JsonObject gone = c.execute("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"dbg\"}}");
            assertEquals("DeviceNotFound", errorClass(gone));
            assertEquals("Device 'dbg' not found", desc(gone));
        }
    }

    @Test
    void deviceDelEmitsTheEventWhenTheMachineDoesNot() throws IOException {
        machine.raisesDeviceDeleted = false;
        try (QmpTestClient c = client()) {
            ok(c.execute("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"serial0\"}}"));
            assertEquals("serial0", c.event().getAsJsonObject("data").get("device").getAsString());
            ok(c.execute("{\"execute\":\"query-status\"}"));
            assertTrue(c.events.isEmpty(), "no second event");
        }
    }

    @Test
    void deviceAddErrorsNameTheProblem() throws IOException {
        try (QmpTestClient c = client()) {
            assertEquals("Parameter 'driver' is missing",
                    desc(c.execute("{\"execute\":\"device_add\",\"arguments\":{\"id\":\"x\"}}")));
            assertEquals("Invalid parameter type for 'driver', expected: string",
                    desc(c.execute("{\"execute\":\"device_add\",\"arguments\":{\"driver\":1,\"id\":\"x\"}}")));
            JsonObject nested = c.execute("{\"execute\":\"device_add\",\"arguments\":"
                    + "{\"driver\":\"isa-serial\",\"id\":\"x\",\"opts\":{\"a\":1}}}");
            assertTrue(desc(nested).contains("'opts'"), desc(nested));
            JsonObject unknown = c.execute("{\"execute\":\"device_add\",\"arguments\":"
                    + "{\"driver\":\"warp-drive\",\"id\":\"x\"}}");
            assertEquals("GenericError", errorClass(unknown));
            assertTrue(desc(unknown).contains("warp-drive"), desc(unknown));
        }
    }

    @Test
    void humanMonitorSubset() throws IOException {
        try (QmpTestClient c = client()) {
            assertEquals("VM status: running\r\n", hmp(c, "info status"));
            String regs = hmp(c, "info registers");
            assertEquals("EAX=12345678 EBX=00000000 ECX=00000000 EDX=00000000\r\nEIP=0000FFF0 CS=F000\r\n", regs);
            String qtree = hmp(c, "info qtree");
            assertTrue(qtree.contains("dev: isa-serial, id \"serial0\""), qtree);
            assertTrue(qtree.contains("iobase = \"0x3f8\""), qtree);
            assertTrue(hmp(c, "help").contains("info registers"));
            assertEquals("unknown command: 'bogus'\r\n", hmp(c, "bogus"));
            assertEquals("unknown command: 'info nothing'\r\n", hmp(c, "info nothing"));
            assertEquals("", hmp(c, "stop"));
            assertEquals("VM status: paused\r\n", hmp(c, "info status"));
            assertEquals("", hmp(c, "cont"));
            assertEquals(List.of("pause host-hmp-stop", "start"), machine.calls);
            assertEquals("Parameter 'command-line' is missing",
                    desc(c.execute("{\"execute\":\"human-monitor-command\"}")));
        }
    }
}
