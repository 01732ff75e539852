package org.machina.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.machina.itests.MachinaConfig.awaitAtLeast;
import static org.machina.itests.MachinaConfig.in;
import static org.machina.itests.MachinaConfig.out;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.machina.api.machine.BundleInfo;
import org.machina.api.machine.BundleService;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.HotSwapException;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;
import org.machina.api.machine.MachineState;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Hot-swap of the tick-counter bundle under a running machine: jars that do not resolve or lack
 * the type in use (refused before any pause), version 1 to version 2 (a changed state record,
 * migrated), a failing version 3 (rolled back), a downgrade to version 1 (newer state refused,
 * rolled back), and uninstall refused while in use; and a bundle installed at run time that
 * brings a new PCI device type.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapIT {
    private static final String BSN = "org.machina.tick-counter";
    private static final int BASE = 0x510;
    private static final int COUNT = BASE;
    private static final int PERIOD = BASE + 4;
    private static final int ID = BASE + 0xc;
    private static final int READS_V2 = BASE + 0x10;

    @Inject
    MachineService machines;

    @Inject
    BundleService bundles;

    @Configuration
    public Option[] config() throws Exception {
        return MachinaConfig.distribution();
    }

    private DeviceInfo ticks(Machine m) {
        return m.devices().stream().filter(d -> d.id().equals("ticks")).findFirst().orElseThrow();
    }

    private BundleInfo tickBundle() {
        return bundles.bundles().stream().filter(b -> b.symbolicName().equals(BSN)).findFirst().orElseThrow();
    }

    @Test
    public void swapsUnderARunningMachineKeepingStateAndRollsBackFailures() throws Exception {
        Machine m = machines.create("swap", """
                {"board": "none", "cpu": "none", "memory": 16,
                 "devices": [{"type": "tick-counter", "id": "ticks", "iobase": "0x510"},
                             {"type": "isa-debugcon", "id": "con"}]}
                """);
        try {
            m.start();
            out(m, PERIOD, 200);
            long before = awaitAtLeast(m, COUNT, 10);
            assertEquals(1, ticks(m).stateVersion());
            assertEquals(0x4d54434bL, in(m, ID));

            // A jar that will not resolve is refused before anything pauses.
            List<String> events = new CopyOnWriteArrayList<>();
            List<Map<String, Object>> swapped = new CopyOnWriteArrayList<>();
            m.addListener((machine, event, data) -> {
                events.add(event);
                if (event.equals("X_MACHINA_BUNDLE_SWAPPED")) {
                    swapped.add(data);
                }
            });
            String v1 = tickBundle().version();
            HotSwapException unresolvable = assertThrows(HotSwapException.class,
                    () -> bundles.update(BSN, System.getProperty("fixture.unresolvable")));
            assertTrue(unresolvable.getMessage(), unresolvable.getMessage().contains("does not resolve"));
            assertTrue(unresolvable.getMessage(), unresolvable.getMessage().contains("org.machina.nonexistent"));
            assertEquals("the guest never paused", List.of(), events);
            // A jar whose components do not include a type in use: refused before anything pauses.
            java.nio.file.Path noTypes = HotSwapJars.rebuilt(java.nio.file.Path.of(System.getProperty("fixture.v1")),
                    java.nio.file.Files.createTempFile("tick-counter-no-types", ".jar"), "1.0.1.notypes", true);
            HotSwapException missing = assertThrows(HotSwapException.class, () -> bundles.update(BSN, noTypes.toString()));
            assertTrue(missing.getMessage(), missing.getMessage().contains(
                    "does not provide device type 'tick-counter' (machine 'swap' device 'ticks')"));
            assertEquals("the guest never paused for it either", List.of(), events);
            assertEquals(MachineState.RUNNING, m.state());
            assertEquals(v1, tickBundle().version());

            // 1 -> 2 while running: the count carries on from where it was.
            BundleInfo v2 = bundles.update(BSN, System.getProperty("fixture.v2"));
            assertEquals("the swap reports its pause: " + swapped, 1, swapped.size());
            assertEquals("updated", swapped.get(0).get("outcome"));
            assertEquals(List.of("ticks"), swapped.get(0).get("devices"));
            long pauseUs = ((Number) swapped.get(0).get("pause-us")).longValue();
            assertTrue("pause " + pauseUs + " us", pauseUs > 0);
            assertEquals(List.of("STOP", "RESUME", "X_MACHINA_BUNDLE_SWAPPED"), events);
            assertEquals("2.0.0", v2.version());
            assertEquals(MachineState.RUNNING, m.state());
            assertEquals(2, ticks(m).stateVersion());
            assertEquals("new code serves the registers", 0x4d544332L, in(m, ID));
            long after = in(m, COUNT);
            assertTrue("count went on from " + before + ", read " + after, after >= before);
            assertEquals("the period register survived", 200, in(m, PERIOD));
            awaitAtLeast(m, COUNT, after + 10);

            // Exactly nothing lost: swap while paused and compare counts.
            m.pause("test");
            long paused = in(m, COUNT);
            long reads = in(m, READS_V2);
            assertTrue(reads >= 2);

            // The API bundle is shared with the runtime: its update is refused, nothing stops.
            HotSwapException shared = assertThrows(HotSwapException.class,
                    () -> bundles.update("org.machina.device-api", System.getProperty("fixture.v2")));
            assertTrue(shared.getMessage(), shared.getMessage().contains("is shared: the runtime"));
            assertEquals(MachineState.PAUSED, m.state());

            // A version whose state load fails: rolled back to version 2 with the state intact.
            HotSwapException failed = assertThrows(HotSwapException.class,
                    () -> bundles.update(BSN, System.getProperty("fixture.broken")));
            assertTrue(failed.getMessage(), failed.getMessage().contains("rolled back"));
            assertEquals("2.0.0", tickBundle().version());
            assertEquals(MachineState.PAUSED, m.state());
            assertEquals("rolled-back", swapped.get(swapped.size() - 1).get("outcome"));
            assertEquals(paused, in(m, COUNT));
            assertEquals("the read counter of version 2 survived the rollback (one more COUNT read since)", reads + 1, in(m, READS_V2));
            assertEquals(0x4d544332L, in(m, ID));

            // A downgrade to version 1 cannot read state version 2: refused and rolled back.
            HotSwapException newer = assertThrows(HotSwapException.class,
                    () -> bundles.update(BSN, System.getProperty("fixture.v1")));
            assertTrue(newer.getMessage(), newer.getMessage().contains("newer than version 1"));
            assertEquals("2.0.0", tickBundle().version());
            assertEquals(paused, in(m, COUNT));

            m.resume();
            awaitAtLeast(m, COUNT, paused + 10);

            // Uninstall refused while in use, naming the machine and device.
            HotSwapException inUse = assertThrows(HotSwapException.class, () -> bundles.uninstall(BSN, false));
            assertTrue(inUse.getMessage(), inUse.getMessage().contains("machine 'swap' device 'ticks'"));
            assertTrue(tickBundle().provides().contains("device:tick-counter"));

            // Forced: the device goes, the machine keeps running.
            bundles.uninstall(BSN, true);
            assertTrue(m.devices().stream().noneMatch(d -> d.id().equals("ticks")));
            assertEquals(MachineState.RUNNING, m.state());
            assertEquals("ports of the removed device are unmapped", 0xffffffffL, in(m, COUNT));
        } finally {
            m.shutdown("test over", 0);
        }
    }

    /**
     * Runtime install: a bundle that brings a new PCI device type ({@code examples/pci-scratch},
     * not in the distribution) is installed into a running PC machine, a device of that type is
     * added, and its function answers in configuration space and through the I/O BAR the test
     * programs; an update of that bundle carries the function's configuration (BAR address,
     * command register) and registers; removal takes it off the bus.
     */
    @Test
    public void aBundleInstalledAtRunTimeBringsAPciDeviceTypeToARunningMachine() throws Exception {
        java.nio.file.Path rom = java.nio.file.Files.createTempFile("hlt", ".rom");
        byte[] hlt = new byte[65536];
        java.util.Arrays.fill(hlt, (byte) 0xF4);
        java.nio.file.Files.write(rom, hlt);
        Machine m = machines.create("install", """
                {"board": "pc", "cpu": "none", "memory": 32, "firmware": "%s"}
                """.formatted(rom));
        String bsn = "org.machina.example.pci-scratch";
        try {
            m.start();
            assertThrows(RuntimeException.class, () -> m.addDevice("pci-scratch", "s", Map.of()));
            BundleInfo installed = bundles.install(System.getProperty("fixture.pciScratch"));
            assertEquals(bsn, installed.symbolicName());
            assertTrue(installed.provides().toString(), installed.provides().contains("device:pci-scratch"));
            int cfg = 0x80000000 | (7 << 11);
            out(m, 0xCF8, cfg);
            assertEquals("slot 7 is empty before device_add", 0xFFFFFFFFL, in(m, 0xCFC));
            m.addDevice("pci-scratch", "s", Map.of("addr", "7"));
            out(m, 0xCF8, cfg);
            assertEquals("vendor 1234, device 4d01", 0x4D011234L, in(m, 0xCFC));
            out(m, 0xCF8, cfg | 0x10);
            out(m, 0xCFC, 0xC100);
            out(m, 0xCF8, cfg | 0x04);
            out(m, 0xCFC, 1); // I/O space decoding on
            assertEquals("ID through BAR 0", 0x4D534352L, in(m, 0xC100));
            out(m, 0xC104, 0x12345678L);
            assertEquals(1, in(m, 0xC108));

            java.nio.file.Path jar = java.nio.file.Path.of(System.getProperty("fixture.pciScratch"));
            BundleInfo updated = bundles.update(bsn, HotSwapJars.rebuilt(jar,
                    java.nio.file.Files.createTempFile("pci-scratch", ".jar"), "0.1.1.swapped", false).toString());
            assertEquals("0.1.1.swapped", updated.version());
            assertEquals("the BAR is decoded where the guest put it", 0x4D534352L, in(m, 0xC100));
            assertEquals("scratch carried", 0x12345678L, in(m, 0xC104));
            assertEquals("write count carried", 1, in(m, 0xC108));
            out(m, 0xCF8, cfg);
            assertEquals("same slot after the swap", 0x4D011234L, in(m, 0xCFC));

            m.removeDevice("s");
            out(m, 0xCF8, cfg);
            assertEquals("slot 7 empty after removal", 0xFFFFFFFFL, in(m, 0xCFC));
            assertEquals("BAR unmapped after removal", 0xFFFFFFFFL, in(m, 0xC100));
            bundles.uninstall(bsn, false);
            assertTrue(bundles.bundles().stream().noneMatch(b -> b.symbolicName().equals(bsn)));
        } finally {
            m.shutdown("test over", 0);
            java.nio.file.Files.deleteIfExists(rom);
        }
    }
}
