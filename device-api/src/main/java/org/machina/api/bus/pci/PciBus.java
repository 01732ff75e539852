package org.machina.api.bus.pci;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A PCI bus a board offers (registered under the bus name {@value #NAME}). The bus owns each
 * function's standard configuration header (0x00-0x3F): identity, command/status, BARs, interrupt
 * line and pin. It maps a function's BAR regions where the guest (or the board's firmware) puts
 * them while decoding is enabled in the command register, and routes its INTx pin to an
 * interrupt controller input.
 */
@ProviderType
public interface PciBus {
    /** The bus name under which boards register their (first) PCI bus. */
    String NAME = "pci";

    /**
     * Plugs a function in. {@code slot} is the device number 0..31, or -1 for the first free
     * slot; the function number is 0. Fails naming the slot when it is taken or out of range.
     */
    PciSlot plug(String name, PciEndpoint endpoint, int slot);

    /**
     * Plugs function {@code function} (0..7) of device {@code slot} (0..31), for a function of a
     * multi-function device the board already has (the PC's PIIX IDE function 00:01.1 next to its
     * ISA bridge). Fails naming the slot when it is taken or out of range. Buses that only take
     * function 0 refuse other functions.
     *
     * @since 1.1
     */
    default PciSlot plug(String name, PciEndpoint endpoint, int slot, int function) {
        if (function == 0) {
            return plug(name, endpoint, slot);
        }
        throw new IllegalArgumentException("this PCI bus cannot place '" + name + "' at function " + function);
    }
}
