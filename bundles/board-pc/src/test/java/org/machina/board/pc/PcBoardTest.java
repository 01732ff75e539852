package org.machina.board.pc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcBoardTest {
    @TempDir
    Path dir;

    private FakeBoardContext kernelContext(SyntheticKernel k, int initrdSize) throws IOException {
        FakeBoardContext c = new FakeBoardContext();
        c.kernel = Files.write(dir.resolve("bzImage"), k.build());
        if (initrdSize > 0) {
            byte[] initrd = new byte[initrdSize];
            for (int i = 0; i < initrdSize; i++) {
                initrd[i] = (byte) (i ^ 0x5A);
            }
            c.initrd = Files.write(dir.resolve("initrd"), initrd);
        }
        c.cmdline = "console=ttyS0 quiet";
        return c;
    }

    private static ByteBuffer ram(FakeBoardContext c, long address, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(c.blocks.get("pc.ram").segment(), ValueLayout.JAVA_BYTE, address, b, 0, length);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void boardDefaults() {
        PcBoard b = new PcBoard();
        assertEquals("pc", b.name());
        assertEquals("x86", b.defaultCpuType());
        assertEquals("pentium3", b.defaultCpuModel());
        assertEquals(java.util.List.of("acpi", "hpet"), b.properties().stream().map(p -> p.name()).toList());
        assertTrue(b.properties().stream().allMatch(p -> "true".equals(p.defaultValue())), "ACPI and HPET on by default");
    }

    @Test
    void ramLayoutLeavesVgaHoleAndPutsRomOnTop() throws IOException {
        FakeBoardContext c = kernelContext(new SyntheticKernel(), 0);
        new PcBoard().build(c);
        FakeSpace.Map low = c.memory.find("pc.ram.low");
        assertEquals(0, low.base());
        assertEquals(0xA0000, low.region().size());
        FakeSpace.Map isa = c.memory.find("pc.ram.isa-rom");
        assertEquals(0xC0000, isa.base());
        assertEquals(0x40000, isa.region().size());
        FakeSpace.Map high = c.memory.find("pc.ram.high");
        assertEquals(0x100000, high.base());
        assertEquals((64L << 20) - 0x100000, high.region().size());
        assertEquals(0xFF, c.memory.readByte(0xA0000));
        assertEquals(0xFF, c.memory.readByte(0xB8000));
        assertEquals(0xFF, c.memory.readByte(64L << 20)); // above RAM
    }

    @Test
    void ramAboveThePciHoleIsNotMapped() {
        FakeSpace space = new FakeSpace(1L << 32);
        FakeBoardContext c = new FakeBoardContext();
        long fourGiB = 4L << 30;
        var block = c.allocateRam("small", 4096); // only its identity matters here
        var big = new org.machina.api.memory.RamBlock() {
            public String name() { return "big"; }
            public long size() { return fourGiB; }
            public MemorySegment segment() { return block.segment(); }
            public void markDirty(long o, long l) { }
            public org.machina.api.memory.DirtyLog dirtyLog() { return null; }
            public long codeGeneration() { return 0; }
            public void markCodePage(long o) { }
            public boolean isCodePage(long o) { return false; }
        };
        PcBoard.mapRam(space, big, fourGiB);
        FakeSpace.Map high = space.find("pc.ram.high");
        assertEquals(0xE0000000L - 0x100000, high.region().size());
        assertEquals(512L << 20, PcMemoryMap.unmappedRam(fourGiB));
        assertEquals(0xE0000000L, PcMemoryMap.e820(fourGiB, 0x10000, false).get(3).address()
                + PcMemoryMap.e820(fourGiB, 0x10000, false).get(3).size());
    }

    @Test
    void zeroPageCarriesHeaderLoaderFieldsAndE820() throws IOException {
        FakeBoardContext c = kernelContext(new SyntheticKernel(), 0x5000);
        new PcBoard().build(c).reset();
        ByteBuffer z = ram(c, LinuxLoader.ZERO_PAGE, 4096);
        assertEquals(BootParams.HDRS_MAGIC, z.getInt(0x202));
        assertEquals(0x020F, z.getShort(0x206));
        assertEquals(0xFF, z.get(0x210) & 0xFF);
        assertEquals(BootParams.LOADED_HIGH | BootParams.CAN_USE_HEAP, z.get(0x211) & 0xFF);
        assertEquals(0xFE00 - 0x200, z.getShort(0x224) & 0xFFFF);
        assertEquals(0x20000, z.getInt(0x228));
        assertEquals(0x5000, z.getInt(0x21C));
        assertEquals(2047, z.getInt(0x238)); // copied from the image
        assertEquals(3, z.get(0x006));       // text mode 3
        assertEquals(80, z.get(0x007));
        assertEquals(25, z.get(0x00E));
        assertEquals((64 << 10) - 1024, z.getInt(0x1E0)); // alt_mem_k

        long[][] expected = {
            {0, 0x9FC00, 1},
            {0x9FC00, 0x400, 2},
            {0xE0000, 0x20000, 2}, // ACPI tables and the BIOS area
            {0x100000, (64L << 20) - 0x100000, 1},
            {0xFFFF0000L, 0x10000, 2},
        };
        assertEquals(expected.length, z.get(0x1E8));
        for (int i = 0; i < expected.length; i++) {
            int at = 0x2D0 + 20 * i;
            assertEquals(expected[i][0], z.getLong(at), "e820[" + i + "].addr");
            assertEquals(expected[i][1], z.getLong(at + 8), "e820[" + i + "].size");
            assertEquals(expected[i][2], z.getInt(at + 16), "e820[" + i + "].type");
        }

        byte[] cmd = new byte["console=ttyS0 quiet".length() + 1];
        ram(c, 0x20000, cmd.length).get(cmd);
        assertEquals("console=ttyS0 quiet\0", new String(cmd, StandardCharsets.US_ASCII));
    }

    @Test
    void kernelAtOneMegAndInitrdHighAndPageAligned() throws IOException {
        SyntheticKernel k = new SyntheticKernel();
        FakeBoardContext c = kernelContext(k, 0x5000 + 123);
        new PcBoard().build(c).reset();
        byte[] image = k.build();
        int pm = (k.setupSects + 1) * 512;
        byte[] loaded = new byte[k.pmSize];
        ram(c, 0x100000, k.pmSize).get(loaded);
        assertArrayEquals(java.util.Arrays.copyOfRange(image, pm, image.length), loaded);

        int initrdAt = ram(c, LinuxLoader.ZERO_PAGE, 4096).getInt(0x218);
        assertEquals(0, initrdAt & 0xFFF);
        assertTrue(initrdAt + 0x5000 + 123 <= 64 << 20);
        assertTrue(initrdAt + 0x5000 + 123 > (64 << 20) - 4096, "initrd as high as possible");
        assertEquals((byte) (0 ^ 0x5A), ram(c, initrdAt, 1).get(0));
        assertEquals((byte) (77 ^ 0x5A), ram(c, initrdAt + 77, 1).get(0));
    }

    @Test
    void initrdRespectsInitrdAddrMax() throws IOException {
        SyntheticKernel k = new SyntheticKernel();
        k.initrdAddrMax = 0x01FFFFFF; // 32 MiB - 1, below the 64 MiB of RAM
        FakeBoardContext c = kernelContext(k, 0x3000);
        new PcBoard().build(c).reset();
        int initrdAt = ram(c, LinuxLoader.ZERO_PAGE, 4096).getInt(0x218);
        assertEquals(0x02000000 - 0x3000, initrdAt);
    }

    @Test
    void resetReloadsTheKernel() throws IOException {
        FakeBoardContext c = kernelContext(new SyntheticKernel(), 0);
        var board = new PcBoard().build(c);
        board.reset();
        byte first = ram(c, 0x100000, 1).get(0);
        c.blocks.get("pc.ram").segment().set(ValueLayout.JAVA_BYTE, 0x100000, (byte) ~first);
        c.blocks.get("pc.ram").segment().set(ValueLayout.JAVA_INT_UNALIGNED, LinuxLoader.ZERO_PAGE + 0x228, 0);
        board.reset();
        assertEquals(first, ram(c, 0x100000, 1).get(0));
        assertEquals(0x20000, ram(c, LinuxLoader.ZERO_PAGE, 4096).getInt(0x228));
    }

    @Test
    void bootRomIsMappedAtResetVectorAndBelowOneMeg() throws IOException {
        FakeBoardContext c = kernelContext(new SyntheticKernel(), 0);
        new PcBoard().build(c);
        // F000:FFF0 -> physical 0xFFFFFFF0: JMP rel16 to 0xE040 (E9, 0xE040 - 0xFFF3).
        assertEquals(0xE9, c.memory.readByte(0xFFFFFFF0L));
        assertEquals((0xE040 - 0xFFF3) & 0xFFFF, c.memory.read(0xFFFFFFF1L, 2));
        assertEquals(0xE9, c.memory.readByte(0xFFFF0), "alias below 1 MiB");
        assertEquals(c.memory.read(0xFFFFE040L, 4), c.memory.read(0xFE040, 4));
        assertEquals(0xFFFF0000L, c.memory.find("pc.bootrom").base());
        assertEquals(0xF0000L, c.memory.find("pc.bootrom.low").base());
    }

    @Test
    void bootRomCodeAndGdt() {
        byte[] rom = LinuxBootRom.build(0x100000, 0x10000);
        ByteBuffer b = ByteBuffer.wrap(rom).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, b.getLong(0xE000));
        assertEquals(0, b.getLong(0xE008));
        assertEquals(0x00CF9A000000FFFFL, b.getLong(0xE010), "__BOOT_CS flat code");
        assertEquals(0x00CF92000000FFFFL, b.getLong(0xE018), "__BOOT_DS flat data");
        assertEquals(31, b.getShort(0xE020));
        assertEquals(0xFFFFE000L, b.getInt(0xE022) & 0xFFFFFFFFL);
        int protectedEntry = 0xE040 + 33; // 25 bytes of real-mode code + the 8-byte far jump
        byte[] real = {
            (byte) 0xFA, (byte) 0xFC,                                  // cli; cld
            (byte) 0xE4, (byte) 0x92, 0x0C, 0x02, 0x24, (byte) 0xFE, (byte) 0xE6, (byte) 0x92, // A20 via port 0x92
            0x66, 0x2E, 0x0F, 0x01, 0x16, 0x20, (byte) 0xE0,           // o32 lgdt cs:[0xE020]
            0x0F, 0x20, (byte) 0xC0, 0x0C, 0x01, 0x0F, 0x22, (byte) 0xC0, // cr0 |= PE
            0x66, (byte) 0xEA, (byte) protectedEntry, (byte) (protectedEntry >> 8), (byte) 0xFF, (byte) 0xFF, 0x10, 0x00,
        };
        assertEquals(0xE040 + real.length, protectedEntry);
        byte[] pm = {
            (byte) 0xB8, 0x18, 0, 0, 0,                                       // mov eax, 0x18
            (byte) 0x8E, (byte) 0xD8, (byte) 0x8E, (byte) 0xC0, (byte) 0x8E, (byte) 0xD0, // ds, es, ss
            (byte) 0x8E, (byte) 0xE0, (byte) 0x8E, (byte) 0xE8,              // fs, gs
            (byte) 0xBC, 0x00, (byte) 0xF0, 0x09, 0x00,                      // mov esp, 0x9F000
            (byte) 0xBE, 0x00, 0x00, 0x01, 0x00,                             // mov esi, 0x10000
            0x31, (byte) 0xDB, 0x31, (byte) 0xED, 0x31, (byte) 0xFF,         // ebx = ebp = edi = 0
            (byte) 0xB8, 0x00, 0x00, 0x10, 0x00, (byte) 0xFF, (byte) 0xE0,   // jmp 0x100000
        };
        byte[] expected = new byte[real.length + pm.length];
        System.arraycopy(real, 0, expected, 0, real.length);
        System.arraycopy(pm, 0, expected, real.length, pm.length);
        byte[] actual = java.util.Arrays.copyOfRange(rom, 0xE040, 0xE040 + expected.length);
        assertArrayEquals(expected, actual);
    }

    @Test
    void chipsetStateRoundTrips() throws IOException {
        FakeBoardContext c = kernelContext(new SyntheticKernel(), 0);
        PcMachine board = (PcMachine) new PcBoard().build(c);
        c.io.out(0xCF8, 4, 0x8000_0058);
        c.io.out(0xCFC, 1, 0x30);
        PcMachine.State saved = board.saveState();
        board.reset();
        assertEquals(0, c.io.in(0xCF8, 4), "reset cleared CONFIG_ADDRESS");
        c.io.out(0xCF8, 4, 0x8000_0058);
        assertEquals(0, c.io.in(0xCFC, 1), "reset cleared PAM0");
        board.loadState(saved);
        assertEquals(0x8000_0058, c.io.in(0xCF8, 4));
        assertEquals(0x30, c.io.in(0xCFC, 1));
        assertEquals(1, board.stateVersion());
    }
}
