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
import org.machina.api.fastpath.FastPathPort;
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
    /** A second served port with the same low four bits as {@link #PORT}. */
    private static final int PORT2 = 0x618;
    private static final int POST = 0x80;
    private static final int STRING_RUN = 40;

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
        /** The pages the CPU asked {@link #servesMemoryPage} about. */
        final List<Long> pagesAsked = new ArrayList<>();
        int served;
        /** Calls of {@link #readPortString} that served elements. */
        int strings;
        /** The ports the CPU bound ({@link #bindPort}), in order. */
        final List<Integer> bound = new ArrayList<>();

        Dispatch(Counter device) {
            this.device = device;
        }

        @Override
        public boolean readPort(int port, int size, FastPathRead result) {
            if ((port < PORT || port + size > PORT + 4) && (port < PORT2 || port + size > PORT2 + 4)) return false;
            served++;
            result.set(device.read(port, size));
            return true;
        }

        /** At most {@link #STRING_RUN} elements per call, so that a REP INS also goes on after a short run. */
        @Override
        public int readPortString(int port, int size, byte[] into, int count) {
            if (port < PORT || port + size > PORT + 4) return 0;
            int n = Math.min(count, STRING_RUN);
            for (int i = 0; i < n; i++) {
                long v = device.read(port, size);
                for (int b = 0; b < size; b++) {
                    into[i * size + b] = (byte) (v >>> 8 * b);
                }
            }
            served += n;
            strings++;
            return n;
        }

        @Override
        public FastPathPort bindPort(int port) {
            bound.add(port);
            return FastPathDispatch.super.bindPort(port);
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

        @Override
        public boolean servesMemoryPage(long page) {
            pagesAsked.add(page);
            return page == FakeMachine.DEVICES;
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
        return run(PROGRAM, accel, fast);
    }

    private static Outcome run(String program, Accel accel, boolean fast) throws Exception {
        assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        FakeMachine m = new FakeMachine(8 << 20);
        Counter device = new Counter();
        m.ports = device;
        m.devices = device;
        Dispatch d = new Dispatch(device);
        if (fast) m.fastPath = d;
        m.load(ORIGIN, Asm.flat("BITS 32\norg " + ORIGIN + "\n" + program + "\n"));
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

    /**
     * Runs {@code program} under the interpreter and the translator, with and without the fast
     * path: the same registers, memory (first 2 MiB), device history and instruction count
     * every time. Returns the four outcomes: interpreter, translator; each without, then with.
     */
    private static Outcome[] sameEverywhere(String program) throws Exception {
        Outcome reference = run(program, Accel.INTERPRETER, false);
        Outcome[] all = new Outcome[4];
        int k = 0;
        for (Accel accel : new Accel[] {Accel.INTERPRETER, new Accel(true, 1)}) {
            for (boolean fast : new boolean[] {false, true}) {
                Outcome o = run(program, accel, fast);
                String at = (accel.translate() ? "translator" : "interpreter") + (fast ? ", fast path: " : ": ");
                assertArrayEquals(reference.cpu().r, o.cpu().r, at + "registers");
                assertEquals(reference.cpu().getEflags(), o.cpu().getEflags(), at + "EFLAGS");
                assertEquals(reference.cpu().statistics().get("instructions"), o.cpu().statistics().get("instructions"),
                        at + "instructions retired");
                for (long a = 0; a < 2 << 20; a += 4) {
                    assertEquals(reference.machine().read32(a), o.machine().read32(a), at + "memory at 0x" + Long.toHexString(a));
                }
                assertEquals(reference.device().reads, o.device().reads, at + "device reads, whichever path");
                assertEquals(reference.device().writes, o.device().writes, at + "device writes, whichever path");
                all[k++] = o;
            }
        }
        return all;
    }

    @Test
    void aServedInOrOutGoesOnInItsTranslatedBlockAndOneOnTheNormalPathEndsIt() throws Exception {
        Outcome[] o = sameEverywhere("""
                mov edx, 0x608
                mov ecx, 200
                xor esi, esi
                l: in eax, dx
                add esi, eax
                mov al, cl
                out 0x80, al
                dec ecx
                jnz l
                hlt
                """);
        Outcome normal = o[2], fast = o[3];
        assertEquals(400, fast.dispatch().served, "every IN and OUT served");
        assertEquals(400L, fast.cpu().statistics().get("port-io-translated"), "all of them in translated code");
        // served: the loop is a JVM loop inside one block, left every BURST (64) instructions or so
        assertTrue(fast.cpu().statistics().get("blocks-run") < 60,
                "blocks run with the fast path: " + fast.cpu().statistics().get("blocks-run"));
        // normal path: the block ends after each IN and OUT, the run loop looks at what the device did
        assertTrue(normal.cpu().statistics().get("blocks-run") >= 600,
                "blocks run without: " + normal.cpu().statistics().get("blocks-run"));
        assertEquals(List.of(PORT, POST), fast.dispatch().bound, "each port bound once, then kept");
    }

    /**
     * The CPU keeps a bound port per slot (the port's low four bits): two ports of one slot used
     * in turn are told apart (each access reaches its own port, rebound when the other took the
     * slot).
     */
    @Test
    void portsSharingASlotOfTheBoundPortsAreToldApart() throws Exception {
        Outcome[] o = sameEverywhere("""
                xor esi, esi
                mov ecx, 20
                l: mov edx, 0x608
                in eax, dx
                add esi, eax
                mov edx, 0x618
                in ax, dx
                add esi, eax
                in eax, dx
                add esi, eax
                dec ecx
                jnz l
                hlt
                """);
        for (int k : new int[] {1, 3}) {
            Outcome fast = o[k];
            String at = k == 1 ? "interpreter: " : "translator: ";
            assertEquals(60, fast.dispatch().served, at + "every IN served");
            assertEquals(40, fast.dispatch().bound.size(), at + "bound at every change of port: " + fast.dispatch().bound);
            for (int i = 0; i < 40; i++) {
                assertEquals(i % 2 == 0 ? PORT : PORT2, fast.dispatch().bound.get(i), at + "bind " + i);
            }
        }
    }

    @Test
    void aRepInsIsServedInRunsWithinAPageAndEndsAsElementByElement() throws Exception {
        // 100 words from 12 bytes before a page end, then 50 dwords, then a byte string (never
        // offered as a string) and a REP INSD with DF set (element by element)
        Outcome[] o = sameEverywhere("""
                mov edx, 0x608
                cld
                mov edi, 0x180FF4
                mov ecx, 100
                rep insw
                mov edi, 0x181800
                mov ecx, 50
                rep insd
                mov ecx, 7
                rep insb
                std
                mov ecx, 5
                rep insd
                cld
                hlt
                """);
        for (int k : new int[] {1, 3}) {
            Outcome fast = o[k];
            String at = k == 1 ? "interpreter: " : "translator: ";
            assertEquals(100 + 50 + 7 + 5, fast.dispatch().served, at + "every element served");
            // words: 6 to the page end, then 94 in runs of 40; dwords in runs of 40; bytes and DF set never
            assertEquals(1 + 3 + 2, fast.dispatch().strings, at + "strings served");
        }
        assertEquals(0, o[0].dispatch().served, "the reference runs have no fast path");
    }

    @Test
    void aServedDevicePageStaysInTheTlbUntilInvlpgOrACr3LoadAsARamPageWould() throws Exception {
        // paging on, 0-4 MiB identity mapped (one 4 MiB page), linear 0x400000 -> the device
        // page; 100 loads of the served register there; then the page is remapped to RAM and
        // INVLPG makes the next load see RAM; mapped back, a CR3 load makes the next see the
        // device again; a store there takes the normal path
        Outcome[] o = sameEverywhere("""
                mov eax, cr4
                or eax, 0x10
                mov cr4, eax
                mov dword [0x300000], 0x83
                mov dword [0x300004], 0x302003
                mov dword [0x302000], 0xFED00003
                xor esi, esi
                mov ecx, 100
                mov eax, 0x300000
                mov cr3, eax
                mov eax, cr0
                or eax, 0x80000000
                mov cr0, eax
                l: mov eax, [0x4000F0]
                add esi, eax
                dec ecx
                jnz l
                mov dword [0x3050F0], 0x12345678
                mov dword [0x302000], 0x305003
                invlpg [0x400000]
                mov eax, [0x4000F0]
                mov [0x306000], eax
                mov dword [0x302000], 0xFED00003
                mov eax, cr3
                mov cr3, eax
                mov eax, [0x4000F4]
                mov [0x306004], eax
                mov [0x400010], esi
                mov eax, cr0
                and eax, 0x7fffffff
                mov cr0, eax
                hlt
                """);
        for (int k : new int[] {1, 3}) {
            Outcome normal = o[k - 1], fast = o[k];
            String at = k == 1 ? "interpreter: " : "translator: ";
            assertEquals(0x12345678, fast.machine().read32(0x306000), at + "after INVLPG the load reached RAM");
            assertEquals(101, fast.dispatch().served, at + "the 100 loads and the one after the CR3 load were served");
            assertEquals(List.of("16/4=" + Long.toHexString(fast.cpu().r[X86State.ESI] & 0xffffffffL)),
                    fast.device().writes, at + "the store reached the device on the normal path");
            assertTrue(fast.dispatch().pagesAsked.stream().allMatch(p -> p >= FakeMachine.DEVICES),
                    at + "only pages that are not RAM are asked about: " + fast.dispatch().pagesAsked);
            long fills = fast.cpu().statistics().get("tlb-fills"), without = normal.cpu().statistics().get("tlb-fills");
            assertTrue(without >= 100, at + "without handlers every device load walks the page tables: " + without);
            assertTrue(fills < without - 90, at + "with them the device page stays in the TLB: " + fills + " fills");
        }
    }
}
