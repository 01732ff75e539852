package org.machina.devices.storage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Translation;

/**
 * A 4 GiB physical address space for tests with RAM in its first {@code size} bytes; like the
 * real one, reads elsewhere return all ones and writes elsewhere are dropped (and counted).
 */
final class FakeRam implements AddressSpace {
    final ByteBuffer ram;
    int strayWrites;

    FakeRam(int size) {
        ram = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public long limit() {
        return 1L << 32;
    }

    @Override
    public Mapping map(long base, MemoryRegion region, int priority) {
        throw new UnsupportedOperationException("a device under test maps nothing into memory");
    }

    private boolean inRam(long address, int length) {
        return address >= 0 && address + length <= ram.capacity();
    }

    @Override
    public long read(long address, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (inRam(address + i, 1) ? ram.get((int) (address + i)) & 0xFF : 0xFF);
        }
        return v;
    }

    @Override
    public void write(long address, int size, long value) {
        for (int i = 0; i < size; i++) {
            if (inRam(address + i, 1)) {
                ram.put((int) (address + i), (byte) (value >>> 8 * i));
            } else {
                strayWrites++;
            }
        }
    }

    @Override
    public void read(long address, byte[] buffer, int offset, int length) {
        for (int i = 0; i < length; i++) {
            buffer[offset + i] = (byte) read(address + i, 1);
        }
    }

    @Override
    public void write(long address, byte[] buffer, int offset, int length) {
        for (int i = 0; i < length; i++) {
            write(address + i, 1, buffer[offset + i]);
        }
    }

    @Override
    public void load(long address, byte[] buffer, int offset, int length) {
        write(address, buffer, offset, length);
    }

    /** RAM below {@code size} (a block that only answers its name and size), nothing above. */
    @Override
    public Translation translate(long address) {
        if (inRam(address, 1)) {
            return new Translation(0, ram.capacity(), RAM_BLOCK, 0, true);
        }
        return new Translation(Math.max(address, ram.capacity()), limit(), null, 0, false);
    }

    private final org.machina.api.memory.RamBlock RAM_BLOCK = new org.machina.api.memory.RamBlock() {
        @Override
        public String name() {
            return "fake-ram";
        }

        @Override
        public long size() {
            return ram.capacity();
        }

        @Override
        public java.lang.foreign.MemorySegment segment() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void markDirty(long offset, long length) {
        }

        @Override
        public org.machina.api.memory.DirtyLog dirtyLog() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long codeGeneration() {
            return 0;
        }

        @Override
        public void markCodePage(long offset) {
        }

        @Override
        public boolean isCodePage(long offset) {
            return false;
        }
    };

    @Override
    public long mapGeneration() {
        return 0;
    }
}
