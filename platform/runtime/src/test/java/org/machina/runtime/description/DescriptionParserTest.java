package org.machina.runtime.description;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.machina.api.machine.DescriptionException;

class DescriptionParserTest {
    private final DescriptionParser parser = new DescriptionParser(Path.of("."));

    @Test
    void fullDescription() {
        Description d = parser.parse("""
                {"board": {"type": "pc", "acpi": false}, "cpu": "pentium3", "memory": 64,
                 "chardevs": [{"id": "s0", "backend": "stdio"}],
                 "devices": [{"type": "isa-serial", "chardev": "s0", "index": 0}, {"type": "x", "id": "x1"}],
                 "append": "console=ttyS0", "no-reboot": true}
                """);
        assertEquals("pc", d.board().type());
        assertEquals("false", d.board().properties().get("acpi"));
        assertEquals(64L << 20, d.memoryBytes());
        assertEquals("pentium3", d.cpu().orElseThrow().model().orElseThrow());
        assertEquals("isa-serial.0", d.devices().get(0).id());
        assertEquals("0", d.devices().get(0).properties().get("index"));
        assertEquals("$.devices[1]", d.devices().get(1).path());
        assertTrue(d.noReboot());
    }

    @Test
    void netdevsTakeListsForRepeatedOptions() {
        Description d = parser.parse("""
                {"board": "pc",
                 "netdevs": [{"id": "n0", "type": "user", "hostfwd": ["tcp::2222-:22", "udp::53-:53"], "restrict": true}],
                 "devices": [{"type": "e1000", "netdev": "n0"}]}
                """);
        Description.Entry n = d.netdevs().get(0);
        assertEquals("user", n.type());
        assertEquals("n0", n.id());
        assertEquals("tcp::2222-:22\nudp::53-:53", n.properties().get("hostfwd"));
        assertEquals("true", n.properties().get("restrict"));
        DescriptionException e = assertThrows(DescriptionException.class, () -> parser.parse(
                "{\"board\": \"pc\", \"netdevs\": [{\"type\": \"user\"}]}"));
        assertEquals("$.netdevs[0].id", e.path());
        e = assertThrows(DescriptionException.class, () -> parser.parse(
                "{\"board\": \"pc\", \"netdevs\": [{\"id\": \"n\", \"type\": \"user\", \"hostfwd\": [1]}]}"));
        assertEquals("$.netdevs[0].hostfwd[0]", e.path());
    }

    @Test
    void globalsArePropertyDefaultsPerDeviceType() {
        Description d = parser.parse("""
                {"board": "pc", "globals": {"hpet": {"fastpath": false, "base": 4275048448}, "acpi-pm": {"fastpath": "off"}}}
                """);
        assertEquals(java.util.Map.of("hpet", java.util.Map.of("fastpath", "false", "base", "4275048448"),
                "acpi-pm", java.util.Map.of("fastpath", "off")), d.globals());
        assertEquals(java.util.Map.of(), parser.parse("{\"board\": \"pc\"}").globals());
        DescriptionException e = assertThrows(DescriptionException.class,
                () -> parser.parse("{\"board\": \"pc\", \"globals\": {\"hpet\": \"fastpath=off\"}}"));
        assertEquals("$.globals.hpet", e.path());
        e = assertThrows(DescriptionException.class,
                () -> parser.parse("{\"board\": \"pc\", \"globals\": {\"hpet\": {\"fastpath\": [1]}}}"));
        assertEquals("$.globals.hpet.fastpath", e.path());
        e = assertThrows(DescriptionException.class, () -> parser.parse("{\"board\": \"pc\", \"globals\": []}"));
        assertEquals("$.globals", e.path());
    }

    @Test
    void filtersAreEntriesWithAnId() {
        Description d = parser.parse("""
                {"board": "pc",
                 "netdevs": [{"id": "n0", "type": "stream", "addr.type": "inet", "addr.host": "127.0.0.1", "addr.port": 1}],
                 "filters": [{"id": "f0", "type": "filter-dump", "netdev": "n0", "file": "n0.pcap", "maxlen": 128}]}
                """);
        Description.Entry f = d.filters().get(0);
        assertEquals("filter-dump", f.type());
        assertEquals("f0", f.id());
        assertEquals("$.filters[0]", f.path());
        assertEquals("n0", f.properties().get("netdev"));
        assertEquals("128", f.properties().get("maxlen"));
        assertEquals("1", d.netdevs().get(0).properties().get("addr.port"));
        DescriptionException e = assertThrows(DescriptionException.class, () -> parser.parse(
                "{\"board\": \"pc\", \"filters\": [{\"type\": \"filter-dump\"}]}"));
        assertEquals("$.filters[0].id", e.path());
    }

    @Test
    void cpuNoneMeansNoCpu() {
        assertTrue(parser.parse("{\"board\": \"none\", \"cpu\": \"none\"}").cpu().isEmpty());
        assertEquals("tcg,thresh=4", parser.parse("{\"board\": \"pc\", \"cpu\": {\"accel\": \"tcg,thresh=4\"}}").cpu()
                .orElseThrow().accel());
        assertEquals("", parser.parse("{\"board\": \"pc\", \"cpu\": \"486\"}").cpu().orElseThrow().accel());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[]                                                      | $              | must be a JSON object",
        "{\"board\": \"pc\"} x                                   | $              | not valid JSON",
        "{}                                                      | $.board        | missing",
        "{\"board\": 3}                                          | $.board        | not a number (3)",
        "{\"board\": \"pc\", \"colour\": 1}                      | $.colour       | unknown key",
        "{\"board\": \"pc\", \"memory\": \"lots\"}               | $.memory       | not a size",
        "{\"board\": \"pc\", \"memory\": 0.5}                    | $.memory       | must be whole",
        "{\"board\": \"pc\", \"memory\": 99999}                  | $.memory       | between 1 MiB",
        "{\"board\": \"pc\", \"devices\": {}}                    | $.devices      | expected an array",
        "{\"board\": \"pc\", \"devices\": [{\"id\": \"a\"}]}     | $.devices[0].type | missing",
        "{\"board\": \"pc\", \"devices\": [{\"type\": \"a\", \"x\": [1]}]} | $.devices[0].x | property values must be",
        "{\"board\": \"pc\", \"devices\": [{\"type\": \"a\", \"id\": \"d\"}, {\"type\": \"b\", \"id\": \"d\"}]} | $.devices[1].id | duplicate id",
        "{\"board\": \"pc\", \"devices\": [{\"type\": \"a\", \"id\": \"9x\"}]} | $.devices[0].id | not a valid id",
        "{\"board\": \"pc\", \"chardevs\": [{\"backend\": \"stdio\"}]} | $.chardevs[0].id | needs an id",
        "{\"board\": \"pc\", \"kernel\": \"/no/such/file\"}      | $.kernel       | does not exist",
        "{\"board\": \"pc\", \"no-reboot\": \"yes\"}             | $.no-reboot    | expected true or false",
        "{\"board\": \"pc\", \"cpu\": {\"arch\": \"x86\"}}       | $.cpu.arch     | accepted: type, model, accel",
    })
    void errorsNameThePath(String json, String path, String message) {
        DescriptionException e = assertThrows(DescriptionException.class, () -> parser.parse(json));
        assertEquals(path, e.path());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
