package org.machina.runtime.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.fastpath.FastPathDispatch;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;

/**
 * A machine's fast path end to end in the runtime: what a device attaches through its context is
 * what the CPU's context dispatches to, ports and memory apart, until the device is released.
 */
class MachineFastPathTest {
    private static final Mmio ZERO = new Mmio() {
        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
        }
    };

    MachineImpl m;
    FastPathDispatch cpu;
    final FastPathRead out = new FastPathRead();

    @BeforeEach
    void machine() {
        m = new MachineImpl("fastpath", "{}", "none", 1 << 20, false);
        m.startThread();
        cpu = new CpuContextImpl(m, "").fastPath();
    }

    @AfterEach
    void down() {
        m.shutdown("test over", 0);
    }

    @Test
    void theCpuReachesWhatADeviceAttachedUntilTheDeviceIsReleased() {
        DeviceContextImpl pm = new DeviceContextImpl(m, "pm", "acpi-pm");
        Mapping ports = pm.io().map(0x600, new MemoryRegion.Io("pm", 12, ZERO, AccessSpec.ANY));
        int[] served = new int[1];
        pm.fastPath().attach(ports, 8, 4, (offset, size, result) -> {
            served[0]++;
            result.set(0xABCDEF00L + offset);
            return true;
        });
        DeviceContextImpl hpet = new DeviceContextImpl(m, "hpet", "hpet");
        Mapping regs = hpet.memory().map(0xFED00000L, new MemoryRegion.Io("hpet", 0x400, ZERO, AccessSpec.ANY));
        hpet.fastPath().attach(regs, 0xF0, 8, (offset, size, result) -> {
            served[0]++;
            result.set(offset);
            return true;
        });

        assertTrue(cpu.readPort(0x608, 4, out));
        assertEquals(0xABCDEF08L, out.value());
        assertTrue(cpu.readPort(0x1_0608, 2, out), "the port number wraps at 64 Ki as IN's does");
        assertEquals(0xEF08L, out.value());
        assertFalse(cpu.readMemory(0x608, 4, out), "memory address 0x608 is not port 0x608");
        assertTrue(cpu.readMemory(0xFED000F0L, 8, out));
        assertEquals(0xF0, out.value());
        assertFalse(cpu.readPort(0xF0, 1, out));
        assertEquals(3, served[0]);

        pm.release(DeviceContextImpl.Release.REMOVED);
        assertFalse(cpu.readPort(0x608, 4, out), "released: the normal path (which has no PM block now either)");
        assertTrue(cpu.readMemory(0xFED000F0L, 8, out), "the other device keeps its handler");
        hpet.release(DeviceContextImpl.Release.REMOVED);
        assertFalse(cpu.readMemory(0xFED000F0L, 8, out));
        assertEquals(4, served[0]);
    }

    @Test
    void switchedOffTheMachineServesNothingUntilSwitchedOnAgain() {
        DeviceContextImpl pm = new DeviceContextImpl(m, "pm", "acpi-pm");
        Mapping ports = pm.io().map(0x600, new MemoryRegion.Io("pm", 12, ZERO, AccessSpec.ANY));
        int[] served = new int[1];
        pm.fastPath().attach(ports, 8, 4, (offset, size, result) -> {
            served[0]++;
            result.set(7);
            return true;
        });
        org.machina.api.fastpath.FastPathRead r = new org.machina.api.fastpath.FastPathRead();
        org.machina.api.fastpath.FastPathPort bound = m.fastPath().bindPort(0x1_0608);
        assertEquals(0x608, bound.port(), "the port number wraps at 64 Ki as IN's does");
        assertTrue(m.fastPathEnabled());
        assertTrue(m.fastPath().readPort(0x608, 4, r));
        assertTrue(bound.read(4, r), "the bound port as the lookup");
        assertTrue(m.fastPath(false), "it was on");
        assertTrue(!m.fastPath().readPort(0x608, 4, r) && !m.fastPath().writePort(0x608, 4, 1)
                && !m.fastPath().readMemory(0xFED000F0L, 4, r), "off: every access takes the normal path");
        assertTrue(!bound.read(4, r) && !bound.write(4, 1), "off: the bound port too");
        assertEquals(2, served[0], "the handler is not called while off");
        assertTrue(!m.fastPath(true));
        assertTrue(m.fastPath().readPort(0x608, 4, r));
        assertTrue(bound.read(4, r));
        assertEquals(4, served[0]);
    }

    @Test
    void aMappingThatIsNotTheMachinesIsRefused() {
        MachineImpl other = new MachineImpl("other", "{}", "none", 1 << 20, false);
        Mapping foreign = other.io().map(0x600, new MemoryRegion.Io("pm", 12, ZERO, AccessSpec.ANY));
        DeviceContextImpl ctx = new DeviceContextImpl(m, "pm", "acpi-pm");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ctx.fastPath().attach(foreign, 8, 4, (offset, size, result) -> false));
        assertTrue(e.getMessage().contains("not a mapping of this machine"), e.getMessage());
    }
}
