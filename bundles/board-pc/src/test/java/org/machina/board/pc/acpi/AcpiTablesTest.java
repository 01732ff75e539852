package org.machina.board.pc.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AcpiTablesTest {
    static final long BASE = 0xE0000;
    /** Device d pin p -> IRQ 10 or 11 as PIRQ (d + p - 2) mod 4 routes; device 31 pin 4 not wired. */
    static final AcpiConfig CONFIG = new AcpiConfig(0x600, 9, 0xFED0_0000L, 0x8086_A201,
            (d, p) -> d == 31 && p == 4 ? -1 : new int[] {10, 10, 11, 11}[(d + p - 2) & 3]);

    /** {@link #CONFIG} with the APICs of {@code -cpu MODEL,+apic}. */
    static final AcpiConfig APIC_CONFIG = new AcpiConfig(0x600, 9, 0xFED0_0000L, 0x8086_A201, CONFIG.pciIrq(),
            new AcpiConfig.Apic(0xFEE0_0000L, 1, 0xFEC0_0000L, java.util.List.of(9, 10, 11)));

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] table(AcpiTables.Result r, String sig) {
        AcpiTables.Placed p = r.tables().stream().filter(t -> t.signature().equals(sig)).findFirst().orElseThrow();
        int at = (int) (p.address() - BASE);
        return Arrays.copyOfRange(r.blob(), at, at + p.length());
    }

    @Test
    void rsdpIsFirstAlignedAndBothChecksumsHold() {
        AcpiTables.Result r = AcpiTables.build(CONFIG, BASE);
        byte[] b = r.blob();
        assertEquals(BASE, r.rsdp());
        assertEquals("RSD PTR ", new String(b, 0, 8, StandardCharsets.US_ASCII));
        assertTrue(AcpiTable.sumsToZero(b, 0, 20), "ACPI 1.0 checksum over 20 bytes");
        assertTrue(AcpiTable.sumsToZero(b, 0, 36), "extended checksum over 36 bytes");
        assertEquals(2, b[15]);
        assertEquals(r.address("RSDT"), le(b).getInt(16) & 0xFFFFFFFFL);
        assertEquals(36, le(b).getInt(20));
        assertEquals(r.address("XSDT"), le(b).getLong(24));
    }

    @Test
    void everyTableHasItsLengthAndAZeroSum() {
        AcpiTables.Result r = AcpiTables.build(CONFIG, BASE);
        for (AcpiTables.Placed p : r.tables()) {
            byte[] t = table(r, p.signature());
            assertEquals(p.signature(), new String(t, 0, 4, StandardCharsets.US_ASCII));
            assertEquals(p.length(), le(t).getInt(4), p.signature() + " length");
            assertEquals(0, p.address() & (p.signature().equals("FACS") ? 63 : 15), p.signature() + " alignment");
            if (!p.signature().equals("FACS")) {
                assertTrue(AcpiTable.sumsToZero(t, 0, t.length), p.signature() + " checksum");
            }
        }
        assertTrue(r.blob().length <= 0x10000, "the tables fit in the 64 KiB reserved for them");
    }

    @Test
    void rsdtAndXsdtListTheFadtAndTheHpet() {
        AcpiTables.Result r = AcpiTables.build(CONFIG, BASE);
        byte[] rsdt = table(r, "RSDT");
        byte[] xsdt = table(r, "XSDT");
        assertEquals(36 + 8, rsdt.length);
        assertEquals(36 + 16, xsdt.length);
        assertEquals(r.address("FACP"), le(rsdt).getInt(36));
        assertEquals(r.address("HPET"), le(rsdt).getInt(40));
        assertEquals(r.address("FACP"), le(xsdt).getLong(36));
        assertEquals(r.address("HPET"), le(xsdt).getLong(44));
    }

    @Test
    void fadtPointsAtThePmBlocksTheFacsAndTheDsdt() {
        AcpiTables.Result r = AcpiTables.build(CONFIG, BASE);
        ByteBuffer f = le(table(r, "FACP"));
        assertEquals(116, f.capacity());
        assertEquals(r.address("FACS"), f.getInt(36));
        assertEquals(r.address("DSDT"), f.getInt(40));
        assertEquals(9, f.getShort(46));
        assertEquals(0, f.getInt(48), "SMI_CMD 0: always in ACPI mode");
        assertEquals(0x600, f.getInt(56));
        assertEquals(0x604, f.getInt(64));
        assertEquals(0x608, f.getInt(76));
        assertEquals(4, f.get(88));
        assertEquals(2, f.get(89));
        assertEquals(4, f.get(91));
        assertEquals(0, f.getInt(112) & 1 << 4, "fixed-feature power button");
    }

    @Test
    void withoutAnHpetThereIsNoHpetTable() {
        AcpiConfig noHpet = new AcpiConfig(0x600, 9, -1, 0, CONFIG.pciIrq());
        AcpiTables.Result r = AcpiTables.build(noHpet, BASE);
        assertTrue(r.tables().stream().noneMatch(t -> t.signature().equals("HPET")));
        assertEquals(36 + 4, table(r, "RSDT").length);
    }

    @Test
    void hpetTableCarriesTheBlockIdAndBase() {
        ByteBuffer h = le(table(AcpiTables.build(CONFIG, BASE), "HPET"));
        assertEquals(56, h.capacity());
        assertEquals(0x8086_A201, h.getInt(36));
        assertEquals(0, h.get(40), "system memory");
        assertEquals(0xFED0_0000L, h.getLong(44));
    }

    @Test
    void dsdtHasS5AndTheRoutingTable() {
        byte[] dsdt = table(AcpiTables.build(CONFIG, BASE), "DSDT");
        byte[] aml = Arrays.copyOfRange(dsdt, 36, dsdt.length);
        // Name (\_S5, Package (4) {0, 0, 0, 0}) comes first
        assertArrayEquals(new byte[] {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0}, Arrays.copyOf(aml, 13));
        // 31 devices * 4 pins, minus the one unwired
        byte[] prt = Dsdt.prt(CONFIG);
        assertEquals(0x40, prt[1] & 0xC0, "a two-byte PkgLength");
        int count = prt[3] & 0xFF; // PackageOp, 2-byte PkgLength, NumElements
        assertEquals(31 * 4 - 1, count);
    }

    @Test
    void badConfigurationsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AcpiConfig(0x601, 9, -1, 0, (d, p) -> -1));
        assertThrows(IllegalArgumentException.class, () -> new AcpiConfig(0x600, 16, -1, 0, (d, p) -> -1));
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.build(CONFIG, 0xE0008));
    }

    @Test
    void noMadtWithoutApics() {
        AcpiTables.Result r = AcpiTables.build(CONFIG, BASE);
        assertTrue(r.tables().stream().noneMatch(t -> t.signature().equals("APIC")));
    }

    @Test
    void madtDescribesTheApics() {
        AcpiTables.Result r = AcpiTables.build(APIC_CONFIG, BASE);
        byte[] rsdt = table(r, "RSDT");
        assertEquals(36 + 3 * 4, rsdt.length, "FADT, HPET, MADT");
        assertEquals(r.address("APIC"), le(rsdt).getInt(36 + 8) & 0xFFFFFFFFL);
        assertEquals(r.address("APIC"), le(table(r, "XSDT")).getLong(36 + 16));
        byte[] t = table(r, "APIC");
        ByteBuffer b = le(t);
        assertTrue(AcpiTable.sumsToZero(t, 0, t.length));
        assertEquals(0xFEE0_0000L, b.getInt(36) & 0xFFFFFFFFL, "local APIC address");
        assertEquals(1, b.getInt(40), "PCAT_COMPAT");
        b.position(44);
        // processor local APIC: UID 0, APIC id 0, enabled
        assertArrayEquals(new byte[] {0, 8, 0, 0, 1, 0, 0, 0}, next(b, 8));
        // I/O APIC: id 1 at 0xFEC00000, GSI base 0
        ByteBuffer io = le(next(b, 12));
        assertEquals(1, io.get(0));
        assertEquals(12, io.get(1));
        assertEquals(1, io.get(2));
        assertEquals(0xFEC0_0000L, io.getInt(4) & 0xFFFFFFFFL);
        assertEquals(0, io.getInt(8));
        // overrides: IRQ0 -> GSI 2 conforming; 9, 10, 11 level (bits 2-3 = 3) active low (bits 0-1 = 3)
        int[][] overrides = {{0, 2, 0}, {9, 9, 0xF}, {10, 10, 0xF}, {11, 11, 0xF}};
        for (int[] o : overrides) {
            ByteBuffer e = le(next(b, 10));
            assertEquals(2, e.get(0), "type: interrupt source override");
            assertEquals(10, e.get(1));
            assertEquals(0, e.get(2), "bus: ISA");
            assertEquals(o[0], e.get(3), "source IRQ");
            assertEquals(o[1], e.getInt(4), "GSI of IRQ " + o[0]);
            assertEquals(o[2], e.getShort(8), "flags of IRQ " + o[0]);
        }
        // local APIC NMI: all processors, conforming, LINT1
        assertArrayEquals(new byte[] {4, 6, (byte) 0xFF, 0, 0, 1}, next(b, 6));
        assertEquals(t.length, b.position(), "nothing else");
    }

    private static byte[] next(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }
}
