package org.machina.api.bus.pci;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/** What a PCI function gives the bus: its identity, its BARs, and optionally its own config registers. */
@ConsumerType
public interface PciEndpoint {
    PciHeader header();

    /** The BARs the function decodes (at most one per index 0..5). */
    List<PciBar> bars();

    /** Reads a device-specific configuration register (0x40-0xFF); unimplemented ones read 0. */
    default int configRead(int offset, int size) {
        return 0;
    }

    /** Writes a device-specific configuration register (0x40-0xFF). */
    default void configWrite(int offset, int size, int value) {
    }
}
