package org.machina.runtime.machine;

import org.machina.api.fastpath.FastPathDispatch;
import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathPort;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.fastpath.FastPathRegistry;
import org.machina.api.memory.Mapping;
import org.machina.runtime.memory.PhysicalAddressSpace;
import org.machina.runtime.memory.PortSpace;

/**
 * A machine's fast path: attachments go to the address space that mapped the region (memory or
 * ports), whose table the CPU searches through the {@link FastPathDispatch} side. It can be
 * switched off for the whole machine at run time ({@link #enable}, QMP {@code x-machina-fastpath}):
 * both spaces then publish an empty table (the attachments kept), so every access, through a
 * lookup or a bound port, takes the normal path, which declining handlers allow at any moment.
 */
final class MachineFastPath implements FastPathRegistry, FastPathDispatch {
    private final PhysicalAddressSpace memory;
    private final PortSpace io;
    private volatile boolean enabled = true;

    synchronized void enable(boolean on) {
        enabled = on;
        memory.enableFastPath(on);
        io.enableFastPath(on);
    }

    boolean enabled() {
        return enabled;
    }

    MachineFastPath(PhysicalAddressSpace memory, PortSpace io) {
        this.memory = memory;
        this.io = io;
    }

    @Override
    public Attachment attach(Mapping mapping, long offset, long length, FastPathHandler handler) {
        if (memory.owns(mapping)) {
            return memory.attachFastPath(mapping, offset, length, handler);
        }
        if (io.owns(mapping)) {
            return io.attachFastPath(mapping, offset, length, handler);
        }
        throw new IllegalArgumentException("fast path on " + mapping + ": not a mapping of this machine's memory or"
                + " ports");
    }

    @Override
    public boolean readPort(int port, int size, FastPathRead result) {
        return io.fastRead(port & 0xffff, size, result);
    }

    @Override
    public int readPortString(int port, int size, byte[] into, int count) {
        return io.fastReadString(port & 0xffff, size, into, count);
    }

    /** The port's handler found once per table, not at every access; declines while the fast path is off. */
    @Override
    public FastPathPort bindPort(int port) {
        return io.bindFastPathPort(port & 0xffff);
    }

    @Override
    public boolean writePort(int port, int size, long value) {
        return io.fastWrite(port & 0xffff, size, value);
    }

    @Override
    public boolean readMemory(long address, int size, FastPathRead result) {
        return memory.fastRead(address, size, result);
    }

    @Override
    public boolean writeMemory(long address, int size, long value) {
        return memory.fastWrite(address, size, value);
    }

    @Override
    public boolean servesMemoryPage(long page) {
        return memory.fastPathServesPage(page);
    }
}
