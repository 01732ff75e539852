package org.machina.cpu.x86;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.machina.api.cpu.CpuContext;
import org.machina.api.device.MachineControl;
import org.machina.api.fastpath.FastPathDispatch;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.DirtyLog;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.memory.RamBlock;
import org.machina.api.memory.Translation;
import org.machina.api.time.VirtualClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A flat-RAM machine for CPU tests: RAM from 0, all ports read 0xff, port writes recorded. */
final class FakeMachine implements CpuContext {
    final long size;
    final MemorySegment seg;
    final List<String> resets = new ArrayList<>();
    final List<int[]> outs = new ArrayList<>();
    final StringBuilder debugOut = new StringBuilder();
    int nextVector = 0x20;
    /** Runs on every port write (a device reacting to OUT), after it is recorded. */
    java.util.function.IntConsumer onOut = port -> { };
    /**
     * A remappable 4 KiB window at physical {@link #WINDOW}: it shows the RAM page at
     * {@code windowTarget}; {@link #remapWindow} moves it and bumps the map generation.
     */
    static final long WINDOW = 0x700000;
    private long windowTarget = WINDOW;
    private long mapGeneration = 1;

    void remapWindow(long target) {
        windowTarget = target;
        mapGeneration++;
    }

    private long phys(long a) {
        return a >= WINDOW && a < WINDOW + 4096 ? windowTarget + (a - WINDOW) : a;
    }
    /** When set, serves port reads and writes (a device on the normal path); else reads are all ones. */
    Mmio ports;
    /** When set, serves physical addresses from {@link #DEVICES} up (device registers on the normal path). */
    Mmio devices;
    static final long DEVICES = 0xFED00000L;
    /** What {@link #fastPath()} gives the CPU. */
    FastPathDispatch fastPath = FastPathDispatch.NONE;
    int acks;
    long now;
    /** Added to {@link #now} at every clock read, so that time passes while the CPU runs. */
    long tick;

    /** Pages marked as code and the generation their writes bump, as RamBlock's contract says. */
    private final BitSet codePages = new BitSet();
    private long codeGeneration;
    /** Number of writes that hit a page marked as code. */
    int codeWrites;

    private final RamBlock ram = new RamBlock() {
        @Override public String name() { return "ram"; }
        @Override public long size() { return size; }
        @Override public MemorySegment segment() { return seg; }
        @Override public void markDirty(long offset, long length) {
            if (length <= 0) return;
            int first = (int) (offset >>> 12), last = (int) ((offset + length - 1) >>> 12);
            int hit = codePages.nextSetBit(first);
            if (hit >= 0 && hit <= last) {
                codePages.clear(first, last + 1);
                codeGeneration++;
                codeWrites++;
            }
        }
        @Override public DirtyLog dirtyLog() {
            return new DirtyLog() {
                @Override public void start(long o, long l) { }
                @Override public void stop() { }
                @Override public boolean isLogging() { return false; }
                @Override public BitSet collectAndClear() { return new BitSet(); }
            };
        }
        @Override public long codeGeneration() { return codeGeneration; }
        @Override public void markCodePage(long offset) { codePages.set((int) (offset >>> 12)); }
        @Override public boolean isCodePage(long offset) { return codePages.get((int) (offset >>> 12)); }
        /** The test RAM lives as long as this machine; -Dmachina.test.segmentRam=true keeps the TLB on the segment. */
        @Override public boolean outlivesMachineThread() { return !SEGMENT_RAM; }
    };
    private static final boolean SEGMENT_RAM = Boolean.getBoolean("machina.test.segmentRam");

    private final AddressSpace memory = new AddressSpace() {
        @Override public String name() { return "memory"; }
        @Override public long limit() { return 1L << 32; }
        @Override public Mapping map(long base, MemoryRegion region, int priority) { throw new UnsupportedOperationException(); }
        @Override public long read(long addr, int n) {
            if (devices != null && addr >= DEVICES) return devices.read(addr - DEVICES, n);
            long a = phys(addr);
            long v = 0;
            for (int i = n - 1; i >= 0; i--) v = (v << 8) | (a + i < size ? seg.get(ValueLayout.JAVA_BYTE, a + i) & 0xff : 0xff);
            return v;
        }
        @Override public void write(long addr, int n, long v) {
            if (devices != null && addr >= DEVICES) {
                devices.write(addr - DEVICES, n, v);
                return;
            }
            long a = phys(addr);
            for (int i = 0; i < n; i++) if (a + i < size) seg.set(ValueLayout.JAVA_BYTE, a + i, (byte) (v >>> (8 * i)));
            if (a < size) ram.markDirty(a, Math.min(n, size - a));
        }
        @Override public void read(long a, byte[] b, int o, int l) { for (int i = 0; i < l; i++) b[o + i] = (byte) read(a + i, 1); }
        @Override public void write(long a, byte[] b, int o, int l) { for (int i = 0; i < l; i++) write(a + i, 1, b[o + i]); }
        @Override public void load(long a, byte[] b, int o, int l) { write(a, b, o, l); }
        @Override public Translation translate(long a) {
            if (a >= WINDOW && a < WINDOW + 4096) return new Translation(WINDOW, WINDOW + 4096, ram, windowTarget, true);
            if (a < WINDOW) return new Translation(0, WINDOW, ram, 0, true);
            return a < size ? new Translation(WINDOW + 4096, size, ram, WINDOW + 4096, true)
                    : new Translation(size, 1L << 32, null, 0, false);
        }
        @Override public long mapGeneration() { return mapGeneration; }
    };

