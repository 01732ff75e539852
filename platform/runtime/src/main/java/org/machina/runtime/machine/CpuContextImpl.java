package org.machina.runtime.machine;

import org.machina.api.cpu.CpuContext;
import org.machina.api.device.MachineControl;
import org.machina.api.fastpath.FastPathDispatch;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.memory.AddressSpace;
import org.machina.api.time.VirtualClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the runtime gives the CPU. */
final class CpuContextImpl implements CpuContext {
    private final MachineImpl machine;
    private final Logger log;
    private final String accel;

    CpuContextImpl(MachineImpl machine, String accel) {
        this.machine = machine;
        this.accel = accel;
        this.log = LoggerFactory.getLogger("machina.cpu." + machine.name());
    }

    @Override
    public String accelerator() {
        return accel;
    }

    @Override
    public AddressSpace memory() {
        return machine.memory();
    }

    @Override
    public IoSpace io() {
        return machine.io();
    }

    @Override
    public InterruptAcknowledge interruptAcknowledge() {
        return machine.interruptAcknowledge();
    }

    @Override
    public VirtualClock clock() {
        return machine.loop().clock();
    }

    @Override
    public MachineControl machine() {
        return machine.control();
    }

    @Override
    public FastPathDispatch fastPath() {
        return machine.fastPath();
    }

    @Override
    public java.util.Optional<org.machina.api.cpu.LocalApic> localApic() {
        return java.util.Optional.ofNullable(machine.localApic());
    }

    @Override
    public Logger log() {
        return log;
    }
}
