package org.machina.cpu.x86.fpu;

/** A flat little-endian test memory starting at linear address 0. */
final class ArrayMemory implements FpuMemory {
    final byte[] b;

    ArrayMemory(int size) { b = new byte[size]; }

    @Override public int read8(int a) { return b[a] & 0xFF; }
    @Override public int read16(int a) { return read8(a) | (read8(a + 1) << 8); }
    @Override public int read32(int a) { return read16(a) | (read16(a + 2) << 16); }
    @Override public long read64(int a) { return (read32(a) & 0xFFFFFFFFL) | ((long) read32(a + 4) << 32); }
    @Override public void write8(int a, int v) { b[a] = (byte) v; }
    @Override public void write16(int a, int v) { write8(a, v); write8(a + 1, v >>> 8); }
    @Override public void write32(int a, int v) { write16(a, v); write16(a + 2, v >>> 16); }
    @Override public void write64(int a, long v) { write32(a, (int) v); write32(a + 4, (int) (v >>> 32)); }

    /** Writes an 80-bit value given as 20 hex digits, sign/exponent first (the generator's format). */
    void writeExt(int a, String hex) {
        write16(a + 8, Integer.parseInt(hex.substring(0, 4), 16));
        write64(a, Long.parseUnsignedLong(hex.substring(4), 16));
    }

    String readExt(int a) {
        return String.format("%04x%016x", read16(a + 8), read64(a));
    }
}
