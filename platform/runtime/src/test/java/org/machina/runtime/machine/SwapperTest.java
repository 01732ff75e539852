package org.machina.runtime.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.cpu.Cpu;
import org.machina.api.cpu.CpuContext;
import org.machina.api.cpu.CpuDebug;
import org.machina.api.cpu.CpuType;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.machina.api.irq.IrqLine;
import org.machina.api.machine.MachineState;
import org.machina.api.state.Stateful;

/**
 * One machine's part in a hot-swap: the CPU is carried to a CPU of the new type with its state
 * and its A20 input; a save that fails leaves the machine running with the very CPU and devices
 * it had.
 */
class SwapperTest {
    MachineImpl m;

    @BeforeEach
    void machine() {
        m = new MachineImpl("swap", "{}", "none", 1 << 20, false);
        m.startThread();
    }

    @AfterEach
    void down() {
        m.shutdown("test over", 0);
    }

    @Test
    void theCpuIsCarriedToTheNewTypeWithItsStateAndA20() {
        FakeCpu old = new FakeCpu("m1");
        old.steps = 41;
        m.call(() -> {
            m.setCpu(old, "fake", "m1", "tcg");
            return null;
        });
        old.a20().set(false);
        m.start();
        Swapper s = Swapper.pauseAndDetach(m, t -> false, Set.of("fake")::contains);
        assertEquals(1, s.count());
        assertEquals(MachineState.PAUSED, m.state());
        assertTrue(m.cpu().isEmpty(), "the CPU is out during the swap");
        s.attach(name -> new TypeRegistry.Provided<>(name, new FakeCpuType(), null), name -> {
            throw new AssertionError("no device is swapped");
        });
        m.call(() -> {
            m.resumeAfterSwap();
            return null;
        });
        Cpu now = m.cpu().orElseThrow();
        assertNotSame(old, now);
        FakeCpu fresh = (FakeCpu) now;
        assertEquals("m1", fresh.model, "same model");
        assertEquals("tcg", fresh.accel, "same accelerator");
        assertEquals(41, fresh.steps, "state carried");
        assertFalse(fresh.a20().level(), "A20 input re-driven");
        assertEquals(MachineState.RUNNING, m.state());
    }

