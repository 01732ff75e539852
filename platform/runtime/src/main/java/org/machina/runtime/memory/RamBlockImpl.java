package org.machina.runtime.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import org.machina.api.memory.DirtyLog;
import org.machina.api.memory.RamBlock;

/** Page-aligned off-heap guest RAM, zero-filled, with a code-page bitmap and a range-limited dirty log. */
public final class RamBlockImpl implements RamBlock {
    private final String name;
    private final MemorySegment segment;
    private final BitSet codePages;
    private final AtomicLong codeGeneration = new AtomicLong();
    private final RangeDirtyLog dirtyLog;
    /** Per code generation (modulo the size), the first and last page of the write that made it. */
    private final int[] codeWriteFirst = new int[CODE_WRITE_LOG], codeWriteLast = new int[CODE_WRITE_LOG];
    private static final int CODE_WRITE_LOG = 64;

    private final boolean outlivesMachineThread;

    /** A block that lives as long as {@code arena}, which may be closed while the machine runs. */
    public RamBlockImpl(String name, long size, Arena arena) {
        this(name, size, arena, false);
    }

    /**
     * A block in {@code arena}; {@code outlivesMachineThread} when the arena is closed only after
     * the machine thread has ended (see {@link RamBlock#outlivesMachineThread}).
     */
    public RamBlockImpl(String name, long size, Arena arena, boolean outlivesMachineThread) {
        this.outlivesMachineThread = outlivesMachineThread;
        if (size <= 0 || size % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("RAM block '" + name + "' size must be a positive multiple of "
                    + PAGE_SIZE + ", not " + size);
        }
        this.name = name;
        this.segment = arena.allocate(size, PAGE_SIZE);
        this.codePages = new BitSet(Math.toIntExact(size / PAGE_SIZE));
        this.dirtyLog = new RangeDirtyLog(size);
    }

    @Override
    public boolean outlivesMachineThread() {
        return outlivesMachineThread;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return segment.byteSize();
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public void markDirty(long offset, long length) {
        if (length <= 0) {
            return;
        }
        int first = (int) (offset / PAGE_SIZE);
        int last = (int) ((offset + length - 1) / PAGE_SIZE);
        synchronized (codePages) {
            int hit = codePages.nextSetBit(first);
            if (hit >= 0 && hit <= last) {
                codePages.clear(first, last + 1);
                int g = (int) codeGeneration.incrementAndGet() & (CODE_WRITE_LOG - 1);
                codeWriteFirst[g] = first;
                codeWriteLast[g] = last;
            }
        }
        dirtyLog.mark(first, last);
    }

    @Override
    public DirtyLog dirtyLog() {
        return dirtyLog;
    }

    @Override
    public long codeGeneration() {
        return codeGeneration.get();
    }

    @Override
    public int codePagesWrittenSince(long since, long[] pages) {
        synchronized (codePages) {
            long now = codeGeneration.get();
            if (since < 0 || now - since > CODE_WRITE_LOG) {
                return -1;
            }
            int n = 0;
            for (long g = since + 1; g <= now; g++) {
                int k = (int) g & (CODE_WRITE_LOG - 1);
                for (int page = codeWriteFirst[k]; page <= codeWriteLast[k]; page++) {
                    if (n == pages.length) {
                        return -1;
                    }
                    pages[n++] = (long) page * PAGE_SIZE;
                }
            }
            return n;
        }
    }

    @Override
    public void markCodePage(long offset) {
        synchronized (codePages) {
            codePages.set((int) (offset / PAGE_SIZE));
        }
    }

    @Override
    public boolean isCodePage(long offset) {
        synchronized (codePages) {
            return codePages.get((int) (offset / PAGE_SIZE));
        }
    }

    /** Dirty log over a set of page ranges; pages outside the ranges are not recorded. */
    static final class RangeDirtyLog implements DirtyLog {
        private final int pages;
        private final BitSet watched;
        private BitSet dirty;
        private volatile boolean logging;

        RangeDirtyLog(long size) {
            this.pages = (int) (size / PAGE_SIZE);
            this.watched = new BitSet(pages);
            this.dirty = new BitSet(pages);
        }

        @Override
        public synchronized void start(long offset, long length) {
            if (offset < 0 || length <= 0 || offset + length > (long) pages * PAGE_SIZE) {
                throw new IllegalArgumentException("dirty log range [" + offset + ", +" + length
                        + ") is outside the block of " + (long) pages * PAGE_SIZE + " bytes");
            }
            watched.set((int) (offset / PAGE_SIZE), (int) ((offset + length - 1) / PAGE_SIZE) + 1);
            logging = true;
        }

        @Override
        public synchronized void stop() {
            logging = false;
            watched.clear();
            dirty.clear();
        }

        @Override
        public boolean isLogging() {
            return logging;
        }

        void mark(int first, int last) {
            if (!logging) {
                return;
            }
            synchronized (this) {
                for (int p = watched.nextSetBit(first); p >= 0 && p <= last; p = watched.nextSetBit(p + 1)) {
                    dirty.set(p);
                }
            }
        }

        @Override
        public synchronized BitSet collectAndClear() {
            BitSet result = dirty;
            dirty = new BitSet(pages);
            return result;
        }
    }
}
