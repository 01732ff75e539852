package org.machina.runtime.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathPort;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.fastpath.FastPathRegistry;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.IoCounters;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.RamBlock;
import org.machina.api.memory.Translation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An address space as a sorted, flattened array of ranges (binary search), rebuilt whenever
 * the map changes. Higher priority wins where mappings overlap; equal priorities may not overlap.
 * Accesses to holes read all ones, ignore writes, and are logged once per address (up to a limit)
 * and counted.
 */
public class PhysicalAddressSpace implements AddressSpace {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int MAX_LOGGED = 64;

    private final String name;
    private final long limit;
    private final Logger log;
    private final List<MappingImpl> mappings = new ArrayList<>();
    private final AtomicLong generation = new AtomicLong();
    private final TreeSet<Long> loggedHoles = new TreeSet<>();
    private final AtomicLong unassignedAccesses = new AtomicLong();
    private volatile FlatRange[] view = new FlatRange[0];
    private FlatRange last;
    private final FastPathTable fastPaths;

    public PhysicalAddressSpace(String name, long limit) {
        this.name = name;
        this.limit = limit;
        this.log = LoggerFactory.getLogger("machina.memory." + name);
        this.fastPaths = new FastPathTable(this, log);
    }

    /** Whether {@code mapping} was mapped by this space (mapped now or not). */
    public boolean owns(Mapping mapping) {
        return mapping instanceof MappingImpl m && m.space() == this;
    }

    /**
     * Attaches a fast-path handler to {@code [offset, offset + length)} of {@code mapping}'s
     * region (see {@link FastPathRegistry#attach}): the mapping must be one of this space's,
     * mapped now, of an {@link MemoryRegion.Io} region, the range inside it and clear of the
     * ranges already attached to that region.
     */
    public synchronized FastPathRegistry.Attachment attachFastPath(Mapping mapping, long offset, long length,
            FastPathHandler handler) {
        if (!owns(mapping)) {
            throw new IllegalArgumentException(name + ": fast path on " + mapping + ": not a mapping of this space");
        }
        MappingImpl m = (MappingImpl) mapping;
        FastPathRegistry.Attachment a = fastPaths.attach(m, mappings.contains(m), offset, length, handler);
        fastPaths.rebuild(mappings, view);
        return a;
    }

    /** Detaches an attachment; true the first time. */
    synchronized boolean detachFastPath(FastPathRegistry.Attachment a) {
        if (!fastPaths.remove(a)) {
            return false;
        }
        fastPaths.rebuild(mappings, view);
        return true;
    }

    /** Number of fast-path handlers attached now. */
    public synchronized int fastPathCount() {
        return fastPaths.size();
    }

    /**
     * Serves a read through the fast-path handler whose range holds the whole access; false
     * when there is none or it declines (the caller then calls {@link #read(long, int)}).
     */
    public boolean fastRead(long address, int size, FastPathRead result) {
        return fastPaths.read(address, size, result);
    }

    /** Serves up to {@code count} reads (a string instruction's) through a fast-path handler; returns how many. */
    public int fastReadString(long address, int size, byte[] into, int count) {
        return fastPaths.readString(address, size, into, count);
    }

    /** Serves a write through a fast-path handler; false when the caller must take the normal path. */
    public boolean fastWrite(long address, int size, long value) {
        return fastPaths.write(address, size, value);
    }

    /**
     * {@code address}'s fast path bound for one caller: the port space's side of
     * {@link org.machina.api.fastpath.FastPathDispatch#bindPort}, which answers as {@link #fastRead}
     * and {@link #fastWrite} at that address without a lookup per access.
     */
    public FastPathPort bindFastPathPort(int address) {
        return fastPaths.new Bound(address);
    }

    /**
     * Switches this space's fast path on or off (the machine's switch): off, the table is the
     * empty one, so every lookup and bound port declines; the attachments stay.
     */
    public synchronized void enableFastPath(boolean on) {
        fastPaths.enable(on);
        fastPaths.rebuild(mappings, view);
    }

