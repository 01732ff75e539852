package org.machina.board.pc;

import java.io.ByteArrayOutputStream;

/**
 * A tiny IA-32 machine-code emitter for the generated boot ROM: just the handful of
 * instructions it needs, each encoded from the Intel SDM opcode tables. Methods emit into the
 * current position; {@link #position()} tells where the next byte goes.
 */
final class X86Emitter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final int origin;

    /** An emitter whose first byte will live at offset {@code origin} of its code segment. */
    X86Emitter(int origin) {
        this.origin = origin;
    }

    /** Segment offset of the next byte. */
    int position() {
        return origin + out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    X86Emitter raw(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    X86Emitter imm16(int v) {
        return raw(v & 0xFF, (v >>> 8) & 0xFF);
    }

    X86Emitter imm32(long v) {
        return raw((int) v & 0xFF, (int) (v >>> 8) & 0xFF, (int) (v >>> 16) & 0xFF, (int) (v >>> 24) & 0xFF);
    }

    /** CLI (FA): mask maskable interrupts. */
    X86Emitter cli() {
        return raw(0xFA);
    }

    /** CLD (FC): string operations count up. */
    X86Emitter cld() {
        return raw(0xFC);
    }

    /** IN AL, imm8 (E4 ib). */
    X86Emitter inAlImm(int port) {
        return raw(0xE4, port);
    }

    /** OUT imm8, AL (E6 ib). */
    X86Emitter outImmAl(int port) {
        return raw(0xE6, port);
    }

    /** OR AL, imm8 (0C ib). */
    X86Emitter orAl(int v) {
        return raw(0x0C, v);
    }

    /** AND AL, imm8 (24 ib). */
    X86Emitter andAl(int v) {
        return raw(0x24, v);
    }

    /**
     * In 16-bit code: LGDT with a 32-bit base, operand CS:disp16. 66 (operand size 32, so all
     * 32 base bits are loaded), 2E (CS override), 0F 01 /2 with ModRM 0x16 (mod 00, reg 2,
     * rm 110 = disp16).
     */
    X86Emitter lgdtCs16(int disp16) {
        return raw(0x66, 0x2E, 0x0F, 0x01, 0x16).imm16(disp16);
    }

    /** MOV EAX, CR0 (0F 20 /r, ModRM C0). */
    X86Emitter movEaxCr0() {
        return raw(0x0F, 0x20, 0xC0);
    }

    /** MOV CR0, EAX (0F 22 /r, ModRM C0). */
    X86Emitter movCr0Eax() {
        return raw(0x0F, 0x22, 0xC0);
    }

    /** In 16-bit code: JMP FAR ptr16:32 (66 EA, 32-bit offset then selector). */
    X86Emitter jmpFar16To32(int selector, long offset) {
        return raw(0x66, 0xEA).imm32(offset).imm16(selector);
    }

    /** In 16-bit code: JMP rel16 (E9 cw) to {@code target}, an offset in the same segment. */
    X86Emitter jmpNear16(int target) {
        int next = position() + 3;
        return raw(0xE9).imm16(target - next);
    }

    /** In 32-bit code: MOV r32, imm32 (B8+rd id). Registers numbered EAX=0 .. EDI=7. */
    X86Emitter movImm32(int reg, long value) {
        return raw(0xB8 + reg).imm32(value);
    }

    /** In 32-bit code: MOV Sreg, AX/EAX (8E /r, ModRM 11 sreg 000). ES=0 SS=2 DS=3 FS=4 GS=5. */
    X86Emitter movSregEax(int sreg) {
        return raw(0x8E, 0xC0 | sreg << 3);
    }

    /** XOR r32, r32 (31 /r, ModRM 11 reg reg): zeroes a register. */
    X86Emitter zero(int reg) {
        return raw(0x31, 0xC0 | reg << 3 | reg);
    }

    /** In 32-bit code: JMP r32 (FF /4, ModRM 11 100 reg). */
    X86Emitter jmpReg(int reg) {
        return raw(0xFF, 0xE0 | reg);
    }

    /** HLT (F4). */
    X86Emitter hlt() {
        return raw(0xF4);
    }

    static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    static final int ES = 0, SS = 2, DS = 3, FS = 4, GS = 5;
}
