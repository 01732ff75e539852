package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.machina.api.cpu.LocalApic;

/** {@code -cpu MODEL,+apic}: feature parsing, IA32_APIC_BASE through the machine's local APIC, CPUID.1:EDX.APIC. */
class ApicFeatureTest {
    final FakeMachine m = new FakeMachine(4 << 20);
    final List<Long> written = new ArrayList<>();
    long base = 0xFEE0_0900L;

    final LocalApic apic = new LocalApic() {
        @Override
        public long apicBase() {
            return base;
        }

        @Override
        public boolean writeApicBase(long value) {
            if ((value & 0xFF) != 0) {
                return false;
            }
            written.add(value);
            base = value;
            return true;
        }
    };

    @Test
    void featuresAreSpelledAsInQemu() {
        assertEquals(new CpuFeatures(CpuModel.PENTIUM3, false), CpuFeatures.parse("pentium3"));
        assertEquals(new CpuFeatures(CpuModel.PENTIUM3, true), CpuFeatures.parse("pentium3,+apic"));
        assertEquals(new CpuFeatures(CpuModel.PENTIUM2, true), CpuFeatures.parse("pentium2,apic=on"));
        assertEquals(new CpuFeatures(CpuModel.PENTIUM3, false), CpuFeatures.parse("pentium3,+apic,-apic"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuFeatures.parse("pentium3,+x2apic"));
        assertTrue(e.getMessage().contains("unknown x86 CPU feature 'x2apic'") && e.getMessage().contains("known: [apic]"),
                e.getMessage());
        assertEquals(new CpuFeatures(CpuModel.PENTIUM3, true), CpuFeatures.parse("pentium3,apic"), "a bare name is on");
        e = assertThrows(IllegalArgumentException.class, () -> CpuFeatures.parse("pentium3,apic=yes"));
        assertTrue(e.getMessage().contains("+NAME, -NAME, NAME, NAME=on or NAME=off"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CpuFeatures.parse("486,+apic"));
        assertTrue(e.getMessage().contains("has no local APIC"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new X86CpuType().create(m, "pentium3,+sse"));
        assertEquals(Set.of("apic"), new X86CpuType().create(m, "pentium3,+apic").features());
        assertEquals(Set.of(), new X86CpuType().create(m, "pentium3").features());
    }

    private X86Cpu flat(String model, String code) throws Exception {
        return m.flatCpu(model, code);
    }

    private static final String PROGRAM = "mov eax, 1\ncpuid\nmov esi, edx\nmov ecx, 0x1b\nrdmsr\nmov edi, eax\n"
            + "and eax, 0xfffff7ff\nwrmsr\nmov eax, 1\ncpuid\nmov ebp, edx\nmov ecx, 0x1b\nmov eax, 0x12\nwrmsr\nhlt\n"
            + "times 0x80-($-$$) db 0x90\nhandler: mov ebx, 0x6b6b\nhlt";

    private void gpHandler(X86Cpu cpu) {
        cpu.idtBase = 0x2000;
        cpu.idtLimit = 0x7ff;
        m.write32(0x2000 + 13 * 8, (8 << 16) | 0x0080);
        m.write32(0x2004 + 13 * 8, 0x0010_8e00);
    }

    @Test
    void apicBaseMsrAndCpuidFollowTheMachinesLocalApic() throws Exception {
        m.localApic = apic;
        X86Cpu cpu = flat("pentium3,+apic", PROGRAM);
        gpHandler(cpu);
        cpu.run(Long.MAX_VALUE);
        assertEquals(1 << 9, cpu.r[X86State.ESI] & (1 << 9), "CPUID.1:EDX.APIC while enabled");
        assertEquals(0xFEE0_0900, cpu.r[X86State.EDI], "RDMSR IA32_APIC_BASE");
        assertEquals(List.of(0xFEE0_0100L), written, "WRMSR reached the APIC");
        assertEquals(0, cpu.r[X86State.EBP] & (1 << 9), "no APIC bit once globally disabled");
        assertEquals(0x6b6b, cpu.r[X86State.EBX], "a write with reserved bits raises #GP");
    }

    @Test
    void withoutTheFeatureOrWithoutAnApicDeviceThereIsNoApic() throws Exception {
        for (String model : List.of("pentium3", "pentium3,+apic")) {
            m.localApic = model.equals("pentium3") ? apic : null;
            X86Cpu cpu = flat(model, PROGRAM);
            gpHandler(cpu);
            cpu.run(Long.MAX_VALUE);
            assertEquals(0, cpu.r[X86State.ESI] & (1 << 9), model + ": CPUID.1:EDX.APIC clear");
            assertEquals(0x6b6b, cpu.r[X86State.EBX], model + ": RDMSR 0x1B raises #GP");
            assertTrue(written.isEmpty());
        }
    }
}