    /** Whether a fast-path range lies (partly) in the 4 KiB page at {@code page}. */
    public boolean fastPathServesPage(long page) {
        return fastPaths.servesPage(page);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long limit() {
        return limit;
    }

    @Override
    public synchronized Mapping map(long base, MemoryRegion region, int priority) {
        if (base < 0 || base + region.size() > limit || base + region.size() < base) {
            throw new IllegalArgumentException(String.format("%s: region '%s' at 0x%x size 0x%x is outside [0, 0x%x)",
                    name, region.name(), base, region.size(), limit));
        }
        MappingImpl mapping = new MappingImpl(this, base, region, priority);
        for (MappingImpl other : mappings) {
            if (other.priority() == priority && other.overlaps(mapping)) {
                throw new IllegalArgumentException(name + ": " + mapping + " overlaps " + other
                        + " at the same priority");
            }
        }
        mappings.add(mapping);
        rebuild();
        return mapping;
    }

    synchronized void remove(MappingImpl mapping) {
        if (mappings.remove(mapping)) {
            rebuild();
        }
    }

    /** The current mappings, lowest address first. */
    public synchronized List<Mapping> mappings() {
        List<Mapping> copy = new ArrayList<>(mappings);
        copy.sort(Comparator.comparingLong(Mapping::base));
        return copy;
    }

    /** How many accesses hit unassigned addresses so far. */
    public long unassignedAccesses() {
        return unassignedAccesses.get();
    }

    private void rebuild() {
        TreeSet<Long> cuts = new TreeSet<>();
        for (MappingImpl m : mappings) {
            cuts.add(m.base());
            cuts.add(m.end());
        }
        List<FlatRange> out = new ArrayList<>();
        Long prev = null;
        for (long cut : cuts) {
            if (prev != null) {
                MappingImpl top = topAt(prev);
                if (top != null) {
                    appendMerged(out, prev, cut, top);
                }
            }
            prev = cut;
        }
        view = out.toArray(FlatRange[]::new);
        last = null;
        fastPaths.rebuild(mappings, view);
        generation.incrementAndGet();
    }

    private MappingImpl topAt(long address) {
        MappingImpl best = null;
        for (MappingImpl m : mappings) {
            if (address >= m.base() && address < m.end() && (best == null || m.priority() > best.priority())) {
                best = m;
            }
        }
        return best;
    }

    private static void appendMerged(List<FlatRange> out, long start, long end, MappingImpl owner) {
        MemoryRegion leaf = owner.region();
        long offset = start - owner.base();
        while (leaf instanceof MemoryRegion.Alias alias) {
            offset += alias.offset();
            leaf = alias.target();
        }
        if (!out.isEmpty()) {
            FlatRange prev = out.get(out.size() - 1);
            if (prev.owner() == owner && prev.end() == start) {
                out.set(out.size() - 1, new FlatRange(prev.start(), end, prev.leaf(), prev.leafOffset(), owner));
                return;
            }
        }
        out.add(new FlatRange(start, end, leaf, offset, owner));
    }

    private FlatRange find(long address) {
        FlatRange cached = last;
        if (cached != null && address >= cached.start() && address < cached.end()) {
            return cached;
        }
        FlatRange[] v = view;
        int lo = 0;
        int hi = v.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            FlatRange r = v[mid];
            if (address < r.start()) {
                hi = mid - 1;
            } else if (address >= r.end()) {
                lo = mid + 1;
            } else {
                last = r;
                return r;
            }
        }
        return null;
    }

    @Override
    public long read(long address, int size) {
        FlatRange r = find(address);
        if (r == null || address + size > r.end()) {
            return r == null ? unassigned(address, size, "read", 0) : readBytewise(address, size);
        }
        long off = r.leafOffset() + (address - r.start());
        return switch (r.leaf()) {
            case MemoryRegion.Ram ram -> readSegment(ram.block().segment(), ram.offset() + off, size);
            case MemoryRegion.Rom rom -> readSegment(rom.block().segment(), rom.offset() + off, size);
            case MemoryRegion.Io io -> timedRead(r.owner(), io, off, size);
            case MemoryRegion.Alias a -> throw new IllegalStateException("unresolved alias " + a.name());
        };
    }

