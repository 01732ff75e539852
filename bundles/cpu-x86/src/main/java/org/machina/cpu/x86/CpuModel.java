package org.machina.cpu.x86;

import java.util.List;

/** The CPU models this bundle emulates and what each one reports through CPUID. */
enum CpuModel {
    PENTIUM3("pentium3", 6, 7, 3), PENTIUM2("pentium2", 6, 5, 2), PENTIUMPRO("pentiumpro", 6, 1, 9),
    I486("486", 4, 8, 0);

    static final List<String> NAMES = List.of("pentium3", "pentium2", "pentiumpro", "486");

    final String modelName;
    final int family, model, stepping;

    CpuModel(String name, int family, int model, int stepping) {
        this.modelName = name;
        this.family = family;
        this.model = model;
        this.stepping = stepping;
    }

    static CpuModel byName(String name) {
        for (CpuModel m : values()) {
            if (m.modelName.equals(name)) return m;
        }
        throw new IllegalArgumentException("unknown x86 CPU model '" + name + "'; available: " + NAMES);
    }

    boolean hasCpuid() {
        return true;
    }

    boolean hasTsc() {
        return family >= 5;
    }

    boolean hasSep() {
        return family == 6 && (model >= 3 || this == PENTIUM3);
    }

    boolean hasCmov() {
        return family >= 6;
    }

    /** CPUID.1:EDX: FPU, PSE, TSC, MSR, CX8, SEP, PGE, CMOV as implemented. */
    int featureEdx() {
        if (family < 5) return 1; // FPU
        int f = 1 | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 13) | (1 << 15);
        if (hasSep()) f |= 1 << 11;
        return f;
    }
}
