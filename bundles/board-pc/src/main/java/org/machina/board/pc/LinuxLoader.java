package org.machina.board.pc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.machina.board.pc.acpi.AcpiTables;

/**
 * Places a bzImage, an initrd and a command line in guest RAM following the Linux/x86 32-bit
 * boot protocol and builds the zero page ({@code struct boot_params}).
 *
 * <pre>
 * 0x10000   zero page (4 KiB)
 * 0x20000   command line (NUL-terminated, at most cmdline_size bytes)
 * 0x100000  protected-mode kernel
 * high      initrd: page-aligned, as high as initrd_addr_max and the end of RAM allow
 * </pre>
 */
final class LinuxLoader {
    static final long ZERO_PAGE = 0x10000;
    static final long CMDLINE = 0x20000;
    static final long KERNEL = 0x100000;
    static final long PAGE = 4096;

    /** Where everything goes; {@link #zeroPage} is the complete boot_params. */
    record Plan(byte[] zeroPage, byte[] cmdline, byte[] kernel, long initrdAddress, byte[] initrd) {
    }

    private LinuxLoader() {
    }

    static Plan plan(BzImage image, byte[] initrd, String cmdline, long ramSize, long romSize) {
        return plan(image, initrd, cmdline, ramSize, romSize, null);
    }

    /** As above; with ACPI {@code tables}, their area is reserved in the e820 map and the RSDP given in acpi_rsdp_addr. */
    static Plan plan(BzImage image, byte[] initrd, String cmdline, long ramSize, long romSize, AcpiTables.Result tables) {
        long ramTop = PcMemoryMap.ramTop(ramSize);
        byte[] kernel = image.protectedModeKernel();
        long kernelEnd = KERNEL + image.footprint();
        if (kernelEnd > ramTop) {
            throw new IllegalArgumentException(String.format("kernel needs %d KiB from 1 MiB but RAM ends at %d KiB;"
                    + " give the machine more memory", image.footprint() >> 10, ramTop >> 10));
        }

        byte[] cmd = cmdline.getBytes(StandardCharsets.UTF_8);
        if (cmd.length > image.cmdlineSize) {
            throw new IllegalArgumentException("kernel command line is " + cmd.length + " bytes; this kernel accepts at most "
                    + image.cmdlineSize + " (cmdline_size)");
        }
        byte[] cmdz = new byte[cmd.length + 1];
        System.arraycopy(cmd, 0, cmdz, 0, cmd.length);

        long initrdAddress = 0;
        if (initrd.length > 0) {
            long limit = Math.min(image.initrdAddrMax + 1, ramTop);
            initrdAddress = (limit - initrd.length) & ~(PAGE - 1);
            if (initrdAddress < kernelEnd) {
                throw new IllegalArgumentException(String.format("initrd of %d KiB does not fit in RAM: it must lie between"
                        + " the kernel end (%d KiB) and min(RAM end, initrd_addr_max) (%d KiB); give the machine more memory",
                        initrd.length >> 10, kernelEnd >> 10, limit >> 10));
            }
        }

        byte[] zp = new byte[BootParams.ZERO_PAGE_SIZE];
        ByteBuffer z = ByteBuffer.wrap(zp).order(ByteOrder.LITTLE_ENDIAN);
        // The setup header, as found in the image, at the same offset.
        System.arraycopy(image.file, BootParams.SETUP_SECTS, zp, BootParams.SETUP_SECTS,
                image.headerEnd - BootParams.SETUP_SECTS);
        // screen_info: an 80x25 text mode, no VGA claimed (the console is serial).
        long extKiB = (ramTop - PcMemoryMap.HIGH_RAM_START) >> 10;
        z.put(BootParams.ORIG_X, (byte) 0).put(BootParams.ORIG_Y, (byte) 0);
        z.putShort(BootParams.EXT_MEM_K, (short) Math.min(extKiB, 0xFFFF));
        z.put(BootParams.ORIG_VIDEO_MODE, (byte) 3);
        z.put(BootParams.ORIG_VIDEO_COLS, (byte) 80);
        z.put(BootParams.ORIG_VIDEO_LINES, (byte) 25);
        z.put(BootParams.ORIG_VIDEO_IS_VGA, (byte) 0);
        z.putShort(BootParams.ORIG_VIDEO_POINTS, (short) 16);
        z.putInt(BootParams.ALT_MEM_K, (int) extKiB);

        List<PcMemoryMap.E820> e820 = PcMemoryMap.e820(ramSize, romSize, tables != null);
        if (tables != null) {
            z.putLong(BootParams.ACPI_RSDP_ADDR, tables.rsdp());
        }
        z.put(BootParams.E820_ENTRIES, (byte) e820.size());
        int at = BootParams.E820_TABLE;
        for (PcMemoryMap.E820 e : e820) {
            z.putLong(at, e.address()).putLong(at + 8, e.size()).putInt(at + 16, e.type());
            at += 20;
        }

        // Loader fields of the setup header.
        z.put(BootParams.TYPE_OF_LOADER, (byte) BootParams.LOADER_UNDEFINED);
        z.put(BootParams.LOADFLAGS, (byte) (image.loadflags | BootParams.CAN_USE_HEAP));
        z.putShort(BootParams.HEAP_END_PTR, (short) (0xFE00 - 0x200));
        z.putInt(BootParams.CODE32_START, (int) KERNEL);
        z.putInt(BootParams.CMD_LINE_PTR, (int) CMDLINE);
        z.putInt(BootParams.RAMDISK_IMAGE, (int) initrdAddress);
        z.putInt(BootParams.RAMDISK_SIZE, initrd.length);
        return new Plan(zp, cmdz, kernel, initrdAddress, initrd);
    }
}
