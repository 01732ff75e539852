package org.machina.runtime.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The code-page marks and the log of written code pages a CPU's code cache invalidates from. */
class RamBlockImplTest {
    private final RamBlockImpl ram = new RamBlockImpl("ram", 1 << 20, Arena.ofAuto());

    @Test
    void writesToCodePagesAreLoggedByPage() {
        ram.markCodePage(0x3000);
        ram.markCodePage(0x5000);
        long since = ram.codeGeneration();
        ram.markDirty(0x1000, 8); // not code: no generation, no entry
        ram.markDirty(0x3ffe, 4); // code page 3 and data page 4
        ram.markDirty(0x5010, 1);
        long[] pages = new long[8];
        int n = ram.codePagesWrittenSince(since, pages);
        assertArrayEquals(new long[] {0x3000, 0x4000, 0x5000}, Arrays.copyOf(pages, n));
        assertEquals(0, ram.codePagesWrittenSince(ram.codeGeneration(), pages));
    }

    @Test
    void aLogTooOldOrTooLongIsUnknown() {
        long since = ram.codeGeneration();
        for (int i = 0; i < 100; i++) {
            ram.markCodePage(0x2000);
            ram.markDirty(0x2000, 1);
        }
        assertEquals(-1, ram.codePagesWrittenSince(since, new long[256]), "older than the log");
        ram.markCodePage(0x10000);
        long before = ram.codeGeneration();
        ram.markDirty(0, 0x20000); // one write over 32 pages
        assertEquals(-1, ram.codePagesWrittenSince(before, new long[4]), "more pages than fit");
        assertEquals(32, ram.codePagesWrittenSince(before, new long[64]));
    }
}
