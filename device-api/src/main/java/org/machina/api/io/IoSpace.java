package org.machina.api.io;

import org.machina.api.memory.AddressSpace;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The x86 I/O port space: 65536 byte-addressed ports, mapped with the same regions, priorities
 * and access specs as memory. Devices map {@link org.machina.api.memory.MemoryRegion.Io}
 * regions here; CPUs call {@link #in} and {@link #out}.
 */
@ProviderType
public interface IoSpace extends AddressSpace {
    /** Number of ports. */
    long PORTS = 0x10000;

    default int in(int port, int size) {
        return (int) read(port & 0xffff, size);
    }

    default void out(int port, int size, int value) {
        write(port & 0xffff, size, value & 0xffffffffL);
    }
}
