package org.machina.board.pc;

import java.util.ArrayList;
import java.util.List;

/**
 * The PC's physical memory layout (guest RAM offset == physical address for every RAM window):
 *
 * <pre>
 * 0x00000000-0x0009FFFF  RAM (conventional 640 KiB; the top 1 KiB is reported reserved as an EBDA)
 * 0x000A0000-0x000BFFFF  VGA window, unmapped (reads all ones)
 * 0x000C0000-0x000FFFFF  option ROM / BIOS area: RAM underneath, the BIOS alias on top;
 *                        for direct kernel boot the ACPI tables are in the RAM at 0xE0000-0xEFFFF
 * 0x00100000-ramTop      RAM ("extended memory"), ramTop = min(RAM size, 0xE0000000)
 * 0xE0000000-0xFFFFFFFF  PCI hole; firmware ROM at the very top
 * </pre>
 *
 * RAM beyond 3.5 GiB is not mapped (no PAE/64-bit high memory yet) and not reported in the e820 map.
 */
final class PcMemoryMap {
    static final long LOW_RAM_END = 0xA0000;
    static final long EBDA_START = 0x9FC00;
    static final long VGA_END = 0xC0000;
    static final long BIOS_AREA = 0xF0000;
    /** Where the board puts its ACPI tables (RSDP first, so the BIOS-area scan finds it). */
    static final long ACPI_TABLES = 0xE0000;
    static final long HIGH_RAM_START = 0x100000;
    static final long PCI_HOLE_START = 0xE000_0000L;
    static final long FOUR_GIB = 0x1_0000_0000L;
    /** Smallest RAM the board accepts. */
    static final long MIN_RAM = 2L << 20;

    private PcMemoryMap() {
    }

    /** End (exclusive) of mapped RAM. */
    static long ramTop(long ramSize) {
        return Math.min(ramSize, PCI_HOLE_START);
    }

    /** RAM that does not fit below the PCI hole and stays unmapped. */
    static long unmappedRam(long ramSize) {
        return ramSize - ramTop(ramSize);
    }

    /** One e820 entry. */
    record E820(long address, long size, int type) {
    }

    /** The e820 map handed to Linux, in address order; with ACPI tables, 0xE0000-0xFFFFF is reserved. */
    static List<E820> e820(long ramSize, long romSize, boolean acpiTables) {
        List<E820> map = new ArrayList<>();
        map.add(new E820(0, EBDA_START, BootParams.E820_RAM));
        map.add(new E820(EBDA_START, LOW_RAM_END - EBDA_START, BootParams.E820_RESERVED));
        long reservedLow = acpiTables ? ACPI_TABLES : BIOS_AREA;
        map.add(new E820(reservedLow, HIGH_RAM_START - reservedLow, BootParams.E820_RESERVED));
        map.add(new E820(HIGH_RAM_START, ramTop(ramSize) - HIGH_RAM_START, BootParams.E820_RAM));
        map.add(new E820(FOUR_GIB - romSize, romSize, BootParams.E820_RESERVED));
        return map;
    }
}
