package org.machina.tools.initramfs;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds minimal ELF relocatables with a .modinfo section, laid out as the ELF format specifies. */
final class TestElf {
    private TestElf() {}

    /** A module whose .modinfo holds {@code entries} (key=value strings). */
    static byte[] module(boolean is64, boolean bigEndian, String... entries) {
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        for (String e : entries) {
            info.writeBytes(e.getBytes(StandardCharsets.UTF_8));
            info.write(0);
        }
        byte[] shstrtab = "\0.shstrtab\0.modinfo\0".getBytes(StandardCharsets.US_ASCII);
        byte[] modinfo = info.toByteArray();
        int ehsize = is64 ? 64 : 52, shentsize = is64 ? 64 : 40;
        int strOff = ehsize, infoOff = strOff + shstrtab.length, shoff = infoOff + modinfo.length;
        ByteBuffer b = ByteBuffer.allocate(shoff + 3 * shentsize)
                .order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), (byte) (bigEndian ? 2 : 1), 1});
        b.putShort(16, (short) 1); // ET_REL
        if (is64) {
            b.putLong(0x28, shoff);
            b.putShort(0x34, (short) ehsize);
            b.putShort(0x3a, (short) shentsize);
            b.putShort(0x3c, (short) 3);
            b.putShort(0x3e, (short) 1);
        } else {
            b.putInt(0x20, shoff);
            b.putShort(0x28, (short) ehsize);
            b.putShort(0x2e, (short) shentsize);
            b.putShort(0x30, (short) 3);
            b.putShort(0x32, (short) 1);
        }
        b.put(strOff, shstrtab);
        b.put(infoOff, modinfo);
        section(b, is64, shoff + shentsize, 1, 3, strOff, shstrtab.length);       // .shstrtab, SHT_STRTAB
        section(b, is64, shoff + 2 * shentsize, 11, 1, infoOff, modinfo.length);  // .modinfo, SHT_PROGBITS
        return b.array();
    }

    private static void section(ByteBuffer b, boolean is64, int at, int name, int type, long offset, long size) {
        b.putInt(at, name);
        b.putInt(at + 4, type);
        if (is64) {
            b.putLong(at + 24, offset);
            b.putLong(at + 32, size);
        } else {
            b.putInt(at + 16, (int) offset);
            b.putInt(at + 20, (int) size);
        }
    }
}
