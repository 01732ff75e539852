package org.machina.runtime.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciHeader;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.RamBlock;

/**
 * What a device gets from its context is owned: PCI functions are unplugged on release and a
 * device re-created by a swap gets its slot back; RAM is freed on removal and carried, contents
 * intact, to the instance that replaces it; work posted before the release does not run after it.
 */
class DeviceOwnershipTest {
    MachineImpl m;
    final FakePciBus pci = new FakePciBus();

    @BeforeEach
    void machine() {
        m = new MachineImpl("own", "{}", "none", 1 << 20, false);
        m.registerBus(PciBus.NAME, pci);
        m.startThread();
    }

    @AfterEach
    void down() {
        m.shutdown("test over", 0);
    }

    @Test
    void aPciFunctionTheDeviceForgotIsUnpluggedAndASwappedDeviceKeepsItsSlot() {
        DeviceContextImpl other = new DeviceContextImpl(m, "other", "t");
        other.bus(PciBus.NAME, PciBus.class).plug("other", ENDPOINT, 1);
        DeviceContextImpl first = new DeviceContextImpl(m, "nic", "t");
        PciSlot s = first.bus(PciBus.NAME, PciBus.class).plug("nic", ENDPOINT, -1);
        assertEquals(2, s.devfn() >> 3, "the first free slot");
        other.release(DeviceContextImpl.Release.REMOVED); // slot 1 is free now
        assertEquals(List.of(2), pci.slots());

        first.release(DeviceContextImpl.Release.SWAPPED); // its unrealize forgot to unplug
        assertEquals(List.of(), pci.slots(), "unplugged by the release");
        DeviceContextImpl second = new DeviceContextImpl(m, "nic", "t");
        PciSlot again = second.bus(PciBus.NAME, PciBus.class).plug("nic", ENDPOINT, -1);
        assertEquals(2, again.devfn() >> 3, "the swapped device has its slot again, not the first free one");

        second.release(DeviceContextImpl.Release.REMOVED);
        DeviceContextImpl squatter = new DeviceContextImpl(m, "squat", "t");
        squatter.bus(PciBus.NAME, PciBus.class).plug("squat", ENDPOINT, 2);
        DeviceContextImpl third = new DeviceContextImpl(m, "nic", "t");
        assertEquals(1, third.bus(PciBus.NAME, PciBus.class).plug("nic", ENDPOINT, -1).devfn() >> 3,
                "its old slot taken: the first free one");
    }

    @Test
    void ramIsCarriedAcrossASwapAndFreedOnRemoval() throws Exception {
        DeviceContextImpl first = new DeviceContextImpl(m, "vga", "t");
        RamBlock vram = first.allocateRam("vram", 1 << 16);
        vram.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, 0x100, 0xCAFE);
        assertThrows(IllegalArgumentException.class, () -> first.allocateRam("vram", 4096));
        m.call(() -> {
            first.release(DeviceContextImpl.Release.SWAPPED);
            return null;
        });
        DeviceContextImpl second = new DeviceContextImpl(m, "vga", "t");
        RamBlock again = m.call(() -> second.allocateRam("vram", 1 << 16));
        assertSame(vram, again, "the new instance gets the block");
        assertEquals(0xCAFE, again.segment().get(java.lang.foreign.ValueLayout.JAVA_INT, 0x100));
        DeviceContextImpl other = new DeviceContextImpl(m, "other", "t");
        assertNotSame(vram, m.call(() -> other.allocateRam("vram", 1 << 16)), "another device's name space");

        m.call(() -> {
            second.release(DeviceContextImpl.Release.REMOVED);
            return null;
        });
        assertFalse(again.segment().scope().isAlive(), "freed with the device");
    }

    @Test
    void workPostedBeforeTheReleaseDoesNotRunAfterIt() throws Exception {
        DeviceContextImpl dev = new DeviceContextImpl(m, "disk", "t");
        int[] ran = new int[1];
        var done = m.call(() -> {
            dev.executor().execute(() -> ran[0]++); // queued behind this task
            dev.release(DeviceContextImpl.Release.REMOVED);
            return dev.executor().submit(() -> ran[0]++);
        });
        ExecutionException e = assertThrows(ExecutionException.class, () -> done.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("device 'disk' was released"), e.getCause().getMessage());
        assertEquals(0, m.call(() -> ran[0]), "neither task ran");
    }

    private static final PciEndpoint ENDPOINT = new PciEndpoint() {
        @Override
        public PciHeader header() {
            return new PciHeader(0x1234, 1, 0, 0xFF0000, 0, 0, 0);
        }

        @Override
        public List<PciBar> bars() {
            return List.of();
        }
    };

    /** Slots 1..31 (0 is the host bridge's), function 0 only. */
    static final class FakePciBus implements PciBus {
        private final Map<Integer, String> plugged = new TreeMap<>();

        List<Integer> slots() {
            return List.copyOf(plugged.keySet());
        }

        @Override
        public synchronized PciSlot plug(String name, PciEndpoint endpoint, int slot) {
            int s = slot;
            if (s == -1) {
                s = 1;
                while (plugged.containsKey(s)) {
                    s++;
                }
            }
            if (plugged.containsKey(s)) {
                throw new IllegalArgumentException("slot " + s + " is taken by " + plugged.get(s));
            }
            plugged.put(s, name);
            int devfn = s << 3;
            return new PciSlot() {
                @Override
                public int devfn() {
                    return devfn;
                }

                @Override
                public IrqLine intx() {
                    return IrqLine.NONE;
                }

                @Override
                public boolean busMaster() {
                    return false;
                }

                @Override
                public byte[] saveConfig() {
                    return new byte[256];
                }

                @Override
                public void loadConfig(byte[] config) {
                }

                @Override
                public void unplug() {
                    synchronized (FakePciBus.this) {
                        plugged.remove(devfn >> 3, name);
                    }
                }
            };
        }
    }
}
