package org.machina.cpu.x86.fpu;

/** The x87 floating-point unit (stub of the contract; implementation follows). */
public final class X87 {
    public X87() { reset(); }
    public void reset() { }
    public void execute(int opcode, int modrm, int linear, boolean operand32, FpuMemory mem) { }
    public boolean hasPendingException() { return false; }
    public int statusWord() { return 0; }
    public int controlWord() { return 0x037F; }
    public int tagWord() { return 0xFFFF; }
    public void setLastInstruction(int cs, int eip, int opcode11, int ds, int operandOffset) { }
    public void fxsave(int linear, FpuMemory mem) { }
    public void fxrstor(int linear, FpuMemory mem) { }
    public byte[] readSt(int i) { return new byte[10]; }
    public void writeSt(int i, byte[] tenBytes) { }
    /** EFLAGS bits ZF(0x40)/PF(0x04)/CF(0x01) produced by the last FCOMI/FCOMIP/FUCOMI/FUCOMIP; the CPU merges them. */
    public int lastComiFlags() { return 0; }
    /** True when the last executed instruction was FCOMI-class and the CPU must merge {@link #lastComiFlags()}. */
    public boolean comiExecuted() { return false; }
    /** The CPU passes its EFLAGS before each execute so FCMOVcc can test CF/ZF/PF. */
    public void setEflagsForFcmov(int eflags) { }
}
