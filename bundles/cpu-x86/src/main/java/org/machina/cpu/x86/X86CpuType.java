package org.machina.cpu.x86;

import java.util.List;

import org.machina.api.cpu.Cpu;
import org.machina.api.cpu.CpuContext;
import org.machina.api.cpu.CpuType;
import org.osgi.service.component.annotations.Component;

/** Publishes the IA-32 interpreter as CPU type {@code x86} (models pentium3, pentium2, pentiumpro, 486). */
@Component(service = CpuType.class, property = "machina.name=" + X86CpuType.NAME)
public final class X86CpuType implements CpuType {
    static final String NAME = "x86";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> models() {
        return CpuModel.NAMES;
    }

    @Override
    public Cpu create(CpuContext context, String model) {
        String accel = context.accelerator();
        return new X86Cpu(context, model == null || model.isEmpty() ? CpuModel.NAMES.get(0) : model,
                accel == null || accel.isBlank() ? Accel.fromSystemProperties() : Accel.parse(accel));
    }
}
