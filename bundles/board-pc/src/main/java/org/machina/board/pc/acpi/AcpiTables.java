package org.machina.board.pc.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the board's ACPI tables as one blob to be copied to guest RAM at {@code base}:
 *
 * <pre>
 * base+0x000  RSDP, revision 2 (36 bytes): RSDT and XSDT addresses
 * base+0x040  FACS (64 bytes, 64-byte aligned)
 * then, 16-byte aligned: RSDT, XSDT, FADT, DSDT, HPET (when the machine has one), APIC (the MADT,
 *           when the machine has APICs)
 * </pre>
 *
 * The RSDP is the first thing in the blob, so a base 16-byte aligned in 0xE0000-0xFFFFF is
 * where an OS scanning the BIOS area finds it (ACPI 6.5, section 5.2.5.1).
 */
public final class AcpiTables {
    public static final int RSDP_SIZE = 36;
    static final int FACS_OFFSET = 0x40;
    static final int FACS_SIZE = 64;
    static final int FADT_REVISION = 1;
    /** FADT flags: WBINVD, PROC_C1, SLP_BUTTON (no sleep button); the power button is a fixed feature. */
    static final int FADT_FLAGS = 1 << 0 | 1 << 2 | 1 << 5;
    static final int HPET_CLOCK_TICK = 0x80; // minimum periodic tick, in counter ticks

    /** The blob, the RSDP's physical address, and where each table went. */
    public record Result(byte[] blob, long rsdp, List<Placed> tables) {
        public long address(String signature) {
            return tables.stream().filter(t -> t.signature().equals(signature)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no table " + signature)).address();
        }
    }

    /** A table's signature, physical address and length. */
    public record Placed(String signature, long address, int length) {
    }

    private AcpiTables() {
    }

    public static Result build(AcpiConfig config, long base) {
        if ((base & 0xF) != 0 || base + 0x10000 > 0x1_0000_0000L) {
            throw new IllegalArgumentException("ACPI tables need a 16-byte aligned base below 4 GiB, not 0x" + Long.toHexString(base));
        }
        byte[] dsdt = Dsdt.build(config);
        byte[] hpet = config.hasHpet() ? hpet(config) : null;
        byte[] madt = config.hasApic() ? Madt.build(config.apic()) : null;

        List<Placed> placed = new ArrayList<>();
        int at = FACS_OFFSET + FACS_SIZE;
        int rsdtAt = at;
        int pointers = 1 + (hpet != null ? 1 : 0) + (madt != null ? 1 : 0);
        int rsdtLen = AcpiTable.HEADER_SIZE + 4 * pointers;
        at = align16(at + rsdtLen);
        int xsdtAt = at;
        int xsdtLen = AcpiTable.HEADER_SIZE + 8 * pointers;
        at = align16(at + xsdtLen);
        int fadtAt = at;
        byte[] fadt = fadt(config, base + FACS_OFFSET, 0); // length only; rebuilt below
        at = align16(at + fadt.length);
        int dsdtAt = at;
        at = align16(at + dsdt.length);
        int hpetAt = at;
        if (hpet != null) {
            at = align16(at + hpet.length);
        }
        int madtAt = at;
        if (madt != null) {
            at = align16(at + madt.length);
        }
        fadt = fadt(config, base + FACS_OFFSET, base + dsdtAt);

        List<Long> pointed = new ArrayList<>(List.of(base + fadtAt));
        if (hpet != null) {
            pointed.add(base + hpetAt);
        }
        if (madt != null) {
            pointed.add(base + madtAt);
        }
        long[] tables = pointed.stream().mapToLong(Long::longValue).toArray();
        byte[] rsdt = sdt("RSDT", tables, 4);
        byte[] xsdt = sdt("XSDT", tables, 8);

        byte[] blob = new byte[at];
        System.arraycopy(rsdp(base + rsdtAt, base + xsdtAt), 0, blob, 0, RSDP_SIZE);
        System.arraycopy(facs(), 0, blob, FACS_OFFSET, FACS_SIZE);
        placed.add(new Placed("FACS", base + FACS_OFFSET, FACS_SIZE));
        put(blob, rsdtAt, rsdt, "RSDT", base, placed);
        put(blob, xsdtAt, xsdt, "XSDT", base, placed);
        put(blob, fadtAt, fadt, "FACP", base, placed);
        put(blob, dsdtAt, dsdt, "DSDT", base, placed);
        if (hpet != null) {
            put(blob, hpetAt, hpet, "HPET", base, placed);
        }
        if (madt != null) {
            put(blob, madtAt, madt, "APIC", base, placed);
        }
        return new Result(blob, base, List.copyOf(placed));
    }

    private static void put(byte[] blob, int at, byte[] table, String sig, long base, List<Placed> placed) {
        System.arraycopy(table, 0, blob, at, table.length);
        placed.add(new Placed(sig, base + at, table.length));
    }

    private static int align16(int n) {
        return (n + 15) & ~15;
    }

    /** RSDP revision 2 (ACPI 6.5, section 5.2.5.3): checksum over 20 bytes, extended checksum over 36. */
    static byte[] rsdp(long rsdt, long xsdt) {
        byte[] r = new byte[RSDP_SIZE];
        ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RSD PTR ".getBytes(StandardCharsets.US_ASCII));
        b.put((byte) 0);
        b.put(AcpiTable.OEM_ID.getBytes(StandardCharsets.US_ASCII));
        b.put((byte) 2);
        b.putInt((int) rsdt);
        b.putInt(RSDP_SIZE);
        b.putLong(xsdt);
        r[8] = AcpiTable.checksum(r, 0, 20);
        r[32] = AcpiTable.checksum(r, 0, RSDP_SIZE);
        return r;
    }

