package org.machina.cpu.x86;

/** CPUID leaves 0 and 1 (and 2 reporting no cache descriptors) for the configured model. */
final class Cpuid {
    private Cpuid() {
    }

    /** CPUID.1:EDX bit 9: an on-chip APIC, present and globally enabled (IA32_APIC_BASE bit 11). */
    static final int APIC = 1 << 9;

    static boolean apicEnabled(Extended c) {
        org.machina.api.cpu.LocalApic apic = c.localApic();
        return apic != null && (apic.apicBase() & org.machina.api.cpu.LocalApic.ENABLE) != 0;
    }

    static void execute(Extended c) {
        int leaf = c.r[X86State.EAX];
        CpuModel m = c.model;
        switch (leaf) {
            case 0:
                c.r[X86State.EAX] = m.family >= 6 ? 2 : 1;
                c.r[X86State.EBX] = 0x756e6547; // "Genu"
                c.r[X86State.EDX] = 0x49656e69; // "ineI"
                c.r[X86State.ECX] = 0x6c65746e; // "ntel"
                return;
            case 1:
                c.r[X86State.EAX] = (m.family << 8) | (m.model << 4) | m.stepping;
                c.r[X86State.EBX] = 0;
                c.r[X86State.ECX] = 0;
                c.r[X86State.EDX] = m.featureEdx() | (apicEnabled(c) ? APIC : 0);
                return;
            case 2:
                c.r[X86State.EAX] = 1;
                c.r[X86State.EBX] = 0;
                c.r[X86State.ECX] = 0;
                c.r[X86State.EDX] = 0;
                return;
            default:
                c.r[X86State.EAX] = 0;
                c.r[X86State.EBX] = 0;
                c.r[X86State.ECX] = 0;
                c.r[X86State.EDX] = 0;
        }
    }
}
