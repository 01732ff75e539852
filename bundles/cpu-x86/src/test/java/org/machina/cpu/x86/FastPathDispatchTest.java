package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.cpu.Cpu;
import org.machina.api.fastpath.FastPathDispatch;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.memory.Mmio;

/**
 * The CPU's side of the fast path: IN, INS, OUT and loads from device registers reach the
 * machine's {@link FastPathDispatch} before the normal path, under the interpreter and the
 * translator; a served access gives what the normal path gives; RAM accesses never consult it.
 */
class FastPathDispatchTest {
    private static final int ORIGIN = 0x100000;
    private static final int PORT = 0x608;
    private static final int POST = 0x80;

    /**
     * A device whose reads change its state (each read returns the next value of a counter), so
     * that any read served twice, skipped or taken out of order shows in the results.
     */
    static final class Counter implements Mmio {
        long reads;
        final List<String> writes = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            long v = ++reads * 0x01010101L + offset;
            return size == 8 ? v : v & ((1L << (8 * size)) - 1);
        }

        @Override
        public void write(long offset, int size, long value) {
            writes.add(offset + "/" + size + "=" + Long.toHexString(value));
        }
    }

    /**
     * Serves port {@link #PORT} (4 bytes) and the 8 bytes at {@code DEVICES + 0xF0} from the
     * same device as the normal path, and writes to port {@link #POST}; records every memory
     * address it is asked about.
     */
    static final class Dispatch implements FastPathDispatch {
        final Counter device;
        final List<Long> memoryAsked = new ArrayList<>();
        int served;

        Dispatch(Counter device) {
            this.device = device;
        }

        @Override
        public boolean readPort(int port, int size, FastPathRead result) {
            if (port < PORT || port + size > PORT + 4) return false;
            served++;
            result.set(device.read(port, size));
            return true;
        }

        @Override
        public boolean writePort(int port, int size, long value) {
            if (port != POST) return false;
            served++;
            device.write(port, size, value);
            return true;
        }

        @Override
        public boolean readMemory(long address, int size, FastPathRead result) {
            memoryAsked.add(address);
            long off = address - FakeMachine.DEVICES;
            if (off < 0xF0 || off + size > 0xF8) return false;
            served++;
            result.set(device.read(off, size));
            return true;
        }

        @Override
        public boolean writeMemory(long address, int size, long value) {
            memoryAsked.add(address);
            return false; // stores take the normal path
        }
    }

    private static final String PROGRAM = """
            mov edx, 0x608
            mov ecx, 6
            xor esi, esi
            l: in eax, dx
            add esi, eax
            in ax, dx
            add esi, eax
            mov ebx, [0xFED000F0]
            add esi, ebx
            mov edi, [0xFED000F4]
            add esi, edi
            mov ebp, [buf]
            add ebp, ecx
            mov [buf], ebp
            mov [0xFED00010], ecx
            mov al, cl
            out 0x80, al
            dec ecx
            jnz l
            mov edi, ins
            mov ecx, 3
            cld
            rep insd
            hlt
            align 4
            buf: dd 0
            ins: times 3 dd 0
            """;

    private record Outcome(X86Cpu cpu, FakeMachine machine, Counter device, Dispatch dispatch) {
    }

    private static Outcome run(Accel accel, boolean fast) throws Exception {
        assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        FakeMachine m = new FakeMachine(8 << 20);
        Counter device = new Counter();
        m.ports = device;
        m.devices = device;
        Dispatch d = new Dispatch(device);
        if (fast) m.fastPath = d;
        m.load(ORIGIN, Asm.flat("BITS 32\norg " + ORIGIN + "\n" + PROGRAM + "\n"));
        X86Cpu cpu = new X86Cpu(m, "pentium3", accel);
        FakeMachine.flat32(cpu, ORIGIN, 0x80000);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        return new Outcome(cpu, m, device, d);
    }

    @Test
    void theFastPathServesPortAndRegisterReadsWithTheNormalPathsResults() throws Exception {
        Outcome normal = run(Accel.INTERPRETER, false);
        assertEquals(0, normal.cpu().statistics().get("fastpath-served"));
        for (Accel accel : new Accel[] {Accel.INTERPRETER, new Accel(true, 1)}) {
            Outcome fast = run(accel, true);
            String at = (accel.translate() ? "translator" : "interpreter") + ": ";
            assertArrayEquals(normal.cpu().r, fast.cpu().r, at + "registers");
            assertEquals(normal.cpu().getEflags(), fast.cpu().getEflags(), at + "EFLAGS");
            for (long a = ORIGIN; a < ORIGIN + 0x200; a += 4) {
                assertEquals(normal.machine().read32(a), fast.machine().read32(a), at + "memory at 0x" + Long.toHexString(a));
            }
            assertEquals(normal.device().reads, fast.device().reads, at + "device reads, whichever path");
            assertEquals(normal.device().writes, fast.device().writes, at + "device writes, whichever path");
            // 6 rounds of IN EAX, IN AX, two loads and OUT, then 3 INSD: all served
            assertEquals(6 * 5 + 3, fast.dispatch().served, at + "accesses served by the fast path");
            assertEquals(6 * 5 + 3L, fast.cpu().statistics().get("fastpath-served"), at + "the CPU's count");
            assertTrue(fast.dispatch().memoryAsked.stream().allMatch(a -> a >= FakeMachine.DEVICES),
                    at + "only device addresses are offered, never RAM: " + fast.dispatch().memoryAsked);
            assertEquals(6 * 3, fast.dispatch().memoryAsked.size(), at + "two loads and one store per round");
            if (accel.translate()) {
                assertTrue(fast.cpu().statistics().get("blocks-run") > 0, "the loads ran in translated blocks");
                assertEquals(6 * 3L, fast.cpu().statistics().get("port-io-translated"),
                        "IN EAX, IN AX and OUT of every round ran in translated blocks (INSD is interpreted)");
            }
        }
        assertEquals(6 * 4 + 3, normal.device().reads, "the normal run's device read: IN EAX, IN AX, two loads, INSD");
        assertEquals(6 * 2, normal.device().writes.size(), "and was written: a store and an OUT per round");
    }
}
