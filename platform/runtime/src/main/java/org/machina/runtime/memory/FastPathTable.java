package org.machina.runtime.memory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathPort;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.fastpath.FastPathRegistry;
import org.machina.api.memory.MemoryRegion;
import org.slf4j.Logger;

/**
 * The fast-path handlers attached to the mappings of one {@link PhysicalAddressSpace}, and the
 * immutable lookup table the CPU searches ({@link #read}, {@link #write}). The table holds, per
 * attachment, the addresses where the flattened map reaches the attached mapping (a higher
 * priority mapping on top of part of a range takes that part away); it is rebuilt under the
 * space's lock on every attach, detach and map change, and published through a volatile field.
 * An attachment whose mapping is unmapped is dropped. A handler that throws is detached and
 * logged once; the access that threw and later ones take the normal path. While the machine's
 * fast path is switched off ({@link #enable}) the table published is the empty one, the
 * attachments kept: every lookup and every bound port declines without a check of its own.
 */
final class FastPathTable {
    /** One attached handler: {@code [offset, offset + length)} of {@code mapping}'s region. */
    private final class Attached implements FastPathRegistry.Attachment {
        final MappingImpl mapping;
        final long offset;
        final long length;
        final FastPathHandler handler;

        Attached(MappingImpl mapping, long offset, long length, FastPathHandler handler) {
            this.mapping = mapping;
            this.offset = offset;
            this.length = length;
            this.handler = handler;
        }

        @Override
        public void detach() {
            space.detachFastPath(this);
        }

        @Override
        public String toString() {
            return String.format("[0x%x, 0x%x) of '%s'", offset, offset + length, mapping.region().name());
        }
    }

    /** A served piece of the address space: {@code [start, end)}, offsets from {@code base}. */
    private record Entry(long start, long end, long base, FastPathHandler handler, Attached owner, MappingImpl mapping) {
    }

    private static final Entry[] EMPTY = new Entry[0];

    private final PhysicalAddressSpace space;
    private final Logger log;
    private final List<Attached> attached = new ArrayList<>();
    /** The machine's switch ({@link #enable}); false publishes the empty table. Under the space's lock. */
    private boolean enabled = true;
    private volatile Entry[] table = EMPTY;

    FastPathTable(PhysicalAddressSpace space, Logger log) {
        this.space = space;
        this.log = log;
    }

    /** Checks and adds an attachment (caller holds the space's lock and rebuilds). */
    FastPathRegistry.Attachment attach(MappingImpl mapping, boolean mapped, long offset, long length,
            FastPathHandler handler) {
        if (!(mapping.region() instanceof MemoryRegion.Io io)) {
            throw new IllegalArgumentException(space.name() + ": fast path on '" + mapping.region().name()
                    + "': not device registers (an Io region)");
        }
        if (!mapped) {
            throw new IllegalArgumentException(space.name() + ": fast path on " + mapping + ": not mapped");
        }
        if (handler == null) {
            throw new IllegalArgumentException(space.name() + ": fast path on " + mapping + ": no handler");
        }
        if (length <= 0 || offset < 0 || offset > io.size() - length) {
            throw new IllegalArgumentException(String.format("%s: fast path [0x%x, +0x%x) is outside region '%s' of"
                    + " 0x%x bytes", space.name(), offset, length, io.name(), io.size()));
        }
        Attached a = new Attached(mapping, offset, length, handler);
        for (Attached other : attached) {
            if (other.mapping.region() == io && offset < other.offset + other.length && other.offset < offset + length) {
                throw new IllegalArgumentException(space.name() + ": fast path " + a + " overlaps " + other);
            }
        }
        attached.add(a);
        return a;
    }

    /** Removes an attachment; true when it was there (caller holds the lock and rebuilds). */
    boolean remove(FastPathRegistry.Attachment a) {
        return attached.remove(a);
    }

    /**
     * Switches serving on or off (the machine's switch, QMP {@code x-machina-fastpath}); the
     * caller holds the lock and rebuilds, which publishes the empty table while off.
     */
    void enable(boolean on) {
        enabled = on;
    }

    /**
     * Rebuilds the table from the attachments and the space's flattened {@code view} (caller
     * holds the lock); attachments whose mapping is no longer in {@code mappings} are dropped.
     * Switched off, the table is the empty one.
     */
    void rebuild(List<MappingImpl> mappings, FlatRange[] view) {
        attached.removeIf(a -> !mappings.contains(a.mapping));
        if (attached.isEmpty() || !enabled) {
            table = EMPTY;
            return;
        }
        List<Entry> out = new ArrayList<>();
        for (Attached a : attached) {
            long from = a.mapping.base() + a.offset;
            long to = from + a.length;
            for (FlatRange r : view) {
                if (r.owner() == a.mapping && r.leaf() == a.mapping.region() && r.start() < to && from < r.end()) {
                    out.add(new Entry(Math.max(from, r.start()), Math.min(to, r.end()), a.mapping.base(), a.handler, a,
                            a.mapping));
                }
            }
        }
        out.sort(Comparator.comparingLong(Entry::start));
        table = out.toArray(EMPTY);
    }

    /**
     * Index in {@link #table} of the entry the last lookup found: a polling loop reads one register
     * again and again, so the lookup first tries that entry. Only a hint: whatever table it was
     * found in, the entry at this index of the current one is used only when it covers the access.
     */
    private int lastHit;

    private Entry find(long address, int size) {
        return find(table, address, size);
    }

