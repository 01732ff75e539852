package org.machina.devices.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.device.DeviceContext;
import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.fastpath.FastPathRegistry;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.slf4j.LoggerFactory;

/**
 * The PIIX IDE fast path ({@link IdeFastPath}) through the device SPI: two controllers, one with
 * {@code fastpath=on} and one with it off, each with its own copy of a disk, take the same port
 * accesses in lockstep (on the first, an access a handler serves does not reach the normal path,
 * as in the CPU); every value read, IRQ 14's level after every access and the disks afterwards
 * are the same, and the handlers served what they should (all data words but each block's last,
 * status reads without an interrupt pending, every alternate status read).
 */
class IdeFastPathTest {
    static final int SECTORS = 256;

    /** A fast-path handler as attached: the port range it covers. */
    record Attached(long base, long offset, long length, FastPathHandler handler) {
    }

    /** One controller with a disk on ide.0 unit 0, its ports, ISA IRQs and attached handlers. */
    static final class Rig {
        final Map<Long, MemoryRegion.Io> ports = new HashMap<>();
        final Map<Integer, Boolean> irqs = new HashMap<>();
        final List<Attached> handlers = new ArrayList<>();
        final FakeDisk disk = new FakeDisk(SECTORS * 512, false);
        final FastPathRead result = new FastPathRead();
        final PiixIde ide;
        final AtapiCdrom cd = new AtapiCdrom(new FakeDisk(64 * 2048, true), "c", "cd");
        int served;
        int declined;
        int strings;

        Rig(boolean fastPath) {
            ide = new PiixIde(context(), 1, 1, fastPath);
            ide.realize();
            ide.reset();
            ide.attach("hd", 0, 0, new AtaDisk(disk, "s", "m"));
            ide.attach("cd", 1, 0, cd);
        }

