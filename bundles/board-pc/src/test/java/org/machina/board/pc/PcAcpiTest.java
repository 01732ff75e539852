package org.machina.board.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.board.pc.acpi.AcpiTable;

/** The ACPI tables a direct kernel boot finds in RAM, where Linux looks for them. */
class PcAcpiTest {
    @TempDir
    Path dir;

    private FakeBoardContext kernel(Map<String, String> props) throws IOException {
        FakeBoardContext c = new FakeBoardContext();
        c.kernel = Files.write(dir.resolve("bzImage"), new SyntheticKernel().build());
        c.cmdline = "console=ttyS0";
        c.boardProperties = props;
        return c;
    }

    private static ByteBuffer ram(FakeBoardContext c, long address, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(c.blocks.get("pc.ram").segment(), ValueLayout.JAVA_BYTE, address, b, 0, length);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String sig(ByteBuffer b, int at) {
        byte[] s = new byte[4];
        b.get(at, s);
        return new String(s, StandardCharsets.US_ASCII);
    }

    /** Follows RSDP -> XSDT -> entries, checking each table's checksum; returns the signatures found. */
    private static java.util.List<String> walk(FakeBoardContext c) {
        ByteBuffer rsdp = ram(c, 0xE0000, 36);
        assertEquals("RSD PTR ", new String(rsdp.array(), 0, 8, StandardCharsets.US_ASCII));
        assertTrue(AcpiTable.sumsToZero(rsdp.array(), 0, 20));
        long xsdtAt = rsdp.getLong(24);
        int xsdtLen = ram(c, xsdtAt, 8).getInt(4);
        ByteBuffer xsdt = ram(c, xsdtAt, xsdtLen);
        assertTrue(AcpiTable.sumsToZero(xsdt.array(), 0, xsdtLen));
        java.util.List<String> found = new java.util.ArrayList<>();
        for (int at = 36; at < xsdtLen; at += 8) {
            long t = xsdt.getLong(at);
            int len = ram(c, t, 8).getInt(4);
            ByteBuffer table = ram(c, t, len);
            assertTrue(AcpiTable.sumsToZero(table.array(), 0, len), sig(table, 0) + " checksum");
            found.add(sig(table, 0));
            if (sig(table, 0).equals("FACP")) {
                long dsdt = table.getInt(40) & 0xFFFFFFFFL;
                assertEquals("DSDT", sig(ram(c, dsdt, 4), 0));
                assertEquals(PcBoard.PM_BASE, table.getInt(56));
            }
        }
        return found;
    }

    @Test
    void tablesAreInRamAfterResetAndNamedInTheZeroPage() throws IOException {
        FakeBoardContext c = kernel(Map.of("acpi", "true", "hpet", "true"));
        new PcBoard().build(c).reset();
        assertEquals(java.util.List.of("FACP", "HPET"), walk(c));
        ByteBuffer z = ram(c, LinuxLoader.ZERO_PAGE, 4096);
        assertEquals(0xE0000, z.getLong(BootParams.ACPI_RSDP_ADDR));
        // the RSDP is 16-byte aligned inside the BIOS area Linux scans (0xE0000-0xFFFFF), and reserved in e820
        boolean reserved = false;
        for (int i = 0; i < z.get(BootParams.E820_ENTRIES); i++) {
            int at = BootParams.E820_TABLE + 20 * i;
            long a = z.getLong(at);
            long n = z.getLong(at + 8);
            reserved |= a <= 0xE0000 && a + n >= 0x100000 && z.getInt(at + 16) == BootParams.E820_RESERVED;
        }
        assertTrue(reserved, "0xE0000-0xFFFFF reserved in e820");
    }

    @Test
    void aGuestOverwritingTheTablesGetsThemBackAtReset() throws IOException {
        FakeBoardContext c = kernel(Map.of("acpi", "true", "hpet", "true"));
        var board = new PcBoard().build(c);
        board.reset();
        c.blocks.get("pc.ram").segment().asSlice(0xE0000, 0x1000).fill((byte) 0);
        board.reset();
        assertEquals(java.util.List.of("FACP", "HPET"), walk(c));
    }

    @Test
    void withoutHpetThereIsNoHpetTable() throws IOException {
        FakeBoardContext c = kernel(Map.of("acpi", "true", "hpet", "false"));
        new PcBoard().build(c).reset();
        assertEquals(java.util.List.of("FACP"), walk(c));
    }

    @Test
    void withoutAcpiNothingIsWrittenAndE820IsAsBefore() throws IOException {
        FakeBoardContext c = kernel(Map.of("acpi", "false", "hpet", "true"));
        new PcBoard().build(c).reset();
        assertEquals(0, ram(c, 0xE0000, 8).getLong(0));
        ByteBuffer z = ram(c, LinuxLoader.ZERO_PAGE, 4096);
        assertEquals(0, z.getLong(BootParams.ACPI_RSDP_ADDR));
        assertEquals(0xF0000, z.getLong(BootParams.E820_TABLE + 40));
    }

    @Test
    void theRoutingTableMatchesWhatTheBoardProgramsIntoThePirqRouter() {
        var config = PcBoard.acpiConfig(true);
        for (int device = 1; device < 32; device++) {
            for (int pin = 1; pin <= 4; pin++) {
                int irq = config.pciIrq().applyAsInt(device, pin);
                assertEquals(PciHost.FIRMWARE_PIRQ_IRQS[(device + pin - 2) & 3], irq, "device " + device + " pin " + pin);
            }
        }
    }

    /** A CPU object that only reports its features (the board asks nothing else at build time). */
    static org.machina.api.cpu.Cpu cpuWith(java.util.Set<String> features) {
        return new org.machina.api.cpu.Cpu() {
            @Override public ExitReason run(long deadlineNanos) { throw new UnsupportedOperationException(); }
            @Override public void requestExit() { }
            @Override public void reset() { }
            @Override public org.machina.api.irq.IrqLine intr() { return org.machina.api.irq.IrqLine.NONE; }
            @Override public org.machina.api.irq.IrqLine nmi() { return org.machina.api.irq.IrqLine.NONE; }
            @Override public boolean isStuck() { return false; }
            @Override public long instructionsRetired() { return 0; }
            @Override public org.machina.api.cpu.CpuDebug debug() { throw new UnsupportedOperationException(); }
            @Override public java.util.Set<String> features() { return features; }
        };
    }

    /** A register page that records dword writes as "offset=value". */
    static org.machina.api.memory.MemoryRegion.Io recorder(String name, java.util.List<String> writes) {
        return new org.machina.api.memory.MemoryRegion.Io(name, 0x1000, new org.machina.api.memory.Mmio() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                writes.add(Long.toHexString(offset) + "=" + Long.toHexString(value));
            }
        }, org.machina.api.memory.AccessSpec.DWORDS);
    }

    @Test
    void withTheApicFeatureTheBoardAddsTheApicsWiresTheIsaLinesAndDescribesThemInTheMadt() throws IOException {
        FakeBoardContext c = kernel(Map.of("acpi", "true", "hpet", "true"));
        c.cpu = cpuWith(java.util.Set.of("apic"));
        var board = new PcBoard().build(c);
        assertTrue(c.devices.contains(new FakeBoardContext.AddedDevice("apic", "apic", Map.of())), c.devices.toString());
        assertTrue(c.devices.contains(new FakeBoardContext.AddedDevice("ioapic", "ioapic", Map.of("base", "4273995776"))),
                c.devices.toString());
        assertTrue(c.devices.contains(new FakeBoardContext.AddedDevice("i8259", "pic", Map.of("output", "pic-intr", "sink", "pic"))),
                c.devices.toString());
        // the ISA lines reach the 8259 and the I/O APIC, IRQ0 on input 2
        var isa = c.sinks.get("isa");
        isa.setInput(0, true);
        isa.setInput(4, true);
        assertTrue(c.lines.get("pic:0")[0] && c.lines.get("ioapic:2")[0], c.lines.keySet().toString());
        assertTrue(c.lines.get("pic:4")[0] && c.lines.get("ioapic:4")[0], "an ISA IRQ is active high");
        assertTrue(!c.lines.containsKey("ioapic:0") || !c.lines.get("ioapic:0")[0], "no ISA IRQ on input 0");
        // the SCI and the PCI IRQs are active low at the I/O APIC, as the MADT says: high while idle
        isa.setInput(11, true);
        assertTrue(c.lines.get("pic:11")[0] && !c.lines.get("ioapic:11")[0], "asserted: low");
        isa.setInput(11, false);
        assertTrue(!c.lines.get("pic:11")[0] && c.lines.get("ioapic:11")[0], "idle: high");
        // the 8259's INTR goes to LINT0 and to I/O APIC input 0
        var intr = c.sinks.get("pic-intr");
        intr.setInput(0, true);
        assertTrue(c.lines.get("lapic:0")[0] && c.lines.get("ioapic:0")[0]);
        intr.setInput(0, false);
        assertTrue(!c.lines.get("lapic:0")[0] && !c.lines.get("ioapic:0")[0]);
        // the BIOS's part at reset: virtual wire mode, I/O APIC id
        java.util.List<String> lapic = new java.util.ArrayList<>();
        java.util.List<String> ioapic = new java.util.ArrayList<>();
        c.memory.map(0xFEE0_0000L, recorder("lapic", lapic));
        c.memory.map(0xFEC0_0000L, recorder("ioapic", ioapic));
        isa.setInput(10, true);
        board.reset();
        assertTrue(c.lines.get("ioapic:9")[0] && c.lines.get("ioapic:11")[0], "idle active-low inputs driven high at reset");
        assertTrue(!c.lines.get("ioapic:10")[0], "an asserted one stays low");
        assertEquals(java.util.List.of("f0=1ff", "350=700", "360=400"), lapic);
        assertEquals(java.util.List.of("0=0", "10=1000000"), ioapic);
        assertEquals(java.util.List.of("FACP", "HPET", "APIC"), walk(c));
    }

    @Test
    void withoutTheApicFeatureNothingChanges() throws IOException {
        FakeBoardContext c = kernel(Map.of("acpi", "true", "hpet", "true"));
        c.cpu = cpuWith(java.util.Set.of());
        new PcBoard().build(c).reset();
        assertTrue(c.devices.contains(new FakeBoardContext.AddedDevice("i8259", "pic", Map.of())));
        assertTrue(c.devices.stream().noneMatch(d -> d.type().equals("apic") || d.type().equals("ioapic")));
        assertTrue(!c.sinks.containsKey("isa"), "the 8259 registers isa itself");
        assertEquals(java.util.List.of("FACP", "HPET"), walk(c));
    }
}
