package org.machina.board.pc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds small fake bzImages with a chosen setup header for loader tests. */
final class SyntheticKernel {
    int protocol = 0x020F;
    int setupSects = 4;
    int pmSize = 0x3000;
    int loadflags = BootParams.LOADED_HIGH;
    long initrdAddrMax = 0x7FFFFFFFL;
    int cmdlineSize = 2047;
    int initSize = 0x10000;
    boolean magic = true;

    byte[] build() {
        int setupBytes = (setupSects + 1) * 512;
        byte[] f = new byte[setupBytes + pmSize];
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        b.put(BootParams.SETUP_SECTS, (byte) setupSects);
        b.putInt(BootParams.SYSSIZE, pmSize / 16);
        b.putShort(BootParams.BOOT_FLAG, (short) 0xAA55);
        b.put(BootParams.JUMP, (byte) 0xEB).put(BootParams.JUMP + 1, (byte) 0x6A); // header ends at 0x26C
        if (magic) {
            b.putInt(BootParams.HEADER, BootParams.HDRS_MAGIC);
        }
        b.putShort(BootParams.VERSION, (short) protocol);
        b.put(BootParams.LOADFLAGS, (byte) loadflags);
        b.putInt(BootParams.CODE32_START, 0x100000);
        b.putInt(BootParams.INITRD_ADDR_MAX, (int) initrdAddrMax);
        b.putInt(BootParams.KERNEL_ALIGNMENT, 0x200000);
        b.put(BootParams.RELOCATABLE_KERNEL, (byte) 1);
        b.putInt(BootParams.CMDLINE_SIZE, cmdlineSize);
        b.putInt(BootParams.INIT_SIZE, initSize);
        for (int i = 0; i < pmSize; i++) {
            f[setupBytes + i] = (byte) (i * 7 + 3);
        }
        return f;
    }
}
