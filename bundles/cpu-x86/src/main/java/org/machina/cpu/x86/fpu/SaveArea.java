package org.machina.cpu.x86.fpu;

/**
 * The memory images of the x87 state: the FNSTENV/FLDENV environment (14/28 bytes, protected- or
 * real-mode layout), the FNSAVE/FRSTOR register area behind it, and the 512-byte FXSAVE image.
 */
final class SaveArea {
    private SaveArea() { }

    static void storeEnv(X87 f, int a, boolean op32, FpuMemory mem) {
        if (f.realMode) {
            int ip = (f.fcs << 4) + f.fip, dp = (f.fds << 4) + f.fdp;
            if (op32) {
                mem.write32(a, f.cw | 0xFFFF0000);
                mem.write32(a + 4, f.statusWord() | 0xFFFF0000);
                mem.write32(a + 8, f.tagWord() | 0xFFFF0000);
                mem.write32(a + 12, (ip & 0xFFFF) | 0xFFFF0000);
                mem.write32(a + 16, ((ip >>> 16) << 12) | f.fop);
                mem.write32(a + 20, (dp & 0xFFFF) | 0xFFFF0000);
                mem.write32(a + 24, (dp >>> 16) << 12);
            } else {
                mem.write16(a, f.cw);
                mem.write16(a + 2, f.statusWord());
                mem.write16(a + 4, f.tagWord());
                mem.write16(a + 6, ip);
                mem.write16(a + 8, (((ip >>> 16) & 0xF) << 12) | f.fop);
                mem.write16(a + 10, dp);
                mem.write16(a + 12, ((dp >>> 16) & 0xF) << 12);
            }
            return;
        }
        if (op32) {
            mem.write32(a, f.cw | 0xFFFF0000);
            mem.write32(a + 4, f.statusWord() | 0xFFFF0000);
            mem.write32(a + 8, f.tagWord() | 0xFFFF0000);
            mem.write32(a + 12, f.fip);
            mem.write32(a + 16, f.fcs | (f.fop << 16));
            mem.write32(a + 20, f.fdp);
            mem.write32(a + 24, f.fds | 0xFFFF0000);
        } else {
            mem.write16(a, f.cw);
            mem.write16(a + 2, f.statusWord());
            mem.write16(a + 4, f.tagWord());
            mem.write16(a + 6, f.fip);
            mem.write16(a + 8, f.fcs);
            mem.write16(a + 10, f.fdp);
            mem.write16(a + 12, f.fds);
        }
    }

    static void loadEnv(X87 f, int a, boolean op32, FpuMemory mem) {
        int step = op32 ? 4 : 2;
        int ncw = mem.read16(a), nsw = mem.read16(a + step), ntw = mem.read16(a + 2 * step);
        int nip, ncs, ndp, nds, nop = f.fop;
        if (f.realMode) {
            if (op32) {
                int w = mem.read32(a + 16);
                nip = (mem.read16(a + 12) & 0xFFFF) | ((w >>> 12) << 16);
                nop = w & 0x7FF;
                ndp = (mem.read16(a + 20) & 0xFFFF) | ((mem.read32(a + 24) >>> 12) << 16);
            } else {
                int w = mem.read16(a + 8);
                nip = (mem.read16(a + 6) & 0xFFFF) | ((w >>> 12) << 16);
                nop = w & 0x7FF;
                ndp = (mem.read16(a + 10) & 0xFFFF) | ((mem.read16(a + 12) >>> 12) << 16);
            }
            ncs = 0; nds = 0; // linear addresses: the selectors read back as 0
        } else if (op32) {
            nip = mem.read32(a + 12);
            int w = mem.read32(a + 16);
            ncs = w & 0xFFFF; nop = (w >>> 16) & 0x7FF;
            ndp = mem.read32(a + 20);
            nds = mem.read16(a + 24);
        } else {
            nip = mem.read16(a + 6); ncs = mem.read16(a + 8); ndp = mem.read16(a + 10); nds = mem.read16(a + 12);
        }
        f.cw = (ncw & 0x1F3F) | 0x40;
        f.top = (nsw >>> 11) & 7;
        f.sw = nsw & ~0x3800 & 0xFFFF;
        for (int r = 0; r < 8; r++) f.empty[r] = ((ntw >>> (2 * r)) & 3) == 3;
        f.fip = nip; f.fcs = ncs & 0xFFFF; f.fdp = ndp; f.fds = nds & 0xFFFF; f.fop = nop;
        f.updateEs();
    }

    /** FXSAVE: the x87 part of the 512-byte image; MXCSR 0x1F80 and the XMM area written as zero. */
    static void fxsave(X87 f, int a, FpuMemory mem) {
        int ftw = 0;
        for (int r = 0; r < 8; r++) if (!f.empty[r]) ftw |= 1 << r;
        mem.write16(a, f.cw);
        mem.write16(a + 2, f.statusWord());
        mem.write8(a + 4, ftw);
        mem.write8(a + 5, 0);
        mem.write16(a + 6, f.fop);
        mem.write32(a + 8, f.fip);
        mem.write32(a + 12, f.fcs);
        mem.write32(a + 16, f.fdp);
        mem.write32(a + 20, f.fds);
        mem.write32(a + 24, 0x1F80);
        mem.write32(a + 28, 0xFFFF);
        for (int k = 0; k < 8; k++) {
            int r = f.phys(k), o = a + 32 + 16 * k;
            X87.writeExt(mem, o, f.sexp[r], f.mant[r]);
            mem.write16(o + 10, 0);
            mem.write32(o + 12, 0);
        }
        for (int o = 160; o < 288; o += 8) mem.write64(a + o, 0);
    }

    static void fxrstor(X87 f, int a, FpuMemory mem) {
        int ncw = mem.read16(a), nsw = mem.read16(a + 2), ftw = mem.read8(a + 4), nop = mem.read16(a + 6);
        int nip = mem.read32(a + 8), ncs = mem.read16(a + 12), ndp = mem.read32(a + 16), nds = mem.read16(a + 20);
        long[] ms = new long[8];
        int[] ses = new int[8];
        for (int k = 0; k < 8; k++) { ms[k] = mem.read64(a + 32 + 16 * k); ses[k] = mem.read16(a + 40 + 16 * k) & 0xFFFF; }
        f.cw = (ncw & 0x1F3F) | 0x40;
        f.top = (nsw >>> 11) & 7;
        f.sw = nsw & ~0x3800 & 0xFFFF;
        for (int r = 0; r < 8; r++) f.empty[r] = ((ftw >>> r) & 1) == 0;
        for (int k = 0; k < 8; k++) { int r = f.phys(k); f.mant[r] = ms[k]; f.sexp[r] = ses[k]; }
        f.fop = nop & 0x7FF; f.fip = nip; f.fcs = ncs & 0xFFFF; f.fdp = ndp; f.fds = nds & 0xFFFF;
        f.updateEs();
    }
}