    /** FACS (ACPI 6.5, section 5.2.10): no checksum, version 1, no wake vector, no global lock owner. */
    static byte[] facs() {
        byte[] f = new byte[FACS_SIZE];
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        b.put("FACS".getBytes(StandardCharsets.US_ASCII));
        b.putInt(FACS_SIZE);
        b.position(32);
        b.put((byte) 1);
        return f;
    }

    /** RSDT (32-bit entries) or XSDT (64-bit entries). */
    static byte[] sdt(String signature, long[] tables, int entrySize) {
        ByteBuffer b = ByteBuffer.allocate(tables.length * entrySize).order(ByteOrder.LITTLE_ENDIAN);
        for (long t : tables) {
            if (entrySize == 4) {
                b.putInt((int) t);
            } else {
                b.putLong(t);
            }
        }
        return AcpiTable.of(signature, 1, b.array());
    }

    /**
     * FADT revision 1 (the 116-byte ACPI 1.0 layout, ACPI 6.5 section 5.2.9): SMI_CMD 0 so the
     * machine is always in ACPI mode, PM1a event/control and the PM timer in I/O space, no GPE
     * block, C2/C3 reported unsupported through their latencies.
     */
    static byte[] fadt(AcpiConfig c, long facs, long dsdt) {
        ByteBuffer b = ByteBuffer.allocate(116 - AcpiTable.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) facs);                        // 36 FIRMWARE_CTRL
        b.putInt((int) dsdt);                        // 40 DSDT
        b.put((byte) 0);                             // 44 INT_MODEL (reserved in ACPI 2.0+)
        b.put((byte) 0);                             // 45 Preferred_PM_Profile: unspecified
        b.putShort((short) c.sciIrq());              // 46 SCI_INT
        b.putInt(0);                                 // 48 SMI_CMD: none, ACPI mode only
        b.put((byte) 0).put((byte) 0);               // 52 ACPI_ENABLE, ACPI_DISABLE
        b.put((byte) 0).put((byte) 0);               // 54 S4BIOS_REQ, PSTATE_CNT
        b.putInt(c.pmBase());                        // 56 PM1a_EVT_BLK
        b.putInt(0);                                 // 60 PM1b_EVT_BLK
        b.putInt(c.pmBase() + AcpiConfig.PM1_CNT_OFFSET); // 64 PM1a_CNT_BLK
        b.putInt(0);                                 // 68 PM1b_CNT_BLK
        b.putInt(0);                                 // 72 PM2_CNT_BLK
        b.putInt(c.pmBase() + AcpiConfig.PM_TMR_OFFSET);  // 76 PM_TMR_BLK
        b.putInt(0).putInt(0);                       // 80 GPE0_BLK, 84 GPE1_BLK
        b.put((byte) AcpiConfig.PM1_EVT_LEN);        // 88 PM1_EVT_LEN
        b.put((byte) AcpiConfig.PM1_CNT_LEN);        // 89 PM1_CNT_LEN
        b.put((byte) 0);                             // 90 PM2_CNT_LEN
        b.put((byte) AcpiConfig.PM_TMR_LEN);         // 91 PM_TMR_LEN
        b.put((byte) 0).put((byte) 0).put((byte) 0); // 92 GPE0_BLK_LEN, GPE1_BLK_LEN, GPE1_BASE
        b.put((byte) 0);                             // 95 CST_CNT
        b.putShort((short) 101);                     // 96 P_LVL2_LAT > 100: no C2
        b.putShort((short) 1001);                    // 98 P_LVL3_LAT > 1000: no C3
        b.putShort((short) 0).putShort((short) 0);   // 100 FLUSH_SIZE, FLUSH_STRIDE
        b.put((byte) 0).put((byte) 0);               // 104 DUTY_OFFSET, DUTY_WIDTH
        b.put((byte) 0).put((byte) 0).put((byte) 0x32); // 106 DAY_ALRM, MON_ALRM: none; CENTURY: CMOS 0x32
        b.putShort((short) 0);                       // 109 IAPC_BOOT_ARCH (reserved in revision 1)
        b.put((byte) 0);                             // 111 reserved
        b.putInt(FADT_FLAGS);                        // 112 Flags
        return AcpiTable.of("FACP", FADT_REVISION, b.array());
    }

    /**
     * The HPET description table (IA-PC HPET specification 1.0a, section 3.2.4): event timer
     * block id, base address as a Generic Address Structure in system memory, HPET number 0,
     * minimum periodic tick, no page protection.
     */
    static byte[] hpet(AcpiConfig c) {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(c.hpetCapabilities());
        b.put((byte) 0);     // GAS: address space id 0 = system memory
        b.put((byte) 64);    // register bit width
        b.put((byte) 0);     // register bit offset
        b.put((byte) 0);     // access size: undefined
        b.putLong(c.hpetBase());
        b.put((byte) 0);     // HPET number
        b.putShort((short) HPET_CLOCK_TICK);
        b.put((byte) 0);     // page protection: none
        return AcpiTable.of("HPET", 1, b.array());
    }
}
