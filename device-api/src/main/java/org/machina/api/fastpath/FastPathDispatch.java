package org.machina.api.fastpath;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The CPU's side of the fast path: before an access to a port, or to a physical address that is
 * not RAM, takes the normal path (the address space, {@code AccessSpec} adaptation, the device's
 * {@link org.machina.api.memory.Mmio}), the CPU offers it here. An access served by an attached
 * {@link FastPathHandler} returns true (a read's value in {@code result}); false means no handler
 * covers the whole access or the handler declined, and the CPU takes the normal path.
 *
 * <p>The runtime gives one per machine ({@link org.machina.api.cpu.CpuContext#fastPath()}); its
 * lookup is a binary search in an immutable table, republished when handlers are attached or
 * detached and when the address map changes, so it may be called from the thread that runs the
 * CPU without locks. The CPU calls it only on its slow paths (port I/O, non-RAM memory), so RAM
 * accesses pay nothing.
 *
 * @since 2.1.0
 */
@ProviderType
public interface FastPathDispatch {
    /** A machine without a fast path: every access takes the normal path. */
    FastPathDispatch NONE = new FastPathDispatch() {
        @Override
        public boolean readPort(int port, int size, FastPathRead result) {
            return false;
        }

        @Override
        public boolean writePort(int port, int size, long value) {
            return false;
        }

        @Override
        public boolean readMemory(long address, int size, FastPathRead result) {
            return false;
        }

        @Override
        public boolean writeMemory(long address, int size, long value) {
            return false;
        }
    };

    /** An {@code IN} of {@code size} bytes (1, 2 or 4) from {@code port} (0-0xFFFF). */
    boolean readPort(int port, int size, FastPathRead result);

    /**
     * Up to {@code count} {@code IN}s of {@code size} bytes (2 or 4) from {@code port}, the
     * elements of a {@code REP INS}, stored little-endian in {@code into} from index 0 (room for
     * {@code count * size} bytes); returns how many a handler served (0: the first takes the
     * normal path; the caller goes on element by element after the last served one). The
     * default serves none.
     *
     * @since 2.3.0
     */
    default int readPortString(int port, int size, byte[] into, int count) {
        return 0;
    }

    /**
     * {@code port}'s fast path bound for the caller to keep and use instead of {@link #readPort}
     * and {@link #writePort} on that port (a new object per call, for one thread): a CPU that
     * keeps the last ports it used skips the lookup of the handler at every access. The default
     * calls {@link #readPort} and {@link #writePort}.
     *
     * @since 2.4.0
     */
    default FastPathPort bindPort(int port) {
        FastPathDispatch dispatch = this;
        int p = port & 0xFFFF;
        return new FastPathPort() {
            @Override
            public int port() {
                return p;
            }

            @Override
            public boolean read(int size, FastPathRead result) {
                return dispatch.readPort(p, size, result);
            }

            @Override
            public boolean write(int size, long value) {
                return dispatch.writePort(p, size, value);
            }
        };
    }

    /** An {@code OUT} of the low {@code size} bytes of {@code value} to {@code port}. */
    boolean writePort(int port, int size, long value);

    /** A load of {@code size} bytes (1, 2, 4 or 8) at guest physical {@code address}. */
    boolean readMemory(long address, int size, FastPathRead result);

    /** A store of the low {@code size} bytes of {@code value} at guest physical {@code address}. */
    boolean writeMemory(long address, int size, long value);

    /**
     * Whether an attached handler's range lies (at least partly) in the 4 KiB page at guest
     * physical {@code page} (page aligned). The CPU asks when its TLB misses on a page that is not
     * RAM: for such a page it may keep the translation (linear to physical) in its TLB as a
     * device page and offer later accesses here without a page walk, for as long as it would
     * keep a RAM page's. A hint that changes no result: an access there that no handler serves
     * still takes the normal path.
     *
     * @since 2.2.0
     */
    default boolean servesMemoryPage(long page) {
        return false;
    }
}
