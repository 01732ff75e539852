package org.machina.api.device;

import org.machina.api.block.BlockNode;
import org.machina.api.chardev.CharBackend;
import org.machina.api.fastpath.FastPathRegistry;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.RamBlock;
import org.machina.api.net.Netdev;
import org.machina.api.time.MachineExecutor;
import org.osgi.annotation.versioning.ProviderType;
import org.slf4j.Logger;

/**
 * Everything the runtime gives a device. A device never looks up other devices or the
 * framework: it maps its regions into {@link #memory()} or {@link #io()}, asks for IRQ lines by
 * controller name and input, and posts work to {@link #executor()}. The runtime records what the
 * device mapped, registered and armed, and releases it all when the device is unrealized.
 */
@ProviderType
public interface DeviceContext {
    /** The instance id. */
    String id();

    AddressSpace memory();

    IoSpace io();

    /** An interrupt line into input {@code index} of the sink registered as {@code controller}. */
    IrqLine irq(String controller, int index);

    /** Registers this device as an interrupt controller (its inputs become reachable by name). */
    void registerIrqSink(String controller, IrqSink sink);

    /** The CPU's INTR pin (what an interrupt controller at the top of the tree drives). */
    IrqLine cpuInterruptPin();

    /** Installs the handler the CPU calls to fetch an interrupt vector. */
    void registerInterruptAcknowledge(InterruptAcknowledge ack);

    /**
     * The CPU's NMI pin (a rising edge requests a non-maskable interrupt): what a local APIC
     * drives for NMI deliveries. {@link IrqLine#NONE} in contexts without a CPU.
     *
     * @since 1.5.0
     */
    default IrqLine cpuNmiPin() {
        return IrqLine.NONE;
    }

    /**
     * Installs the machine's local APIC as the CPU sees it (IA32_APIC_BASE); released with the
     * device. Contexts without a CPU ignore it.
     *
     * @since 1.5.0
     */
    default void registerLocalApic(org.machina.api.cpu.LocalApic apic) {
    }

    /**
     * A RAM block owned by this device (frame buffers, option ROMs): freed when the device is
     * removed; across a hot-swap the new instance asking for the same name and size gets the same
     * block with its contents. A board's blocks live as long as the machine. A name can be
     * allocated once per device.
     */
    RamBlock allocateRam(String name, long size);

    /** The character backend with {@code id}, or fails with a message naming the id. */
    CharBackend chardev(String id);

    /** The block node with {@code id}, or fails with a message naming the id. */
    BlockNode blockdev(String id);

    /**
     * The network backend with {@code id} ({@code -netdev KIND,id=ID}), or fails with a message
     * naming the id. The runtime detaches it ({@code attach(null)}) when the device is released;
     * the machine closes it.
     */
    default Netdev netdev(String id) {
        throw new IllegalStateException("this machine has no netdev '" + id + "'");
    }

    /**
     * The index of this device among the devices of the same {@code kind} in this machine that
     * asked before it (0 for the first; the same device id always gets the same index, so a
     * hot-swapped device keeps it): how NICs pick distinct default MAC addresses, as QEMU gives
     * its n-th NIC 52:54:00:12:34:(56+n).
     */
    default int instanceIndex(String kind) {
        return 0;
    }

    /**
     * The machine thread. Work posted through it (from I/O threads, say) that has not run when the
     * device is removed or swapped out is dropped; a {@code submit} then completes exceptionally.
     */
    MachineExecutor executor();

    MachineControl machine();

    /** A logger named after the device type and id. */
    Logger log();

    /**
     * Where this device attaches fast-path handlers for hot registers
     * ({@link org.machina.api.fastpath}). Contexts without a fast path return
     * {@link FastPathRegistry#NONE}: the handlers are never called and every access takes the
     * normal path.
     */
    default FastPathRegistry fastPath() {
        return FastPathRegistry.NONE;
    }

    /**
     * Installs the machine's power button (at most one per machine; released with the device).
     * Without one, pressing the power button powers the machine off at once.
     */
    default void registerPowerButton(PowerButton button) {
    }

    /**
     * Offers the removable medium of the drive this device uses as {@code drive} (a
     * {@code -drive ...,id=ID}) to the monitor's {@code eject} and {@code blockdev-change-medium},
     * which name the drive id, this device's id or one of {@code aliases} (the name QEMU gives
     * the drive, such as {@code ide1-cd0}); released with the device. Contexts without a monitor
     * ignore it.
     *
     * @since 1.4.0
     */
    default void registerRemovableMedium(String drive, org.machina.api.block.RemovableMedium medium, String... aliases) {
    }

    /**
     * Offers a bus (for example a board's {@link org.machina.api.bus.pci.PciBus} under
     * {@code "pci"}) to the devices of this machine. Contexts that offer no buses ignore it.
     */
    default void registerBus(String name, Object bus) {
    }

    /**
     * Runs {@code release} when the device is removed, swapped or the machine shuts down (after
     * the device's {@code unrealize}), like the runtime's own releases of mappings and timers. A
     * bus gives a device's attachment to it this way, so that the attachment belongs to the
     * device. Contexts that never release (test fakes) may ignore it.
     */
    default void onRelease(Runnable release) {
    }

    /**
     * The bus registered as {@code name}, or fails with a message naming the bus and what is
     * registered (a PCI device on a board without PCI, a bus of another type). A
     * {@link org.machina.api.bus.pci.PciBus} asked for through the runtime's context owns what the
     * device plugs: unplugged on release, and a device re-created by a hot-swap that asks for any
     * slot gets the one it had.
     */
    default <T> T bus(String name, Class<T> type) {
        throw new IllegalStateException("this machine has no bus '" + name + "'");
    }
}
