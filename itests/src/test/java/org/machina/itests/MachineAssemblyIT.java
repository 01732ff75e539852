package org.machina.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.machina.itests.MachinaConfig.awaitAtLeast;
import static org.machina.itests.MachinaConfig.in;
import static org.machina.itests.MachinaConfig.out;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.machina.api.machine.DescriptionException;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;
import org.machina.api.machine.MachineState;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** Machines assembled from descriptions inside a real Felix with the distribution's bundles. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MachineAssemblyIT {
    @Inject
    MachineService machines;

    @Configuration
    public Option[] config() throws Exception {
        return MachinaConfig.distribution();
    }

    @Test
    public void assemblesDevicesFromTheirBundlesAndRunsGuestTime() throws Exception {
        Path log = Files.createTempFile("debugcon", ".log");
        Machine m = machines.create("assembly", """
                {"board": "none", "cpu": "none", "memory": 16,
                 "chardevs": [{"id": "dbg", "backend": "file", "path": "%s"}],
                 "devices": [{"type": "isa-debugcon", "id": "con", "chardev": "dbg"},
                             {"type": "tick-counter", "id": "ticks", "iobase": "0x510"},
                             {"type": "isa-debug-exit", "id": "exit"}]}
                """.formatted(log));
        try {
            List<DeviceInfo> devices = m.devices();
            assertEquals(List.of("con", "ticks", "exit"), devices.stream().map(DeviceInfo::id).toList());
            assertTrue(devices.get(1).bundle().startsWith("org.machina.tick-counter "));
            assertEquals(MachineState.CREATED, m.state());

            for (byte b : "hello\n".getBytes(StandardCharsets.US_ASCII)) {
                out(m, 0xe9, b);
            }
            assertEquals("hello\n", Files.readString(log));
            assertEquals(0x4d54434bL, in(m, 0x51c));

            out(m, 0x514, 100); // a tick every 100 us of guest time
            Thread.sleep(50);
            assertEquals("guest time stands still before start", 0, in(m, 0x510));
            m.start();
            long ticks = awaitAtLeast(m, 0x510, 20);
            m.pause("test");
            long frozen = in(m, 0x510);
            assertTrue(frozen >= ticks);
            Thread.sleep(50);
            assertEquals("guest time stands still while paused", frozen, in(m, 0x510));
            m.resume();
            awaitAtLeast(m, 0x510, frozen + 5);

            out(m, 0x501, 3); // isa-debug-exit: status (3 << 1) | 1
            assertEquals(Integer.valueOf(7), m.awaitShutdown(Duration.ofSeconds(20)).orElseThrow());
            assertEquals(MachineState.SHUT_DOWN, m.state());
        } finally {
            m.shutdown("test over", 0);
        }
    }

    @Test
    public void netdevsAreOpenedForTheirNicsAndRefusedWhenUndefinedOrShared() throws Exception {
        Path rom = Files.createTempFile("hlt", ".rom");
        byte[] hlt = new byte[65536];
        java.util.Arrays.fill(hlt, (byte) 0xF4);
        Files.write(rom, hlt);
        Machine m = machines.create("net", """
                {"board": "pc", "cpu": "none", "memory": 32, "firmware": "%s",
                 "netdevs": [{"id": "n0", "type": "user", "hostfwd": ["tcp:127.0.0.1:0-:80", "udp:127.0.0.1:0-:53"]},
                             {"id": "n1", "type": "user", "net": "10.0.3.0/24"}],
                 "devices": [{"type": "e1000", "id": "nic0", "netdev": "n0"},
                             {"type": "virtio-net-pci", "id": "nic1", "netdev": "n1", "mac": "52:54:00:00:00:09"}]}
                """.formatted(rom));
        try {
            List<String> ids = m.devices().stream().map(DeviceInfo::id).toList();
            assertTrue(ids.toString(), ids.containsAll(List.of("nic0", "nic1")));
        } finally {
            m.shutdown("test over", 0);
        }
        DescriptionException e = assertThrows(DescriptionException.class, () -> machines.create("net2",
                "{\"board\": \"pc\", \"cpu\": \"none\", \"devices\": [{\"type\": \"e1000\", \"netdev\": \"nope\"}]}"));
        assertEquals("$.devices[0].netdev", e.path());
        assertTrue(e.getMessage(), e.getMessage().contains("no netdev with id 'nope'; defined: (none)"));
        e = assertThrows(DescriptionException.class, () -> machines.create("net3",
                "{\"board\": \"pc\", \"netdevs\": [{\"id\": \"n\", \"type\": \"tap\"}]}"));
        assertEquals("$.netdevs[0].type", e.path());
        RuntimeException shared = assertThrows(RuntimeException.class, () -> machines.create("net4", """
                {"board": "pc", "cpu": "none", "firmware": "%s", "netdevs": [{"id": "n", "type": "user"}],
                 "devices": [{"type": "e1000", "id": "a", "netdev": "n"}, {"type": "e1000", "id": "b", "netdev": "n"}]}
                """.formatted(rom)));
        Files.deleteIfExists(rom);
        assertTrue(shared.getMessage(), shared.getMessage().contains("netdev 'n' is already used by device 'a'"));
    }

    /**
     * {@code "globals"} ({@code -global TYPE.PROP=VALUE}) set a property of every device of a
     * type, the board's default devices included, unless the device's entry sets it; unknown
     * types, properties and bad values are refused with the path of the global.
     */
    @Test
    public void globalsSetPropertiesOfTheBoardsDefaultDevices() throws Exception {
        Path rom = Files.createTempFile("hlt", ".rom");
        byte[] hlt = new byte[65536];
        java.util.Arrays.fill(hlt, (byte) 0xF4);
        Files.write(rom, hlt);
        try {
            Machine m = machines.create("globals", """
                    {"board": "pc", "cpu": "none", "memory": 32, "firmware": "%s",
                     "globals": {"hpet": {"fastpath": "off"}, "acpi-pm": {"fastpath": "off"},
                                 "piix3-ide": {"fastpath": "off"}},
                     "devices": [{"type": "acpi-pm", "id": "acpi-pm", "fastpath": true}]}
                    """.formatted(rom));
            try {
                java.util.Map<String, DeviceInfo> byId = new java.util.HashMap<>();
                m.devices().forEach(d -> byId.put(d.id(), d));
                assertEquals("the board's hpet takes the global", "false", byId.get("hpet").properties().get("fastpath"));
                assertEquals("0xFED00000 from the board", 0xFED00000L,
                        Long.decode(byId.get("hpet").properties().get("base")).longValue());
                assertEquals("the entry's own value wins", "true", byId.get("acpi-pm").properties().get("fastpath"));
                assertEquals("the board's IDE controller takes the global", "false",
                        byId.get("ide").properties().get("fastpath"));
            } finally {
                m.shutdown("test over", 0);
            }
            DescriptionException e = assertThrows(DescriptionException.class, () -> machines.create("globals2",
                    "{\"board\": \"none\", \"cpu\": \"none\", \"globals\": {\"hpet\": {\"colour\": \"red\"}}}"));
            assertEquals("$.globals.hpet.colour", e.path());
            assertTrue(e.getMessage(), e.getMessage().contains("'hpet' has no property 'colour'; accepted: base, fastpath"));
            e = assertThrows(DescriptionException.class, () -> machines.create("globals3",
                    "{\"board\": \"none\", \"cpu\": \"none\", \"globals\": {\"hpet\": {\"fastpath\": \"maybe\"}}}"));
            assertEquals("$.globals.hpet.fastpath", e.path());
            e = assertThrows(DescriptionException.class, () -> machines.create("globals4",
                    "{\"board\": \"none\", \"cpu\": \"none\", \"globals\": {\"hpet3\": {}}}"));
            assertEquals("$.globals.hpet3", e.path());
        } finally {
            Files.deleteIfExists(rom);
        }
    }

    @Test
    public void streamNetdevConnectsAndFilterDumpWritesItsFile() throws Exception {
        Path rom = Files.createTempFile("hlt", ".rom");
        byte[] hlt = new byte[65536];
        java.util.Arrays.fill(hlt, (byte) 0xF4);
        Files.write(rom, hlt);
        Path pcap = Files.createTempFile("dump", ".pcap");
        Files.delete(pcap);
        try (java.net.ServerSocket peer = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            peer.setSoTimeout(20_000);
            Machine m = machines.create("netstream", """
                    {"board": "pc", "cpu": "none", "memory": 32, "firmware": "%s",
                     "netdevs": [{"id": "s0", "type": "stream", "addr.type": "inet", "addr.host": "127.0.0.1", "addr.port": %d}],
                     "devices": [{"type": "e1000", "id": "nic0", "netdev": "s0"}],
                     "filters": [{"type": "filter-dump", "id": "f0", "netdev": "s0", "file": "%s", "maxlen": 96}]}
                    """.formatted(rom, peer.getLocalPort(), pcap));
            try (java.net.Socket s = peer.accept()) {
                assertTrue("the stream netdev connected to the test's listener", s.isConnected());
                byte[] header = Files.readAllBytes(pcap);
                assertEquals("the pcap global header is written at once", 24, header.length);
                assertEquals((byte) 0xd4, header[0]);
                assertEquals(96, java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(16));
            } finally {
                m.shutdown("test over", 0);
            }
        } finally {
            Files.deleteIfExists(pcap);
        }
        DescriptionException e = assertThrows(DescriptionException.class, () -> machines.create("netstream2", """
                {"board": "pc", "cpu": "none", "firmware": "%s", "netdevs": [{"id": "n", "type": "user"}],
                 "filters": [{"type": "filter-mirror", "id": "f", "netdev": "n"}]}
                """.formatted(rom)));
        assertEquals("$.filters[0].type", e.path());
        e = assertThrows(DescriptionException.class, () -> machines.create("netstream3", """
                {"board": "pc", "cpu": "none", "firmware": "%s", "netdevs": [{"id": "n", "type": "user"}],
                 "filters": [{"type": "filter-dump", "id": "f", "netdev": "m", "file": "x.pcap"}]}
                """.formatted(rom)));
        assertEquals("$.filters[0].netdev", e.path());
        e = assertThrows(DescriptionException.class, () -> machines.create("netstream4", """
                {"board": "pc", "cpu": "none", "firmware": "%s",
                 "netdevs": [{"id": "d", "type": "dgram", "local.type": "inet", "local.host": "127.0.0.1", "local.port": 0}]}
                """.formatted(rom)));
        assertTrue(e.getMessage(), e.getMessage().contains("needs remote.type=inet"));
        Files.deleteIfExists(rom);
    }

    @Test
    public void malformedDescriptionsNameTheField() {
        DescriptionException e = assertThrows(DescriptionException.class, () -> machines.create("bad1",
                "{\"board\": \"none\", \"cpu\": \"none\", \"devices\": [{\"type\": \"tick-counter\", \"iobase\": \"zz\"}]}"));
        assertEquals("$.devices[0].iobase", e.path());
        assertTrue(e.getMessage(), e.getMessage().contains("'zz' is not an integer"));

        e = assertThrows(DescriptionException.class, () -> machines.create("bad2",
                "{\"board\": \"none\", \"cpu\": \"none\", \"devices\": [{\"type\": \"hpet2\"}]}"));
        assertEquals("$.devices[0].type", e.path());
        assertTrue(e.getMessage(), e.getMessage().contains("no device type 'hpet2'; installed: ")
                && e.getMessage().contains("tick-counter"));

        e = assertThrows(DescriptionException.class, () -> machines.create("bad3",
                "{\"board\": \"none\", \"cpu\": \"none\", \"devices\": [{\"type\": \"tick-counter\", \"colour\": \"red\"}]}"));
        assertEquals("$.devices[0].colour", e.path());
        assertTrue(e.getMessage(), e.getMessage().contains("accepted: iobase, irq"));

        e = assertThrows(DescriptionException.class, () -> machines.create("bad4", "{\"board\": \"none\", \"memory\": \"lots\"}"));
        assertEquals("$.memory", e.path());

        e = assertThrows(DescriptionException.class, () -> machines.create("bad5", "{\"board\": \"none\",}"));
        assertEquals("$", e.path());
        assertTrue(e.getMessage(), e.getMessage().contains("not valid JSON"));

        e = assertThrows(DescriptionException.class, () -> machines.create("bad6",
                "{\"board\": \"none\", \"cpu\": \"none\", \"devices\": [{\"type\": \"isa-debugcon\", \"chardev\": \"nope\"}]}"));
        assertEquals("$.devices[0].chardev", e.path());
        assertTrue(e.getMessage(), e.getMessage().contains("no chardev with id 'nope'; defined: (none)"));
        assertTrue("failed machines are not kept", machines.find("bad6").isEmpty());
    }
}
