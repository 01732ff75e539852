package org.machina.runtime.memory;

import org.machina.api.io.IoSpace;

/** The x86 port space: a 64 KiB address space holding only I/O regions. */
public final class PortSpace extends PhysicalAddressSpace implements IoSpace {
    public PortSpace(String name) {
        super(name, PORTS);
    }
}
