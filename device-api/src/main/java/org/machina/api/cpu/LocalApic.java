package org.machina.api.cpu;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A local APIC implemented outside the CPU (a device of the board), as the CPU sees it: the
 * IA32_APIC_BASE MSR (0x1B; Intel SDM vol. 3, "Local APIC Status and Location"). Everything else
 * reaches the CPU as from any interrupt controller: its INTR pin, interrupt acknowledge and NMI
 * pin. The device registers it with {@link org.machina.api.device.DeviceContext#registerLocalApic};
 * the CPU finds it through {@link CpuContext#localApic()}. Called on the machine thread.
 *
 * @since 1.4.0
 */
@ConsumerType
public interface LocalApic {
    /** IA32_APIC_BASE bit 11: the APIC is globally enabled. */
    long ENABLE = 1L << 11;

    /** The value of IA32_APIC_BASE. */
    long apicBase();

    /**
     * Writes IA32_APIC_BASE (relocating or globally enabling/disabling the APIC). Returns false,
     * changing nothing, when {@code value} sets reserved bits: the CPU then raises #GP.
     */
    boolean writeApicBase(long value);
}