    private final IoSpace io = new IoSpace() {
        @Override public String name() { return "io"; }
        @Override public long limit() { return PORTS; }
        @Override public Mapping map(long base, MemoryRegion region, int priority) { throw new UnsupportedOperationException(); }
        @Override public long read(long a, int n) {
            return ports != null ? ports.read(a, n) : n == 4 ? 0xffffffffL : (1L << (8 * n)) - 1;
        }
        @Override public void write(long a, int n, long v) {
            if (ports != null) ports.write(a, n, v);
            outs.add(new int[] {(int) a, n, (int) v});
            if (a == 0xe9) debugOut.append((char) v);
            onOut.accept((int) a);
        }
        @Override public void read(long a, byte[] b, int o, int l) { }
        @Override public void write(long a, byte[] b, int o, int l) { }
        @Override public void load(long a, byte[] b, int o, int l) { }
        @Override public Translation translate(long a) { return new Translation(0, PORTS, null, 0, false); }
        @Override public long mapGeneration() { return 1; }
    };

    FakeMachine(long size) {
        this.size = size;
        this.seg = Arena.ofAuto().allocate(size, 4096);
    }

    void load(long addr, byte[] data) {
        MemorySegment.copy(data, 0, seg, ValueLayout.JAVA_BYTE, addr, data.length);
        ram.markDirty(addr, data.length);
    }

    /**
     * A CPU of {@code model} in 32-bit protected mode with flat code and data segments (GDT at
     * 0x1000, selectors 8 and 0x10), running {@code code} assembled at 0x100000.
     */
    X86Cpu flatCpu(String model, String code) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        load(0x100000, Asm.flat("BITS 32\norg 0x100000\n" + code + "\n"));
        X86Cpu cpu = new X86Cpu(this, model);
        flat32(cpu, 0x100000, 0x80000);
        cpu.gdtBase = 0x1000;
        cpu.gdtLimit = 0x2f;
        write32(0x1008, 0x0000ffff);
        write32(0x100c, 0x00cf9a00);
        write32(0x1010, 0x0000ffff);
        write32(0x1014, 0x00cf9200);
        return cpu;
    }

    byte[] bytes(long addr, int n) {
        return seg.asSlice(addr, n).toArray(ValueLayout.JAVA_BYTE);
    }

    int read32(long addr) {
        return seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), addr);
    }

    void write32(long addr, int v) {
        seg.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), addr, v);
        ram.markDirty(addr, 4);
    }

    @Override public AddressSpace memory() { return memory; }
    @Override public IoSpace io() { return io; }
    @Override public InterruptAcknowledge interruptAcknowledge() { return () -> { acks++; return nextVector; }; }
    @Override public VirtualClock clock() { return () -> now += tick; }
    /** Reasons of the pauses the CPU asked for. */
    final java.util.List<String> pauses = new java.util.ArrayList<>();

    @Override public MachineControl machine() {
        return new MachineControl() {
            @Override public void requestReset(String reason) { resets.add(reason); }
            @Override public void requestShutdown(String reason, int exitStatus) { }
            @Override public void requestPause(String reason) { pauses.add(reason); }
        };
    }
    @Override public Logger log() { return LoggerFactory.getLogger("x86-test"); }
    /** What {@link #localApic()} gives the CPU (null: none registered). */
    org.machina.api.cpu.LocalApic localApic;
    @Override public java.util.Optional<org.machina.api.cpu.LocalApic> localApic() { return java.util.Optional.ofNullable(localApic); }
    @Override public FastPathDispatch fastPath() { return fastPath; }

    /** Puts {@code cpu} into flat 32-bit protected mode at ring 0 with EIP = {@code eip}. */
    static void flat32(X86Cpu cpu, int eip, int esp) {
        cpu.cr0 |= 1;
        for (int s = 0; s < 6; s++) {
            cpu.segSel[s] = s == X86State.CS ? 8 : 16;
            cpu.segBase[s] = 0;
            cpu.segLimit[s] = 0xffffffff;
            cpu.segAttr[s] = s == X86State.CS ? 0xc09b : 0xc093;
        }
        cpu.eip = eip;
        cpu.r[X86State.ESP] = esp;
    }
}