    @Override
    public void write(long address, int size, long value) {
        FlatRange r = find(address);
        if (r == null || address + size > r.end()) {
            if (r == null) {
                unassigned(address, size, "write", value);
            } else {
                writeBytewise(address, size, value);
            }
            return;
        }
        long off = r.leafOffset() + (address - r.start());
        switch (r.leaf()) {
            case MemoryRegion.Ram ram -> {
                writeSegment(ram.block().segment(), ram.offset() + off, size, value);
                ram.block().markDirty(ram.offset() + off, size);
            }
            case MemoryRegion.Rom rom -> romWrite(rom, address);
            case MemoryRegion.Io io -> timedWrite(r.owner(), io, off, size, value);
            case MemoryRegion.Alias a -> throw new IllegalStateException("unresolved alias " + a.name());
        }
    }

    private long readBytewise(long address, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (read(address + i, 1) & 0xff) << (8 * i);
        }
        return v;
    }

    private void writeBytewise(long address, int size, long value) {
        for (int i = 0; i < size; i++) {
            write(address + i, 1, (value >>> (8 * i)) & 0xff);
        }
    }

    static long readSegment(MemorySegment s, long off, int size) {
        return switch (size) {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
            case 2 -> s.get(LE16, off) & 0xffffL;
            case 4 -> s.get(LE32, off) & 0xffffffffL;
            case 8 -> s.get(LE64, off);
            default -> throw new IllegalArgumentException("access size " + size);
        };
    }

    static void writeSegment(MemorySegment s, long off, int size, long value) {
        switch (size) {
            case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) value);
            case 2 -> s.set(LE16, off, (short) value);
            case 4 -> s.set(LE32, off, (int) value);
            case 8 -> s.set(LE64, off, value);
            default -> throw new IllegalArgumentException("access size " + size);
        }
    }

    private static long ones(int size) {
        return size == 8 ? -1L : (1L << (8 * size)) - 1;
    }

    private long timedRead(MappingImpl owner, MemoryRegion.Io io, long off, int size) {
        long t0 = System.nanoTime();
        try {
            return ioRead(io, off, size);
        } finally {
            owner.reads++;
            owner.nanos += System.nanoTime() - t0;
        }
    }

    private void timedWrite(MappingImpl owner, MemoryRegion.Io io, long off, int size, long value) {
        long t0 = System.nanoTime();
        try {
            ioWrite(io, off, size, value);
        } finally {
            owner.writes++;
            owner.nanos += System.nanoTime() - t0;
        }
    }

    @Override
    public synchronized List<IoCounters> ioCounters() {
        List<IoCounters> out = new ArrayList<>();
        for (MappingImpl m : mappings) {
            if (m.region() instanceof MemoryRegion.Io || m.reads + m.writes > 0) {
                out.add(new IoCounters(m.region().name(), m.base(), m.reads, m.writes, m.nanos, m.fastReads,
                        m.fastWrites));
            }
        }
        out.sort(Comparator.comparingLong(IoCounters::nanos).reversed());
        return out;
    }

    private long ioRead(MemoryRegion.Io io, long off, int size) {
        AccessSpec spec = io.access();
        if (!spec.accepts(off, size)) {
            logOnce(off, () -> String.format("%s: invalid %d-byte read at offset 0x%x of '%s'", name, size, off, io.name()));
            return ones(size);
        }
        if (size > spec.implMax()) {
            int piece = spec.implMax();
            long v = 0;
            for (int i = 0; i < size; i += piece) {
                v |= (io.ops().read(off + i, piece) & ones(piece)) << (8 * i);
            }
            return v;
        }
        if (size < spec.implMin()) {
            int wide = spec.implMin();
            long base = off & -wide;
            long word = io.ops().read(base, wide);
            return (word >>> (8 * (off - base))) & ones(size);
        }
        return io.ops().read(off, size) & ones(size);
    }

    private void ioWrite(MemoryRegion.Io io, long off, int size, long value) {
        AccessSpec spec = io.access();
        if (!spec.accepts(off, size)) {
            logOnce(off, () -> String.format("%s: invalid %d-byte write at offset 0x%x of '%s'", name, size, off, io.name()));
            return;
        }
        if (size > spec.implMax()) {
            int piece = spec.implMax();
            for (int i = 0; i < size; i += piece) {
                io.ops().write(off + i, piece, (value >>> (8 * i)) & ones(piece));
            }
            return;
        }
        if (size < spec.implMin()) {
            int wide = spec.implMin();
            long base = off & -wide;
            int shift = (int) (8 * (off - base));
            long word = io.ops().read(base, wide);
            long mask = ones(size) << shift;
            io.ops().write(base, wide, (word & ~mask) | ((value << shift) & mask));
            return;
        }
        io.ops().write(off, size, value & ones(size));
    }

    private void romWrite(MemoryRegion.Rom rom, long address) {
        logOnce(address, () -> String.format("%s: write to ROM '%s' at 0x%x ignored", name, rom.name(), address));
    }

    private long unassigned(long address, int size, String what, long value) {
        unassignedAccesses.incrementAndGet();
        logOnce(address, () -> String.format("%s: %d-byte %s at unassigned address 0x%x%s", name, size, what, address,
                what.equals("write") ? String.format(" (value 0x%x ignored)", value) : " (reads as all ones)"));
        return ones(size);
    }

    private void logOnce(long address, java.util.function.Supplier<String> message) {
        synchronized (loggedHoles) {
            if (loggedHoles.size() >= MAX_LOGGED || !loggedHoles.add(address)) {
                return;
            }
        }
        log.warn(message.get());
    }

    @Override
    public void read(long address, byte[] buffer, int offset, int length) {
        int done = 0;
        while (done < length) {
            long a = address + done;
            FlatRange r = find(a);
            MemorySegment seg = r == null ? null : segmentOf(r);
            if (seg != null) {
                int n = (int) Math.min(length - done, r.end() - a);
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, baseOffset(r) + (a - r.start()), buffer, offset + done, n);
                done += n;
            } else {
                buffer[offset + done] = (byte) read(a, 1);
                done++;
            }
        }
    }

    @Override
    public void write(long address, byte[] buffer, int offset, int length) {
        copyIn(address, buffer, offset, length, false);
    }

    @Override
    public void load(long address, byte[] buffer, int offset, int length) {
        copyIn(address, buffer, offset, length, true);
    }

    private void copyIn(long address, byte[] buffer, int offset, int length, boolean loader) {
        int done = 0;
        while (done < length) {
            long a = address + done;
            FlatRange r = find(a);
            boolean direct = r != null && (r.leaf() instanceof MemoryRegion.Ram || (loader && r.leaf() instanceof MemoryRegion.Rom));
            if (direct) {
                int n = (int) Math.min(length - done, r.end() - a);
                long off = baseOffset(r) + (a - r.start());
                MemorySegment.copy(buffer, offset + done, segmentOf(r), ValueLayout.JAVA_BYTE, off, n);
                blockOf(r).markDirty(off, n);
                done += n;
            } else if (loader) {
                throw new IllegalArgumentException(String.format("%s: cannot load %d bytes at 0x%x: 0x%x is not RAM or ROM",
                        name, length, address, a));
            } else {
                write(a, 1, buffer[offset + done] & 0xff);
                done++;
            }
        }
    }

    private static MemorySegment segmentOf(FlatRange r) {
        RamBlock b = blockOf(r);
        return b == null ? null : b.segment();
    }

    private static RamBlock blockOf(FlatRange r) {
        return switch (r.leaf()) {
            case MemoryRegion.Ram ram -> ram.block();
            case MemoryRegion.Rom rom -> rom.block();
            default -> null;
        };
    }

    private static long baseOffset(FlatRange r) {
        return r.leafOffset() + switch (r.leaf()) {
            case MemoryRegion.Ram ram -> ram.offset();
            case MemoryRegion.Rom rom -> rom.offset();
            default -> 0;
        };
    }

    @Override
    public Translation translate(long address) {
        FlatRange r = find(address);
        if (r == null) {
            FlatRange[] v = view;
            long start = 0;
            long end = limit;
            for (FlatRange x : v) {
                if (x.end() <= address) {
                    start = x.end();
                } else if (x.start() > address) {
                    end = x.start();
                    break;
                }
            }
            return new Translation(start, end, null, 0, false);
        }
        RamBlock block = blockOf(r);
        return new Translation(r.start(), r.end(), block, block == null ? 0 : baseOffset(r),
                r.leaf() instanceof MemoryRegion.Ram);
    }

    @Override
    public long mapGeneration() {
        return generation.get();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(view);
    }
}
