package org.machina.board.pc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A parsed Linux/x86 bzImage: its setup header, the real-mode part and the protected-mode
 * kernel. Only what the 32-bit boot protocol needs is checked: a "HdrS" header, protocol
 * 2.06 or newer (for {@code cmdline_size}) and a kernel that loads high (bzImage).
 */
final class BzImage {
    /** Oldest protocol accepted: 2.06 gives cmdline_size and a usable initrd_addr_max. */
    static final int MIN_PROTOCOL = 0x0206;

    final byte[] file;
    final int setupSects;
    final int protocol;
    final int loadflags;
    final long syssize;
    final long cmdlineSize;
    final long initrdAddrMax;
    final long kernelAlignment;
    final boolean relocatable;
    final long initSize;
    /** Offset of the protected-mode kernel in the file. */
    final int kernelOffset;
    /** End (exclusive) of the setup header in the first sectors. */
    final int headerEnd;

    private BzImage(byte[] file, String name) {
        this.file = file;
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (file.length < 0x400 || b.getInt(BootParams.HEADER) != BootParams.HDRS_MAGIC) {
            throw new IllegalArgumentException("kernel '" + name + "' is not a Linux bzImage: no \"HdrS\" boot "
                    + "header at offset 0x202 (expected a bzImage such as /boot/vmlinuz-*, not an ELF vmlinux)");
        }
        protocol = b.getShort(BootParams.VERSION) & 0xFFFF;
        if (protocol < MIN_PROTOCOL) {
            throw new IllegalArgumentException(String.format("kernel '%s' uses boot protocol %d.%02d; the pc board "
                    + "needs 2.06 or newer (Linux 2.6.22+)", name, protocol >> 8, protocol & 0xFF));
        }
        loadflags = b.get(BootParams.LOADFLAGS) & 0xFF;
        if ((loadflags & BootParams.LOADED_HIGH) == 0) {
            throw new IllegalArgumentException("kernel '" + name + "' is a zImage (loaded low); only bzImage "
                    + "kernels (LOADED_HIGH) are supported");
        }
        int sects = file[BootParams.SETUP_SECTS] & 0xFF;
        setupSects = sects == 0 ? 4 : sects;
        kernelOffset = (setupSects + 1) * 512;
        syssize = b.getInt(BootParams.SYSSIZE) & 0xFFFFFFFFL;
        if (kernelOffset >= file.length || syssize * 16 > file.length - kernelOffset) {
            throw new IllegalArgumentException("kernel '" + name + "' is truncated: header says " + setupSects
                    + " setup sectors and " + syssize * 16 + " bytes of kernel, the file has " + file.length + " bytes");
        }
        cmdlineSize = b.getInt(BootParams.CMDLINE_SIZE) & 0xFFFFFFFFL;
        initrdAddrMax = b.getInt(BootParams.INITRD_ADDR_MAX) & 0xFFFFFFFFL;
        kernelAlignment = b.getInt(BootParams.KERNEL_ALIGNMENT) & 0xFFFFFFFFL;
        relocatable = file[BootParams.RELOCATABLE_KERNEL] != 0;
        initSize = protocol >= 0x020A ? b.getInt(BootParams.INIT_SIZE) & 0xFFFFFFFFL : 0;
        headerEnd = Math.min(0x202 + (file[BootParams.JUMP + 1] & 0xFF), kernelOffset);
    }

    /** Parses {@code file}; {@code name} is used in error messages. */
    static BzImage parse(byte[] file, String name) {
        return new BzImage(file, name);
    }

    /** The protected-mode kernel, loaded at 1 MiB. */
    byte[] protectedModeKernel() {
        return Arrays.copyOfRange(file, kernelOffset, file.length);
    }

    /** Memory the kernel needs from its load address (at least the file part). */
    long footprint() {
        return Math.max(file.length - kernelOffset, initSize);
    }
}