        private DeviceContext context() {
            ClassLoader cl = getClass().getClassLoader();
            IoSpace io = (IoSpace) Proxy.newProxyInstance(cl, new Class<?>[] {IoSpace.class}, (p, m, a) -> {
                if (!m.getName().equals("map")) {
                    throw new UnsupportedOperationException(m.getName());
                }
                long base = (Long) a[0];
                MemoryRegion.Io region = (MemoryRegion.Io) a[1];
                ports.put(base, region);
                return (Mapping) Proxy.newProxyInstance(cl, new Class<?>[] {Mapping.class}, (mp, mm, ma) ->
                        switch (mm.getName()) {
                            case "base" -> base;
                            case "region" -> region;
                            default -> throw new UnsupportedOperationException(mm.getName());
                        });
            });
            FastPathRegistry registry = (mapping, offset, length, handler) -> {
                handlers.add(new Attached(mapping.base(), offset, length, handler));
                return () -> handlers.removeIf(h -> h.handler() == handler);
            };
            PciSlot slot = (PciSlot) Proxy.newProxyInstance(cl, new Class<?>[] {PciSlot.class}, (p, m, a) ->
                    switch (m.getName()) {
                        case "busMaster" -> true;
                        case "unplug" -> null;
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
            PciBus bus = new PciBus() {
                @Override
                public PciSlot plug(String name, PciEndpoint e, int s) {
                    throw new AssertionError("function 0 not expected");
                }

                @Override
                public PciSlot plug(String name, PciEndpoint e, int s, int function) {
                    return slot;
                }
            };
            FakeRam ram = new FakeRam(1 << 16);
            return (DeviceContext) Proxy.newProxyInstance(cl, new Class<?>[] {DeviceContext.class}, (p, m, a) ->
                    switch (m.getName()) {
                        case "id" -> "ide";
                        case "memory" -> ram;
                        case "io" -> io;
                        case "log" -> LoggerFactory.getLogger("test.ide");
                        case "fastPath" -> registry;
                        case "irq" -> {
                            int n = (Integer) a[1];
                            yield new IrqLine() {
                                @Override
                                public void set(boolean level) {
                                    irqs.put(n, level);
                                }

                                @Override
                                public boolean level() {
                                    return irqs.getOrDefault(n, false);
                                }
                            };
                        }
                        case "bus" -> bus;
                        case "registerBus" -> null;
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }

        private Attached handler(int port, int size) {
            for (Attached h : handlers) {
                long from = h.base() + h.offset();
                if (port >= from && port + size <= from + h.length()) {
                    return h;
                }
            }
            return null;
        }

        /** Where the region holding {@code port} is mapped: a control block port, or its command block. */
        private static int base(int port) {
            return port == 0x3F6 || port == 0x376 ? port : port & ~7;
        }

        /** An IN as the CPU does it: a handler first, the normal path when none serves it. */
        long in(int port, int size) {
            Attached h = handler(port, size);
            if (h != null) {
                if (h.handler().read(port - h.base(), size, result)) {
                    served++;
                    return result.value();
                }
                declined++;
            }
            return ports.get((long) base(port)).ops().read(port - base(port), size);
        }

        /**
         * A REP INS of {@code count} elements as the CPU does it: runs of elements offered to the
         * handler as a string (at most a page's worth), an element the string does not serve by
         * {@link #in}; returns the elements, little-endian.
         */
        byte[] insString(int port, int size, int count) {
            byte[] got = new byte[count * size];
            byte[] buffer = new byte[4096];
            int done = 0;
            while (done < count) {
                Attached h = handler(port, size);
                int n = h == null ? 0 : h.handler().readString(port - h.base(), size, buffer,
                        Math.min(count - done, buffer.length / size));
                if (n > 0) {
                    System.arraycopy(buffer, 0, got, done * size, n * size);
                    served += n;
                    strings++;
                    done += n;
                    continue;
                }
                long v = in(port, size);
                for (int i = 0; i < size; i++) {
                    got[done * size + i] = (byte) (v >>> 8 * i);
                }
                done++;
            }
            return got;
        }

        void out(int port, int size, long value) {
            Attached h = handler(port, size);
            if (h != null) {
                if (h.handler().write(port - h.base(), size, value)) {
                    served++;
                    return;
                }
                declined++;
            }
            ports.get((long) base(port)).ops().write(port - base(port), size, value);
        }
    }

    Rig on;
    Rig off;

    @BeforeEach
    void setUp() {
        on = new Rig(true);
        off = new Rig(false);
    }

    /** The same IN on both controllers: the same value, and IRQ 14 at the same level afterwards. */
    private long in(int port, int size) {
        long a = on.in(port, size);
        long b = off.in(port, size);
        assertEquals(b, a, "IN " + size + " from 0x" + Integer.toHexString(port));
        assertEquals(off.irqs.get(14), on.irqs.get(14), "IRQ 14 after IN from 0x" + Integer.toHexString(port));
        return a;
    }

    private void out(int port, int size, long value) {
        on.out(port, size, value);
        off.out(port, size, value);
        assertEquals(off.irqs.get(14), on.irqs.get(14), "IRQ 14 after OUT to 0x" + Integer.toHexString(port));
    }

    private void lba28(long lba, int count, int command) {
        out(0x1F6, 1, 0xE0 | (lba >>> 24 & 0x0F));
        out(0x1F2, 1, count);
        out(0x1F3, 1, lba & 0xFF);
        out(0x1F4, 1, lba >>> 8 & 0xFF);
        out(0x1F5, 1, lba >>> 16 & 0xFF);
        out(0x1F7, 1, command);
    }

    /** Polls the status as a driver does: alternate status, then status (clears the interrupt). */
    private int status() {
        in(0x3F6, 1);
        return (int) in(0x1F7, 1);
    }

    private long readWords(int words, int size) {
        return readWords(0x1F0, words, size);
    }

    private long readWords(int port, int words, int size) {
        long sum = 0;
        for (int i = 0; i < words * 2 / size; i++) {
            sum = sum * 31 + in(port, size);
        }
        return sum;
    }

    @Test
    void fastpathOffAttachesNothingAndOnAttachesDataStatusAndAlternateStatusOfBothChannels() {
        assertTrue(off.handlers.isEmpty());
        assertEquals(6, on.handlers.size());
        for (int port : new int[] {0x1F0, 0x170}) {
            assertEquals(List.of(0L, 4L, 7L, 1L), on.handlers.stream().filter(h -> h.base() == port)
                    .flatMap(h -> java.util.stream.Stream.of(h.offset(), h.length())).toList());
        }
        assertEquals(1, on.handlers.stream().filter(h -> h.base() == 0x3F6).count());
        assertEquals(1, on.handlers.stream().filter(h -> h.base() == 0x376).count());
    }

    @Test
    void anAtapiPacketAndItsDataPiecesTakeTheSamePathsOnTheSecondaryChannel() {
        out(0x176, 1, 0xA0);                                 // the CD-ROM, ide.1 unit 0
        out(0x171, 1, 0);                                    // PIO
        out(0x174, 1, 0x00);
        out(0x175, 1, 0x10);                                 // byte count limit 4096
        out(0x177, 1, 0xA0);                                 // PACKET
        assertEquals(0x58, in(0x376, 1), "DRQ for the packet");
        on.served = on.declined = 0;
        int[] cdb = {0x28, 0, 0, 0, 0, 5, 0, 0, 3, 0, 0, 0}; // READ(10) of 3 blocks from LBA 5
        for (int i = 0; i < 12; i += 2) {
            out(0x170, 2, cdb[i] | cdb[i + 1] << 8);
        }
        assertEquals(5, on.served, "packet words served but the last");
        assertEquals(1, on.declined, "the last packet word runs the command on the normal path");
        int pieces = 0;
        for (int bound = 0; bound < 10; bound++) {
            int status = (int) in(0x177, 1);
            if ((status & 0x08) == 0) {
                break;
            }
            int n = (int) (in(0x174, 1) | in(0x175, 1) << 8);
            assertTrue(n > 0 && n <= 4096, "piece of " + n + " bytes");
            readWords(0x170, n / 2, 2);                      // each word compared in lockstep
            pieces++;
        }
        assertEquals(2, pieces, "4096 then 2048 bytes");
        assertEquals(0x03, in(0x172, 1), "interrupt reason: IO and CoD at the end");
    }

    /**
     * A sector read as a word, 127 dwords (each at 2 mod 4 in the block) and a last word: the
     * served dwords, read with one unaligned load each, are the normal path's two words.
     */
    @Test
    void dwordsThatStartInTheMiddleOfADwordAreTheNormalPathsTwoWords() {
        System.arraycopy(pattern(), 0, on.disk.data, 7 * 512, 512);
        System.arraycopy(pattern(), 0, off.disk.data, 7 * 512, 512);
        lba28(7, 1, 0x20);
        assertEquals(0x58, status());
        on.served = on.declined = 0;
        long first = in(0x1F0, 2);
        assertEquals(0x0100, first, "bytes 0 and 1 of the pattern");
        for (int i = 0; i < 127; i++) {
            int at = 2 + 4 * i;
            long expect = (at & 0xFF) | (at + 1 & 0xFF) << 8 | (at + 2 & 0xFF) << 16 | (long) (at + 3 & 0xFF) << 24;
            assertEquals(expect, in(0x1F0, 4), "the dword at byte " + at);
        }
        in(0x1F0, 2);
        assertEquals(128, on.served, "all but the last word served");
        assertEquals(1, on.declined);
        assertEquals(0x50, status(), "the command ended");
    }

    /** 512 bytes, byte i holding i. */
    private static byte[] pattern() {
        byte[] b = new byte[512];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void pioReadsOf16And32BitsAreTheSameAndServeAllButEachBlocksLastAccess() {
        lba28(3, 5, 0x20);                                   // READ SECTORS, 5 blocks of 1 sector
        for (int s = 0; s < 5; s++) {
            assertEquals(0x58, status(), "DRDY DSC DRQ before sector " + s);
            on.served = on.declined = 0;
            readWords(256, 2);
            assertEquals(255, on.served, "words of sector " + s + " served on the fast path");
            assertEquals(1, on.declined, "the word that ends the block takes the normal path");
        }
        assertEquals(0x50, status());
        out(0x1F2, 1, 4);
        out(0x1F7, 1, 0xC6);                                 // SET MULTIPLE MODE 4
        status();
        lba28(40, 8, 0xC4);                                  // READ MULTIPLE: 2 blocks of 4 sectors
        for (int b = 0; b < 2; b++) {
            assertEquals(0x58, status());
            on.served = on.declined = 0;
            readWords(4 * 256, 4);                           // REP INSD
            assertEquals(4 * 128 - 1, on.served);
            assertEquals(1, on.declined);
        }
        assertEquals(0x50, status());
        assertEquals(0, in(0x1F0, 2), "no block: the data port reads 0 (declined, the normal path answers)");
    }

    @Test
    void aRepInsServedAsAStringReadsWhatElementByElementReadsAndLeavesEachBlocksLastWordToTheNormalPath() {
        lba28(9, 3, 0x20);                                   // READ SECTORS: 3 blocks of 1 sector
        for (int s = 0; s < 3; s++) {
            assertEquals(0x58, status());
            on.served = on.declined = on.strings = 0;
            byte[] words = on.insString(0x1F0, 2, 256);      // REP INSW on the fast path
            byte[] expected = new byte[512];
            for (int w = 0; w < 256; w++) {
                long v = off.in(0x1F0, 2);
                expected[2 * w] = (byte) v;
                expected[2 * w + 1] = (byte) (v >> 8);
            }
            assertArrayEquals(expected, words, "sector " + (9 + s));
            assertArrayEquals(java.util.Arrays.copyOfRange(off.disk.data, (9 + s) * 512, (10 + s) * 512), words);
            assertEquals(1, on.strings, "255 words in one string");
            assertEquals(255, on.served);
            assertEquals(1, on.declined, "the word that ends the block takes the normal path");
            assertEquals(off.irqs.get(14), on.irqs.get(14));
        }
        assertEquals(0x50, status());
        out(0x1F2, 1, 4);
        out(0x1F7, 1, 0xC6);                                 // SET MULTIPLE MODE 4
        status();
        lba28(60, 4, 0xC4);                                  // READ MULTIPLE: 1 block of 4 sectors
        assertEquals(0x58, status());
        on.served = on.declined = on.strings = 0;
        byte[] first = on.insString(0x1F0, 4, 100);          // REP INSD in two instructions
        byte[] rest = on.insString(0x1F0, 4, 412);
        byte[] both = new byte[2048];
        System.arraycopy(first, 0, both, 0, 400);
        System.arraycopy(rest, 0, both, 400, 1648);
        for (int d = 0; d < 512; d++) {
            off.in(0x1F0, 4);
        }
        assertArrayEquals(java.util.Arrays.copyOfRange(off.disk.data, 60 * 512, 64 * 512), both);
        assertEquals(511, on.served);
        assertEquals(1, on.declined);
        assertEquals(0x50, status(), "the command ended on the normal path");
        assertEquals(0, on.insString(0x1F0, 2, 1)[0], "no block: the string declines, the normal path reads 0");
    }

    @Test
    void pioWritesOf16And32BitsLeaveTheSameDisk() {
        lba28(100, 3, 0x30);                                 // WRITE SECTORS
        for (int s = 0; s < 3; s++) {
            assertEquals(0x58, status());
            on.served = on.declined = 0;
            for (int w = 0; w < 256; w++) {
                out(0x1F0, 2, (s * 256 + w) * 0x9E37 & 0xFFFF);
            }
            assertEquals(255, on.served);
            assertEquals(1, on.declined);
        }
        assertEquals(0x50, status());
        lba28(200, 2, 0x30);
        for (int s = 0; s < 2; s++) {
            status();
            for (int d = 0; d < 128; d++) {
                out(0x1F0, 4, (s * 128L + d) * 0x9E3779B1L & 0xFFFFFFFFL);   // REP OUTSD
            }
        }
        assertEquals(0x50, status());
        out(0x1F7, 1, 0xE7);                                 // FLUSH CACHE
        assertEquals(0x50, status());
        assertArrayEquals(off.disk.data, on.disk.data);
        assertEquals((byte) 0x37, on.disk.data[100 * 512 + 2], "second word (0x9E37) at sector 100");
        lba28(100, 1, 0x20);                                 // read back through both paths
        status();
        readWords(256, 2);
        status();
    }

    @Test
    void aStatusReadWithAnInterruptPendingTakesTheNormalPathWhichClearsIt() {
        lba28(0, 1, 0x20);
        assertEquals(Boolean.TRUE, on.irqs.get(14));
        on.served = on.declined = 0;
        assertEquals(0x58, in(0x3F6, 1), "alternate status");
        assertEquals(1, on.served, "alternate status served, the interrupt stays");
        assertEquals(Boolean.TRUE, on.irqs.get(14));
        assertEquals(0x58, in(0x1F7, 1));
        assertEquals(1, on.declined, "status with INTRQ pending declined");
        assertEquals(Boolean.FALSE, on.irqs.get(14), "the normal path cleared INTRQ");
        assertEquals(0x58, in(0x1F7, 1));
        assertEquals(2, on.served, "a second status read, nothing pending, served");
        out(0x1F6, 1, 0xB0);                                 // select the absent device 1
        int declined = on.declined;
        assertEquals(0, in(0x1F7, 1), "only the other device present: 0, served");
        assertEquals(0, in(0x3F6, 1));
        assertEquals(declined, on.declined);
        out(0x1F6, 1, 0xA0);
        assertEquals(0x58, in(0x1F7, 1));
        declined = on.declined;
        in(0x1F1, 2);                                        // error and sector count: no data access
        assertEquals(declined + 1, on.declined, "a 16-bit read at +1 is declined");
        long b = in(0x1F0, 1);                               // 8-bit data read: declined, normal path
        assertEquals(off.disk.data[0] & 0xFF, b & 0xFF);
        readWords(255, 2);
        assertFalse(on.ide.channels[0].pioActive(), "the block ended on the normal path");
        assertEquals(0x50, in(0x1F7, 1));
    }

    @Test
    void aChannelWithoutDrivesReadsAsAFloatingBusOnBothPaths() {
        on.ide.detach(on.cd);
        off.ide.detach(off.cd);
        on.served = 0;
        assertEquals(0xFF, in(0x177, 1));
        assertEquals(0xFF, in(0x376, 1));
        assertEquals(2, on.served);
        assertEquals(0, in(0x170, 2), "no block: declined, the normal path reads 0");
    }

    @Test
    void commandAndDeviceControlWritesDecline() {
        on.served = on.declined = 0;
        out(0x3F6, 1, 0x02);                                 // device control (nIEN)
        lba28(7, 1, 0x20);
        assertEquals(4, on.declined, "device control, byte writes to +2 and +3 (inside the data handler's range)"
                + " and the command write to +7 declined");
        assertEquals(0, on.served);
        assertFalse(on.irqs.getOrDefault(14, false), "nIEN: no IRQ");
        assertEquals(0x58, in(0x1F7, 1));
        readWords(256, 2);
        assertEquals(0x50, in(0x1F7, 1));
    }
}
