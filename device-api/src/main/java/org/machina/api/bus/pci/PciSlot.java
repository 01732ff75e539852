package org.machina.api.bus.pci;

import org.machina.api.irq.IrqLine;
import org.osgi.annotation.versioning.ProviderType;

/** A function plugged into a {@link PciBus}: its interrupt pin, bus-master state and config header. */
@ProviderType
public interface PciSlot {
    /** Device number << 3 | function number. */
    int devfn();

    /** The function's INTx pin; the bus routes it (level-triggered, shareable) and honours INTx disable. */
    IrqLine intx();

    /** Whether the guest enabled bus mastering (DMA) in the command register. */
    boolean busMaster();

    /** The 256-byte configuration space (state saving: BAR addresses, command, interrupt line). */
    byte[] saveConfig();

    /** Restores a configuration space saved with {@link #saveConfig()} and remaps the BARs. */
    void loadConfig(byte[] config);

    /** Removes the function from the bus and unmaps its BARs. */
    void unplug();
}
