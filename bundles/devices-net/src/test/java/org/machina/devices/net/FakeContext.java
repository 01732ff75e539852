package org.machina.devices.net;

import java.util.ArrayList;
import java.util.List;
import org.machina.api.block.BlockNode;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.chardev.CharBackend;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.MachineControl;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.RamBlock;
import org.machina.api.net.Netdev;
import org.machina.api.time.MachineExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@link DeviceContext} with RAM, one netdev ({@code n0}) and a recording PCI bus. */
final class FakeContext implements DeviceContext {
    final FakeRam memory = new FakeRam(1 << 20);
    final FakeNetdev netdev = new FakeNetdev();
    final FakeBus bus = new FakeBus();
    private int nics;

    /** The PCI bus: one slot, INTx level recorded, bus mastering switchable. */
    static final class FakeBus implements PciBus {
        PciEndpoint endpoint;
        boolean intx;
        int intxEdges;
        boolean master = true;
        byte[] config = new byte[256];
        final List<String> events = new ArrayList<>();

        @Override
        public PciSlot plug(String name, PciEndpoint e, int slot) {
            if (endpoint != null) {
                throw new IllegalArgumentException("slot taken");
            }
            endpoint = e;
            events.add("plug " + name + " " + slot);
            return new PciSlot() {
                private final IrqLine line = new IrqLine() {
                    @Override
                    public void set(boolean level) {
                        if (level && !intx) {
                            intxEdges++;
                        }
                        intx = level;
                    }

                    @Override
                    public boolean level() {
                        return intx;
                    }
                };

                @Override
                public int devfn() {
                    return 2 << 3;
                }

                @Override
                public IrqLine intx() {
                    return line;
                }

                @Override
                public boolean busMaster() {
                    return master;
                }

                @Override
                public byte[] saveConfig() {
                    return config.clone();
                }

                @Override
                public void loadConfig(byte[] c) {
                    config = c.clone();
                    events.add("loadConfig");
                }

                @Override
                public void unplug() {
                    endpoint = null;
                    events.add("unplug");
                }
            };
        }
    }

    @Override
    public String id() {
        return "nic0";
    }

    @Override
    public AddressSpace memory() {
        return memory;
    }

    @Override
    public IoSpace io() {
        throw new UnsupportedOperationException();
    }

    @Override
    public IrqLine irq(String controller, int index) {
        throw new UnsupportedOperationException("a PCI device gets its interrupt from its slot");
    }

    @Override
    public void registerIrqSink(String controller, IrqSink sink) {
        throw new UnsupportedOperationException();
    }

    @Override
    public IrqLine cpuInterruptPin() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void registerInterruptAcknowledge(InterruptAcknowledge ack) {
        throw new UnsupportedOperationException();
    }

    @Override
    public RamBlock allocateRam(String name, long size) {
        throw new UnsupportedOperationException();
    }

    @Override
    public CharBackend chardev(String id) {
        throw new UnsupportedOperationException();
    }

    @Override
    public BlockNode blockdev(String id) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Netdev netdev(String id) {
        if (!id.equals("n0")) {
            throw new IllegalArgumentException("no netdev with id '" + id + "'");
        }
        return netdev;
    }

    @Override
    public int instanceIndex(String kind) {
        return nics++;
    }

    @Override
    public MachineExecutor executor() {
        throw new UnsupportedOperationException();
    }

    @Override
    public MachineControl machine() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Logger log() {
        return LoggerFactory.getLogger("test.nic");
    }

    @Override
    public <T> T bus(String name, Class<T> type) {
        if (!name.equals(PciBus.NAME)) {
            throw new IllegalStateException("no bus '" + name + "'");
        }
        return type.cast(bus);
    }
}
