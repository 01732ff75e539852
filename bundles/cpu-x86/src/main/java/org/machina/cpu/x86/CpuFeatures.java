package org.machina.cpu.x86;

import java.util.List;
import java.util.Locale;

/**
 * A {@code -cpu} model string in QEMU's spelling, {@code MODEL[,FEATURE...]} with each feature
 * {@code +NAME}, {@code -NAME}, {@code NAME} (on), {@code NAME=on} or {@code NAME=off}. The only optional feature is
 * {@code apic}: a local APIC (a device of the board, see {@link org.machina.api.cpu.LocalApic}),
 * off unless asked for.
 *
 * @param model the model
 * @param apic whether {@code apic} is on
 */
record CpuFeatures(CpuModel model, boolean apic) {
    static final List<String> KNOWN = List.of("apic");

    static CpuFeatures parse(String spec) {
        String[] parts = spec.split(",", -1);
        CpuModel model = CpuModel.byName(parts[0]);
        boolean apic = false;
        for (int i = 1; i < parts.length; i++) {
            String f = parts[i].trim();
            boolean on;
            String name;
            if (f.startsWith("+") || f.startsWith("-")) {
                on = f.charAt(0) == '+';
                name = f.substring(1);
            } else if (f.endsWith("=on") || f.endsWith("=off")) {
                on = f.endsWith("=on");
                name = f.substring(0, f.lastIndexOf('='));
            } else if (!f.isEmpty() && !f.contains("=")) {
                on = true; // QEMU: a bare NAME is NAME=on
                name = f;
            } else {
                throw new IllegalArgumentException("CPU feature '" + f + "' in '" + spec + "' is not spelled +NAME, -NAME,"
                        + " NAME, NAME=on or NAME=off");
            }
            switch (name.toLowerCase(Locale.ROOT)) {
                case "apic" -> apic = on;
                default -> throw new IllegalArgumentException("unknown x86 CPU feature '" + name + "' in '" + spec
                        + "'; known: " + KNOWN);
            }
        }
        if (apic && model.family < 6) {
            throw new IllegalArgumentException("CPU model '" + model.modelName + "' has no local APIC (+apic needs a P6"
                    + " model: pentiumpro, pentium2, pentium3)");
        }
        return new CpuFeatures(model, apic);
    }
}
