package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The jump cache of {@link Mmu#block} (blocks by linear address) across TLB flushes: blocks on
 * global pages survive a CR3 load as their TLB entries do, INVLPG drops the blocks of its page
 * alone, and a block never runs for a linear page that the TLB no longer maps to its bytes.
 * Every program runs under the translator and the interpreter with the same result
 * ({@link TranslatorTest#sameAsInterpreter}); the jump cache's hits show what was kept.
 */
class JumpCacheTest {
    /**
     * Assembly that turns paging on: page tables at 0x300000 map 0-4 MiB one to one with PTE
     * flags {@code pteFlags}, then {@code setup} runs (more PTEs, CR4), then CR3 and CR0.PG are set.
     */
    static String pagingOn(int pteFlags, String setup) {
        return """
                mov edi, 0x301000
                mov eax, %d
                mov ecx, 1024
                pt: mov [edi], eax
                add eax, 0x1000
                add edi, 4
                dec ecx
                jnz pt
                mov dword [0x300000], 0x301003
                """.formatted(pteFlags) + setup + """
                mov eax, 0x300000
                mov cr3, eax
                mov eax, cr0
                or eax, 0x80000000
                mov cr0, eax
                """;
    }

    /** Assembly that turns paging off and halts, then f1 (EAX = 1) and f2 (EAX = 2) on pages of their own. */
    static final String PAGING_OFF_F1_F2 = """
            mov eax, cr0
            and eax, 0x7fffffff
            mov cr0, eax
            hlt
            align 4096
            f1: mov eax, 1
            ret
            align 4096
            f2: mov eax, 2
            ret""";

    /**
     * Paging on with CR4.PGE, 0-4 MiB identity mapped with PTE flags {@code G} (0x103 for
     * global pages, 3 for not) except linear 0x160000 (f1, global as the rest) and 0x170000 (f1,
     * never global). Loop l1 calls 0x160000 with a CR3 load after each call; l2 calls it after
     * it was remapped to f2 by INVLPG; l3 after it was mapped to f1 again and CR4.PGE toggled (a
     * full flush); l4 and l5 call 0x170000 before and after its remap to f2 by a CR3 load alone.
     * EBP sums what the calls returned: 100 * 1 + 50 * 2 + 50 * 1 + 50 * 1 + 50 * 2 = 400.
     */
    private static String remaps(int g) {
        return (pagingOn(3 + g, """
                mov dword [0x301000 + 0x160 * 4], 0x100000 + f1 - $$ + 3 + G
                mov dword [0x301000 + 0x170 * 4], 0x100000 + f1 - $$ + 3
                mov eax, cr4
                or eax, 0x80
                mov cr4, eax
                """) + """
                xor esi, esi
                xor ebp, ebp
                mov ebx, 0x160000
                mov ecx, 100
                l1: call ebx
                add ebp, eax
                add esi, eax
                mov edx, cr3
                mov cr3, edx
                dec ecx
                jnz l1
                mov dword [0x301000 + 0x160 * 4], 0x100000 + f2 - $$ + 3 + G
                invlpg [0x160000]
                mov ecx, 50
                l2: call ebx
                add ebp, eax
                shl esi, 1
                add esi, eax
                mov edx, cr3
                mov cr3, edx
                dec ecx
                jnz l2
                mov dword [0x301000 + 0x160 * 4], 0x100000 + f1 - $$ + 3 + G
                mov eax, cr4
                and eax, ~0x80
                mov cr4, eax
                or eax, 0x80
                mov cr4, eax
                mov ecx, 50
                l3: call ebx
                add ebp, eax
                rol esi, 3
                add esi, eax
                dec ecx
                jnz l3
                mov ebx, 0x170000
                mov ecx, 50
                l4: call ebx
                add ebp, eax
                dec ecx
                jnz l4
                mov dword [0x301000 + 0x170 * 4], 0x100000 + f2 - $$ + 3
                mov edx, cr3
                mov cr3, edx
                mov ecx, 50
                l5: call ebx
                add ebp, eax
                rol esi, 5
                add esi, eax
                dec ecx
                jnz l5
                """).replace("G", Integer.toString(g)) + PAGING_OFF_F1_F2;
    }

    private static long jumpHits(String code, int returned) throws Exception {
        X86Cpu cpu = TranslatorTest.run(code, new Accel(true, 1), new FakeMachine(8 << 20));
        assertEquals(returned, cpu.r[X86State.EBP], "what the calls returned");
        return cpu.statistics().get("blocks-from-jump-cache");
    }

    @Test
    void blocksOnGlobalPagesSurviveACr3LoadAndRemappedPagesRunTheirNewCode() throws Exception {
        TranslatorTest.sameAsInterpreter(remaps(0x100));
        TranslatorTest.sameAsInterpreter(remaps(0));
        long global = jumpHits(remaps(0x100), 400), local = jumpHits(remaps(0), 400);
        // l1 and l2: the called block and the loop's own blocks are found again after each CR3 load
        assertTrue(global >= local + 150, "jump-cache hits with global pages " + global + ", without " + local);
    }

    /**
     * Loop l calls f1 at 0x160000 and f2 at 0x161000, then flushes with {@code flush}; EBP sums
     * what the calls returned (100 * 3).
     */
    private static String twoPages(String flush) {
        return pagingOn(3, """
                mov dword [0x301000 + 0x160 * 4], 0x100000 + f1 - $$ + 3
                mov dword [0x301000 + 0x161 * 4], 0x100000 + f2 - $$ + 3
                """) + """
                xor ebp, ebp
                mov ecx, 100
                l: mov ebx, 0x160000
                call ebx
                add ebp, eax
                mov ebx, 0x161000
                call ebx
                add ebp, eax
                FLUSH
                dec ecx
                jnz l
                """.replace("FLUSH", flush) + PAGING_OFF_F1_F2;
    }

    @Test
    void invlpgDropsTheBlocksOfItsPageAlone() throws Exception {
        String invlpg = twoPages("invlpg [0x160000]"), cr3 = twoPages("mov edx, cr3\nmov cr3, edx");
        TranslatorTest.sameAsInterpreter(invlpg);
        TranslatorTest.sameAsInterpreter(cr3);
        long one = jumpHits(invlpg, 300), all = jumpHits(cr3, 300);
        // after INVLPG of f1's page, f2's block and the loop's are still found: two blocks an iteration at least
        assertTrue(one >= all + 150, "jump-cache hits after INVLPG " + one + ", after CR3 loads " + all);
    }
}
