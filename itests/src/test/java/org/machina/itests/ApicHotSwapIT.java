package org.machina.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.machina.api.machine.BundleInfo;
import org.machina.api.machine.BundleService;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Hot-swap of the local APIC ({@code apic}) and the I/O APIC ({@code ioapic}) under a running
 * {@code pc} machine with {@code -cpu pentium3,+apic}: the devices-pc bundle is replaced by a copy
 * with another version while the CPU sits in a {@code STI; HLT} loop with interrupts in service
 * and pending. The test programs the APICs through their registers as a guest would: vector 0x80
 * (a self-IPI) and 0x90 (I/O APIC input 9, level-triggered, active high, so the board's idle high
 * level of that active-low line asserts it) are in service, 0x70 (a self-IPI) and 0x60 (the
 * periodic timer) wait in the IRR behind them, the redirection table holds entries with their
 * remote IRR. After the swap every register reads the same, nothing was delivered twice, and the
 * new instances go on: EOIs reach the new I/O APIC (input 9 is sent again until its polarity is
 * set right), the pending vectors are delivered in priority order and the timer keeps ticking.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ApicHotSwapIT {
    private static final String BSN = "org.machina.devices-pc";
    private static final long LAPIC = 0xFEE0_0000L;
    private static final long IOAPIC = 0xFEC0_0000L;
    private static final int SVR = 0xF0, EOI = 0xB0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ICR_LOW = 0x300,
            LVT_TIMER = 0x320, TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3E0;
    /** The vectors the handlers count, each at counter {@code 0x600 + 2 * index}. */
    private static final int[] VECTORS = {0x60, 0x70, 0x80, 0x90, 0xFF};
    private static final int HANDLERS = 0x500, COUNTERS = 0x600;

    @Inject
    MachineService machines;

    @Inject
    BundleService bundles;

    @Configuration
    public Option[] config() throws Exception {
        return MachinaConfig.distribution();
    }

    /** A 64 KiB ROM: at F000:E000 DS = SS = 0, SP = 0x7C00, STI, then HLT forever; the reset vector jumps there. */
    static byte[] haltingRom() {
        byte[] rom = new byte[0x10000];
        java.util.Arrays.fill(rom, (byte) 0xF4);
        byte[] code = {0x31, (byte) 0xC0, (byte) 0x8E, (byte) 0xD8, (byte) 0x8E, (byte) 0xD0, (byte) 0xBC, 0x00, 0x7C,
            (byte) 0xFB, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD};
        System.arraycopy(code, 0, rom, 0xE000, code.length);
        byte[] reset = {(byte) 0xEA, 0x00, (byte) 0xE0, 0x00, (byte) 0xF0}; // JMP F000:E000
        System.arraycopy(reset, 0, rom, 0xFFF0, reset.length);
        return rom;
    }

    /** Real-mode handlers in RAM: INC WORD [counter]; IRET (no EOI: the vector stays in service). */
    private static void installHandlers(Machine m) throws Exception {
        for (int k = 0; k < VECTORS.length; k++) {
            int handler = HANDLERS + 8 * k;
            int counter = COUNTERS + 2 * k;
            byte[] code = {(byte) 0xFF, 0x06, (byte) counter, (byte) (counter >> 8), (byte) 0xCF};
            int at = handler;
            onMachine(m, () -> {
                m.memory().write(at, code, 0, code.length);
                return null;
            });
            write(m, 4L * VECTORS[k], 4, handler); // IVT entry: offset, segment 0
        }
    }

    private static <T> T onMachine(Machine m, java.util.concurrent.Callable<T> task) throws Exception {
        return m.executor().submit(task).get(10, TimeUnit.SECONDS);
    }

    private static long read(Machine m, long address) throws Exception {
        return onMachine(m, () -> m.memory().read(address, 4));
    }

    private static void write(Machine m, long address, int size, long value) throws Exception {
        onMachine(m, () -> {
            m.memory().write(address, size, value);
            return null;
        });
    }

    private static long ioapic(Machine m, int index) throws Exception {
        return onMachine(m, () -> {
            m.memory().write(IOAPIC, 4, index);
            return m.memory().read(IOAPIC + 0x10, 4);
        });
    }

    private static void ioapic(Machine m, int index, long value) throws Exception {
        onMachine(m, () -> {
            m.memory().write(IOAPIC, 4, index);
            m.memory().write(IOAPIC + 0x10, 4, value);
            return null;
        });
    }

    private static int count(Machine m, int vector) throws Exception {
        for (int k = 0; k < VECTORS.length; k++) {
            if (VECTORS[k] == vector) {
                int at = COUNTERS + 2 * k;
                return onMachine(m, () -> (int) m.memory().read(at, 2));
            }
        }
        throw new IllegalArgumentException("no counter for vector " + vector);
    }

    /** Waits (at most 20 s) until vector {@code vector} was taken at least {@code times} times. */
    private static void awaitCount(Machine m, int vector, int times) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (count(m, vector) < times) {
            if (System.nanoTime() > end) {
                throw new AssertionError("vector 0x" + Integer.toHexString(vector) + " taken " + count(m, vector)
                        + " times, expected " + times);
            }
            Thread.sleep(5);
        }
    }

    private static boolean bit(Machine m, int base, int vector) throws Exception {
        return (read(m, LAPIC + base + (vector >> 5) * 0x10) >>> (vector & 31) & 1) != 0;
    }

    private static void awaitBit(Machine m, int base, int vector) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!bit(m, base, vector)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("bit 0x" + Integer.toHexString(vector) + " of 0x" + Integer.toHexString(base));
            }
            Thread.sleep(5);
        }
    }

    /** The guest-visible state the swap must keep: ISR, TMR, IRR, SVR, timer set-up, the I/O APIC's id and table. */
    private static long[] registers(Machine m) throws Exception {
        long[] r = new long[24 + 4 + 1 + 48];
        for (int i = 0; i < 24; i++) {
            r[i] = read(m, LAPIC + ISR + 0x10L * i); // ISR, TMR and IRR are contiguous
        }
        r[24] = read(m, LAPIC + SVR);
        r[25] = read(m, LAPIC + LVT_TIMER);
        r[26] = read(m, LAPIC + TIMER_INITIAL);
        r[27] = read(m, LAPIC + TIMER_DIVIDE);
        r[28] = ioapic(m, 0);
        for (int i = 0; i < 48; i++) {
            r[29 + i] = ioapic(m, 0x10 + i);
        }
        return r;
    }

    @Test
    public void apicsKeepPendingInterruptsTimerAndRedirectionTableAcrossASwap() throws Exception {
        Path rom = Files.createTempFile("apic-halt", ".rom");
        Files.write(rom, haltingRom());
        Machine m = machines.create("apicswap", """
                {"board": "pc", "cpu": {"type": "x86", "model": "pentium3,+apic"}, "memory": 32, "firmware": "%s"}
                """.formatted(rom));
        try {
            installHandlers(m);
            m.start();
            write(m, LAPIC + SVR, 4, 0x1FF); // software enabled, spurious vector 0xFF
            write(m, LAPIC + TIMER_DIVIDE, 4, 0xA); // bus clock / 128
            write(m, LAPIC + LVT_TIMER, 4, 0x20000 | 0x60); // periodic, vector 0x60
            write(m, LAPIC + TIMER_INITIAL, 4, 50_000); // 64 ms
            write(m, LAPIC + ICR_LOW, 4, 1 << 18 | 0x80); // self-IPI
            awaitCount(m, 0x80, 1);
            write(m, LAPIC + ICR_LOW, 4, 1 << 18 | 0x70); // pending behind 0x80
            awaitBit(m, IRR, 0x60); // the timer fired: pending behind 0x80 too
            ioapic(m, 0, 0x0100_0000L);
            ioapic(m, 0x10 + 2 * 4, 0x10034); // input 4: masked, edge, vector 0x34
            ioapic(m, 0x11 + 2 * 11, 0x0100_0000L);
            ioapic(m, 0x10 + 2 * 11, 0x1A8B1); // input 11: masked, level, low active, logical, vector 0xB1
            ioapic(m, 0x10 + 2 * 9, 0x8090); // input 9: level, active HIGH (wrong for an idle-high line), vector 0x90
            awaitCount(m, 0x90, 1);
            assertTrue("0x80 and 0x90 in service", bit(m, ISR, 0x80) && bit(m, ISR, 0x90));
            assertTrue("0x90 level-triggered", bit(m, TMR, 0x90));
            assertTrue("0x70 pending", bit(m, IRR, 0x70));
            assertEquals("remote IRR of input 9", 0x4000L, ioapic(m, 0x10 + 2 * 9) & 0x4000);
            long[] before = registers(m);
            int[] counts = {count(m, 0x60), count(m, 0x70), count(m, 0x80), count(m, 0x90)};
            assertEquals("nothing pending was delivered", 0, counts[0] + counts[1]);

            List<Map<String, Object>> swapped = new CopyOnWriteArrayList<>();
            m.addListener((machine, event, data) -> {
                if (event.equals("X_MACHINA_BUNDLE_SWAPPED")) {
                    swapped.add(data);
                }
            });
            Path jar = Path.of(System.getProperty("machina.bundles"), "devices-pc-0.1.0-SNAPSHOT.jar");
            BundleInfo updated = bundles.update(BSN, HotSwapJars.rebuilt(jar, Files.createTempFile("devices-pc", ".jar"),
                    "0.1.1.apicswap", false).toString());
            assertEquals("0.1.1.apicswap", updated.version());
            assertEquals(swapped.toString(), 1, swapped.size());
            assertEquals("updated", swapped.get(0).get("outcome"));
            List<?> devices = (List<?>) swapped.get(0).get("devices");
            assertTrue(devices.toString(), devices.contains("apic") && devices.contains("ioapic"));

            assertArrayEquals("ISR, TMR, IRR, SVR, timer, I/O APIC id and redirection table", before, registers(m));
            assertArrayEquals("nothing delivered again", counts,
                    new int[] {count(m, 0x60), count(m, 0x70), count(m, 0x80), count(m, 0x90)});
            long current = read(m, LAPIC + TIMER_CURRENT);
            assertTrue("the periodic count runs: " + current, current > 0 && current <= 50_000);

            // The new instances go on: the EOI for 0x90 reaches the new I/O APIC, whose input 9 is
            // still asserted for its (wrong) polarity, so it is sent again.
            write(m, LAPIC + EOI, 4, 0);
            awaitCount(m, 0x90, 2);
            assertEquals("sent again: remote IRR", 0x4000L, ioapic(m, 0x10 + 2 * 9) & 0x4000);
            ioapic(m, 0x10 + 2 * 9, 0xA090); // low active: the idle line is not asserted
            write(m, LAPIC + EOI, 4, 0);
            assertEquals("remote IRR cleared, nothing sent", 0L, ioapic(m, 0x10 + 2 * 9) & 0x4000);
            write(m, LAPIC + EOI, 4, 0); // 0x80 done: 0x70, then 0x60
            awaitCount(m, 0x70, 1);
            assertEquals(2, count(m, 0x90));
            write(m, LAPIC + EOI, 4, 0);
            awaitCount(m, 0x60, 1);
            for (int tick = 2; tick <= 4; tick++) { // the timer keeps ticking on the new instance
                write(m, LAPIC + EOI, 4, 0);
                awaitCount(m, 0x60, tick);
            }
            assertEquals("one of each self-IPI", 1, count(m, 0x70));
            assertEquals("no spurious interrupt", 0, count(m, 0xFF));
        } finally {
            m.shutdown("test over", 0);
            Files.deleteIfExists(rom);
        }
    }
}
