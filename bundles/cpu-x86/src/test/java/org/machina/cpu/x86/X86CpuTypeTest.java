package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The published CPU type: name, models, defaults and the reset state it creates. */
class X86CpuTypeTest {
    @Test
    void createsCpusInTheirResetState() {
        X86CpuType type = new X86CpuType();
        assertEquals("x86", type.name());
        assertEquals(List.of("pentium3", "pentium2", "pentiumpro", "486"), type.models());
        FakeMachine m = new FakeMachine(1 << 20);
        X86Cpu cpu = (X86Cpu) type.create(m, "");
        assertEquals(0xf000, cpu.segSel[X86State.CS]);
        assertEquals(0xffff0000, cpu.segBase[X86State.CS]);
        assertEquals(0xfff0, cpu.eip);
        assertEquals(0x673, cpu.r[X86State.EDX], "reset EDX holds the Pentium III signature");
        assertEquals(0x60000010, cpu.cr0);
        assertEquals(0x480, ((X86Cpu) type.create(m, "486")).r[X86State.EDX] & 0xfff);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> type.create(m, "k6"));
        assertTrue(e.getMessage().contains("available: [pentium3, pentium2, pentiumpro, 486]"), e.getMessage());
    }
}
