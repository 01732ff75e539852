package org.machina.board.pc;

/**
 * Generates the 64 KiB boot ROM used for direct Linux boot. Mapped like a BIOS (at
 * 0xFFFF0000 and aliased at 0xF0000), it runs from the architectural reset vector F000:FFF0
 * and enters the kernel through the 32-bit boot protocol:
 *
 * <ol>
 *   <li>reset vector (ROM offset 0xFFF0): near jump to the real-mode entry;</li>
 *   <li>real mode: CLI, CLD, enable A20 through port 0x92, LGDT (32-bit base), set CR0.PE,
 *       far jump to selector 0x10 (__BOOT_CS);</li>
 *   <li>32-bit protected mode: DS/ES/SS/FS/GS = 0x18 (__BOOT_DS), ESP below the EBDA,
 *       ESI = zero page, EBX/EBP/EDI = 0, jump to the kernel entry (1 MiB).</li>
 * </ol>
 *
 * <p>Everything the code touches is architectural (reset state, GDT, CR0), so it works on
 * any IA-32 CPU implementation without a "set protected mode" back door.
 */
final class LinuxBootRom {
    static final int SIZE = 0x10000;
    /** ROM base in the physical address space (top 64 KiB below 4 GiB). */
    static final long BASE = 0x1_0000_0000L - SIZE;
    static final int GDT_OFFSET = 0xE000;
    static final int GDTR_OFFSET = 0xE020;
    static final int REAL_MODE_ENTRY = 0xE040;
    static final int RESET_VECTOR = 0xFFF0;
    static final int BOOT_CS = 0x10;
    static final int BOOT_DS = 0x18;
    static final long STACK_TOP = 0x9F000;

    /** Flat 4 GiB descriptors: base 0, limit 0xFFFFF pages, G=1 D=1, present, DPL 0. */
    static final long GDT_CODE = 0x00CF9A000000FFFFL; // type 0xA: execute/read
    static final long GDT_DATA = 0x00CF92000000FFFFL; // type 0x2: read/write

    private LinuxBootRom() {
    }

    /** The ROM image that enters the kernel at {@code entry} with ESI = {@code zeroPage}. */
    static byte[] build(long entry, long zeroPage) {
        byte[] rom = new byte[SIZE];
        java.util.Arrays.fill(rom, (byte) 0xFF);

        // GDT: null, null (unused), 0x10 code, 0x18 data.
        putLong(rom, GDT_OFFSET, 0);
        putLong(rom, GDT_OFFSET + 8, 0);
        putLong(rom, GDT_OFFSET + 16, GDT_CODE);
        putLong(rom, GDT_OFFSET + 24, GDT_DATA);
        // GDTR: limit (4 entries * 8 - 1), 32-bit linear base of the GDT in the high ROM copy.
        rom[GDTR_OFFSET] = 4 * 8 - 1;
        rom[GDTR_OFFSET + 1] = 0;
        putInt(rom, GDTR_OFFSET + 2, BASE + GDT_OFFSET);

        // Real-mode part. CS base is 0xFFFF0000 after reset, so CS:offset == ROM offset.
        X86Emitter real = new X86Emitter(REAL_MODE_ENTRY);
        real.cli().cld();
        real.inAlImm(0x92).orAl(0x02).andAl(0xFE).outImmAl(0x92); // fast A20 on, no reset
        real.lgdtCs16(GDTR_OFFSET);
        real.movEaxCr0().orAl(0x01).movCr0Eax();                   // CR0.PE = 1
        int protectedEntry = real.position() + 8;                  // right after the 8-byte far jump
        real.jmpFar16To32(BOOT_CS, BASE + protectedEntry);

        // 32-bit part.
        X86Emitter pm = new X86Emitter(protectedEntry);
        pm.movImm32(X86Emitter.EAX, BOOT_DS);
        pm.movSregEax(X86Emitter.DS).movSregEax(X86Emitter.ES).movSregEax(X86Emitter.SS);
        pm.movSregEax(X86Emitter.FS).movSregEax(X86Emitter.GS);
        pm.movImm32(X86Emitter.ESP, STACK_TOP);
        pm.movImm32(X86Emitter.ESI, zeroPage);
        pm.zero(X86Emitter.EBX).zero(X86Emitter.EBP).zero(X86Emitter.EDI);
        pm.movImm32(X86Emitter.EAX, entry);
        pm.jmpReg(X86Emitter.EAX);
        pm.hlt();

        byte[] r = real.bytes();
        System.arraycopy(r, 0, rom, REAL_MODE_ENTRY, r.length);
        if (REAL_MODE_ENTRY + r.length != protectedEntry) {
            throw new IllegalStateException("boot ROM layout error");
        }
        byte[] p = pm.bytes();
        System.arraycopy(p, 0, rom, protectedEntry, p.length);

        // Reset vector: jump back to the real-mode entry; pad with HLT.
        byte[] v = new X86Emitter(RESET_VECTOR).jmpNear16(REAL_MODE_ENTRY).hlt().bytes();
        System.arraycopy(v, 0, rom, RESET_VECTOR, v.length);
        return rom;
    }

    private static void putInt(byte[] a, int off, long v) {
        for (int i = 0; i < 4; i++) {
            a[off + i] = (byte) (v >>> (8 * i));
        }
    }

    private static void putLong(byte[] a, int off, long v) {
        for (int i = 0; i < 8; i++) {
            a[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