    @Test
    void aFailingSaveLeavesTheMachineRunningWithItsCpuAndDevices() {
        FakeCpu cpu = new FakeCpu("m1");
        m.call(() -> {
            m.setCpu(cpu, "fake", "m1", "");
            m.createDevice(new TypeRegistry.Provided<>("failing", new FailingType(), null), new DeviceConfig("d", Map.of()));
            return null;
        });
        m.start();
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> Swapper.pauseAndDetach(m, "failing"::equals, "fake"::equals));
        assertTrue(e.getMessage().contains("cannot save"), e.getMessage());
        assertSame(cpu, m.cpu().orElseThrow(), "the very CPU is back");
        assertEquals(List.of("d"), m.devices().stream().map(d -> d.id()).toList());
        assertEquals(MachineState.RUNNING, m.state());
        assertEquals(Set.of(), m.pauseReasons());
    }

    @Test
    void aFailureOnTheSecondMachinePutsTheFirstBackAndLeavesBothRunning() {
        MachineImpl second = new MachineImpl("swap2", "{}", "none", 1 << 20, false);
        second.startThread();
        try {
            TypeRegistry.Provided<DeviceType> counting = new TypeRegistry.Provided<>("counting", new CountingType(), null);
            m.call(() -> {
                m.setCpu(new FakeCpu("m1"), "fake", "m1", "");
                m.createDevice(counting, new DeviceConfig("c", Map.of()));
                return null;
            });
            second.call(() -> {
                second.createDevice(counting, new DeviceConfig("c", Map.of()));
                second.createDevice(new TypeRegistry.Provided<>("failing", new FailingType(), null), new DeviceConfig("d", Map.of()));
                return null;
            });
            m.start();
            second.start();
            int before = CountingType.created;
            RuntimeException e = assertThrows(RuntimeException.class, () -> Swapper.pauseAll(List.of(m, second),
                    Set.of("counting", "failing")::contains, "fake"::equals,
                    name -> new TypeRegistry.Provided<>(name, new FakeCpuType(), null), name -> counting, "b", "1"));
            assertTrue(e.getMessage().contains("cannot save"), e.getMessage());
            assertEquals(before + 1, CountingType.created, "the first machine's device was re-created from the old type");
            assertTrue(m.cpu().isPresent(), "the first machine has a CPU again");
            assertEquals(MachineState.RUNNING, m.state());
            assertEquals(MachineState.RUNNING, second.state());
            assertEquals(Set.of(), m.pauseReasons());
            assertEquals(Set.of(), second.pauseReasons());
            assertEquals(List.of("c", "d"), second.devices().stream().map(d -> d.id()).toList());
        } finally {
            second.shutdown("test over", 0);
        }
    }

    /** A stateful device type that counts the devices it created. */
    static final class CountingType implements DeviceType {
        static int created;

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public String description() {
            return "counts creations";
        }

        @Override
        public List<PropertySpec> properties() {
            return List.of();
        }

        @Override
        public Device create(DeviceContext context, DeviceConfig config) {
            created++;
            return new Device() {
                @Override
                public void realize() {
                }

                @Override
                public void reset() {
                }
            };
        }
    }

    record FakeCpuState(long steps) {
    }

    static final class FakeCpuType implements CpuType {
        @Override
        public String name() {
            return "fake";
        }

        @Override
        public List<String> models() {
            return List.of("m1");
        }

        @Override
        public Cpu create(CpuContext context, String model) {
            FakeCpu c = new FakeCpu(model);
            c.accel = context.accelerator();
            return c;
        }
    }

    /** A CPU that halts at once; its state is a step count. */
    static final class FakeCpu implements Cpu, Stateful<FakeCpuState> {
        final String model;
        String accel = "";
        long steps;
        private final IrqLine a20 = new IrqLine() {
            private boolean level = true;

            @Override
            public void set(boolean l) {
                level = l;
            }

            @Override
            public boolean level() {
                return level;
            }
        };

        FakeCpu(String model) {
            this.model = model;
        }

        @Override
        public ExitReason run(long deadlineNanos) {
            return ExitReason.HALTED;
        }

        @Override
        public void requestExit() {
        }

        @Override
        public void reset() {
        }

        @Override
        public IrqLine intr() {
            return IrqLine.NONE;
        }

        @Override
        public IrqLine nmi() {
            return IrqLine.NONE;
        }

        @Override
        public IrqLine a20() {
            return a20;
        }

        @Override
        public boolean isStuck() {
            return false;
        }

        @Override
        public long instructionsRetired() {
            return steps;
        }

        @Override
        public CpuDebug debug() {
            return null;
        }

        @Override
        public Class<FakeCpuState> stateType() {
            return FakeCpuState.class;
        }

        @Override
        public int stateVersion() {
            return 1;
        }

        @Override
        public FakeCpuState saveState() {
            return new FakeCpuState(steps);
        }

        @Override
        public void loadState(FakeCpuState s) {
            steps = s.steps();
        }
    }

    record Nothing(int x) {
    }

    /** A device whose state cannot be saved. */
    static final class FailingType implements DeviceType {
        @Override
        public String name() {
            return "failing";
        }

        @Override
        public String description() {
            return "saveState throws";
        }

        @Override
        public List<PropertySpec> properties() {
            return List.of();
        }

        @Override
        public Device create(DeviceContext context, DeviceConfig config) {
            return new FailingDevice();
        }
    }

    static final class FailingDevice implements Device, Stateful<Nothing> {
        @Override
        public void realize() {
        }

        @Override
        public void reset() {
        }

        @Override
        public Class<Nothing> stateType() {
            return Nothing.class;
        }

        @Override
        public int stateVersion() {
            return 1;
        }

        @Override
        public Nothing saveState() {
            throw new IllegalStateException("cannot save: a test device");
        }

        @Override
        public void loadState(Nothing state) {
        }
    }
}