    private Entry find(Entry[] t, long address, int size) {
        int last = lastHit;
        if (last < t.length) {
            Entry e = t[last];
            if (address >= e.start && address + size <= e.end) {
                return e;
            }
        }
        int lo = 0;
        int hi = t.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Entry e = t[mid];
            if (address < e.start) {
                hi = mid - 1;
            } else if (address >= e.end) {
                lo = mid + 1;
            } else {
                lastHit = mid;
                return address + size <= e.end ? e : null;
            }
        }
        return null;
    }

    /** Whether an entry of the table lies (partly) in the 4 KiB page at {@code page}. */
    boolean servesPage(long page) {
        for (Entry e : table) {
            if (e.start < page + 4096 && page < e.end) {
                return true;
            }
        }
        return false;
    }

    /** Serves a read of {@code size} bytes at {@code address} through a handler, if one covers it. */
    boolean read(long address, int size, FastPathRead result) {
        if (table.length == 0) {
            return false;
        }
        Entry e = find(address, size);
        return e != null && serveRead(e, e.handler, address - e.base, address, size, result);
    }

    /**
     * Serves a read at {@code address} through {@code h}, {@code e}'s handler (which covers it), at
     * {@code offset} in its region; {@code e} counts it or takes the blame.
     */
    private boolean serveRead(Entry e, FastPathHandler h, long offset, long address, int size, FastPathRead result) {
        try {
            if (!h.read(offset, size, result)) {
                return false;
            }
        } catch (RuntimeException | LinkageError | AssertionError x) {
            failed(e.owner, "read", address, x);
            return false;
        }
        if (size < 8) {
            result.set(result.value() & ((1L << (8 * size)) - 1));
        }
        e.mapping.fastReads++;
        return true;
    }

    /**
     * Serves up to {@code count} reads of {@code size} bytes at {@code address} (a string
     * instruction's elements) through a handler, if one covers the address; returns how many.
     */
    int readString(long address, int size, byte[] into, int count) {
        if (table.length == 0) {
            return 0;
        }
        Entry e = find(address, size);
        if (e == null) {
            return 0;
        }
        int n;
        try {
            n = e.handler.readString(address - e.base, size, into, count);
        } catch (RuntimeException | LinkageError | AssertionError x) {
            failed(e.owner, "string read", address, x);
            return 0;
        }
        if (n < 0 || n > count) {
            failed(e.owner, "string read", address, new IllegalStateException("readString served " + n + " of " + count));
            return 0;
        }
        e.mapping.fastReads += n;
        return n;
    }

    /** Serves a write through a handler, if one covers it and accepts it. */
    boolean write(long address, int size, long value) {
        if (table.length == 0) {
            return false;
        }
        Entry e = find(address, size);
        return e != null && serveWrite(e, e.handler, address - e.base, address, size, value);
    }

    /**
     * Serves a write at {@code address} through {@code h}, {@code e}'s handler (which covers it), at
     * {@code offset} in its region, if the handler accepts it; {@code e} counts it or takes the blame.
     */
    private boolean serveWrite(Entry e, FastPathHandler h, long offset, long address, int size, long value) {
        try {
            if (!h.write(offset, size, size < 8 ? value & ((1L << (8 * size)) - 1) : value)) {
                return false;
            }
        } catch (RuntimeException | LinkageError | AssertionError x) {
            failed(e.owner, "write", address, x);
            return false;
        }
        e.mapping.fastWrites++;
        return true;
    }

    /**
     * One address's fast path for one caller ({@link PhysicalAddressSpace#bindFastPathPort}): what
     * serves the address (the handler, the offset in its region, the bytes left in its range, the
     * mapping that counts) is looked up once per table and kept, so an access reads the table
     * reference (volatile, its one check) and calls the kept handler. A new table (attach, detach,
     * map change, a handler that threw, the machine's switch) is seen at the next access, which
     * looks again. Mutable, for the one thread that uses it.
     */
    final class Bound implements FastPathPort {
        private final int address;
        /** The table the fields below were looked up in. */
        private Entry[] seen;
        /** The handler of {@link #seen}'s entry that holds {@link #address}, or null. */
        private FastPathHandler handler;
        /** {@link #address}'s offset in the handler's region. */
        private long offset;
        /** Bytes from {@link #address} to the end of the entry: the largest access served. */
        private long room;
        /** The entry of {@link #seen} that holds {@link #address}, or null: it counts and takes the blame. */
        private Entry entry;

        Bound(int address) {
            this.address = address;
        }

        @Override
        public int port() {
            return address;
        }

        /** The handler serving {@code size} bytes at the address in the current table, or null. */
        private FastPathHandler serving(int size) {
            Entry[] t = table;
            if (t != seen) {
                look(t);
            }
            return size <= room ? handler : null;
        }

        /** Looks the address up in {@code t} and keeps what serves it. */
        private void look(Entry[] t) {
            Entry e = find(t, address, 1);
            seen = t;
            entry = e;
            handler = e == null ? null : e.handler;
            offset = e == null ? 0 : address - e.base;
            room = e == null ? 0 : e.end - address;
        }

        @Override
        public boolean read(int size, FastPathRead result) {
            FastPathHandler h = serving(size);
            return h != null && serveRead(entry, h, offset, address, size, result);
        }

        @Override
        public boolean write(int size, long value) {
            FastPathHandler h = serving(size);
            return h != null && serveWrite(entry, h, offset, address, size, value);
        }
    }

    private void failed(Attached a, String what, long address, Throwable x) {
        if (space.detachFastPath(a)) { // only the first failure of an attachment is logged
            log.warn(String.format("%s: fast-path handler for %s threw on a %s at 0x%x; detached, its accesses take"
                    + " the normal path", space.name(), a, what, address), x);
        }
    }

    /** Number of attachments (tests and the monitor). */
    int size() {
        return attached.size();
    }
}
