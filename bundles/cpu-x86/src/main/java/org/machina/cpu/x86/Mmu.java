package org.machina.cpu.x86;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.machina.api.fastpath.FastPathDispatch;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.RamBlock;
import org.machina.api.memory.Translation;

/**
 * Linear memory: two-level paging (4 KiB pages, 4 MiB pages with CR4.PSE, CR0.WP, A/D bits) and
 * a direct-mapped software TLB from linear pages to RAM {@link MemorySegment}s. Pages that are
 * not plain RAM (devices, ROM writes, pages under dirty logging or holding code) go through
 * {@link AddressSpace#read}/{@link AddressSpace#write} every time. A device page with fast-path
 * handlers ({@link FastPathDispatch#servesMemoryPage}) has a TLB entry of its own kind
 * ({@link #DEVICE}): the RAM fast path misses it, and the slow path finds its physical page there
 * instead of walking the page tables again.
 */
abstract class Mmu extends X86State {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_NE = 0x20, CR0_WP = 0x10000,
            CR0_PG = 0x80000000;
    static final int CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 0x10, CR4_PGE = 0x80;

    /** Entries per bank of the TLB (four banks: supervisor and user, each for loads and for stores). */
    static final int TLB_SIZE = 1024;
    /**
     * The low bits of a TLB tag: a RAM page (reached by {@link #slot}) or a device page with
     * fast-path handlers, whose {@link #tlbOff} is the physical page (reached by
     * {@link #deviceSlot} on the slow path). Every flush clears both alike.
     */
    static final int RAM = 1;
    private static final int DEVICE = 3;
    private final int[] tlbTag = new int[TLB_SIZE * 4];
    private final MemorySegment[] tlbSeg = new MemorySegment[TLB_SIZE * 4];
    private final RamBlock[] tlbRam = new RamBlock[TLB_SIZE * 4];
    private final long[] tlbOff = new long[TLB_SIZE * 4];
    /**
     * The native address of the entry's page when its RAM block outlives the machine thread (the
     * machine's RAM, see {@link RamBlock#outlivesMachineThread}), else 0: loads and stores then go
     * through {@link #NATIVE} without the RAM segment's liveness and bounds checks.
     */
    private final long[] tlbAddr = new long[TLB_SIZE * 4];
    /** All of the address space, for the raw addresses of {@link #tlbAddr}. */
    private static final MemorySegment NATIVE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    /**
     * Hot code's TLB ({@link #hotRead32} ...): for entry {@code i}, element {@code 2i} is its tag
     * when the entry has a raw address ({@link #tlbAddr}), else 0 (no tag is 0: a tag's low bit is
     * set), and element {@code 2i + 1} what to add to a linear address of the page for its raw
     * address. Side by side, so a probe reads one array with one bounds check and one cache line
     * (two arrays had two of each, their references and lengths held in stack slots across the
     * hot block's calls); kept with {@link #tlbTag} wherever that is written.
     */
    private final long[] tlbHot = new long[TLB_SIZE * 8];
    /** A hot TLB that matches no page: what hot code probes while {@link #slowAccesses}. */
    private static final long[] NO_HOT = new long[TLB_SIZE * 8];
    private final boolean[] tlbGlobal = new boolean[TLB_SIZE * 4];
    /** Whether the last {@link #translate} walk ended in a global page. */
    private boolean lastGlobal;
    private long seenMapGeneration = -1;

    final CpuFault fault = new CpuFault();
    final AddressSpace mem;
    /**
     * The machine's fast-path handlers ({@link org.machina.api.fastpath}), offered every port
     * access and every load or store that reaches a page that is not RAM, before the address space.
     */
    FastPathDispatch fastPath = FastPathDispatch.NONE;
    /** Where a served fast-path read leaves its value (reused: a served access allocates nothing). */
    final FastPathRead fastRead = new FastPathRead();
    /** Profiling counter (see {@link X86Cpu#statistics}): accesses served by fast-path handlers. */
    long fastPathServed;
    /** Forces supervisor accesses (descriptor tables, TSS) regardless of CPL. */
    boolean supervisorAccess;

    Mmu(AddressSpace mem) {
        this.mem = mem;
    }

    final CpuFault raise(int vector, int error) {
        return fault.set(vector, error, true);
    }

    final CpuFault raise(int vector) {
        return fault.set(vector, 0, false);
    }

    // instruction fetch cache: the decoded RAM page EIP is on
    private int fetchTag = 0, fetchCpl = -1;
    private CodeCache.Page fetchPage;
    /** Whether the TLB entry the fetch page was reached through maps a global page (see {@link #block}). */
    private boolean fetchGlobal;
    final CodeCache code = new CodeCache();

    /** Whether {@code lin} is on the current fetch page, reached at the current privilege level. */
    private boolean onFetchPage(int lin) {
        return ((lin & 0xfffff000) | 1) == fetchTag && fetchCpl == cpl;
    }

    /** Reads one instruction byte (no watchpoint checks). */
    final int fetchByte(int lin) {
        return onFetchPage(lin) ? fetchPage.bytes[lin & 0xfff] & 0xff : fetchSlow(lin);
    }

    /**
     * Reads the {@code size}-byte (2 or 4) little-endian instruction field at {@code lin} when it
     * lies inside the current fetch page; returns -1L otherwise (the caller then reads bytewise).
     */
    final long fetchField(int lin, int size) {
        if (onFetchPage(lin) && (lin & 0xfff) <= 0x1000 - size) {
            byte[] b = fetchPage.bytes;
            int o = lin & 0xfff;
            return size == 4 ? (int) LE32.get(b, o) & 0xffffffffL : (short) LE16.get(b, o) & 0xffffL;
        }
        return -1L;
    }

    private static final java.lang.invoke.VarHandle LE32 =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle LE16 =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * The packed decode cached for the instruction at {@code lin}, or 0 when EIP's page is not
     * the current fetch page or the instruction was not decoded yet.
     */
    final long cachedHeader(int lin) {
        return onFetchPage(lin) ? fetchPage.headers[lin & 0xfff] : 0;
    }

    /**
     * Caches the decode of the instruction at {@code lin} whose prefixes and opcode took
     * {@code len} bytes, if they were all read from the current fetch page. Any ModRM decode
     * cached for an earlier instruction at {@code lin} is dropped.
     */
    final void cacheHeader(int lin, int len, int header) {
        if (onFetchPage(lin) && (lin & 0xfff) + len <= 0x1000) {
            fetchPage.headers[lin & 0xfff] = header & 0xffffffffL;
        }
    }

    /**
     * Caches the ModRM decode of the instruction at {@code lin} that ends {@code len} bytes
     * later, if it lies whole in the current fetch page.
     */
    final void cacheModrm(int lin, int len, int form) {
        if (onFetchPage(lin) && (lin & 0xfff) + len <= 0x1000) {
            long[] h = fetchPage.headers;
            int o = lin & 0xfff;
            h[o] = (h[o] & 0xffffffffL) | ((long) form << 32);
        }
    }

    /**
     * Reads a displacement of the instruction being executed from the current fetch page:
     * {@code code} 1 for a sign-extended byte, 2 for a 16-bit and 3 for a 32-bit field. Only for
     * instructions whose cached decode says they lie whole in that page.
     */
    final int codeDisp(int lin, int code) {
        byte[] b = fetchPage.bytes;
        int o = lin & 0xfff;
        return code == 1 ? b[o] : code == 2 ? (short) LE16.get(b, o) & 0xffff : (int) LE32.get(b, o);
    }

    private int fetchSlow(int lin) {
        syncCode();
        int i = slot(lin, false);
        if (i < 0) {
            long phys = fill(lin, false);
            i = tlbIndex(lin, false);
            if (tlbTag[i] != ((lin & 0xfffff000) | RAM)) {
                return (int) mem.read(phys, 1) & 0xff;
            }
        }
        CodeCache.Page p = (tlbOff[i] & 0xfff) == 0 ? code.page(tlbRam[i], tlbOff[i]) : null;
        if (p == null) return tlbSeg[i].get(ValueLayout.JAVA_BYTE, tlbOff[i] + (lin & 0xfff)) & 0xff;
        enter(i, p);
        return p.bytes[lin & 0xfff] & 0xff;
    }

    /**
     * Makes the page of {@code lin} the fetch page when the TLB already maps it to RAM, as
     * {@link #fetchSlow} would, so a block found there runs at once instead of after one
     * interpreted instruction (a call or return into another page). Returns false, changing
     * nothing that matters, when it would need a page walk, which may fault: the interpreter
     * then fetches, and the walk's fault is the instruction's.
     */
    private boolean enterFetchPage(int lin) {
        int i = slot(lin, false);
        if (i < 0 || (tlbOff[i] & 0xfff) != 0 || tlbRam[i] == null) return false;
        syncCode();
        if (slot(lin, false) != i) return false;
        CodeCache.Page p = code.page(tlbRam[i], tlbOff[i]);
        if (p == null) return false;
        enter(i, p);
        return true;
    }

    /** Makes {@code p}, reached through TLB entry {@code i}, the fetch page. */
    private void enter(int i, CodeCache.Page p) {
        if (code.newlyMarked) dropWriteTranslations();
        fetchTag = tlbTag[i];
        fetchCpl = cpl;
        fetchGlobal = tlbGlobal[i];
        fetchPage = p;
    }

    /** Logs {@code message} once per {@code key}. */
    abstract void warnOnce(String key, String message);

    /** The translator, or null while it is off (the interpreter runs everything). */
    BlockCompiler compiler;
    /** How often an instruction start is interpreted before a block is translated there (1..100). */
    int translateThreshold = 1;
    /** Whether blocks are translated on a thread of their own (see {@link Accel#background}). */
    boolean translateInBackground;

    /** A translation made on a translator thread, to be installed by this CPU's thread. */
    private record Translated(CodeCache.Page page, RamBlock ram, long pageOffset, int entry, int lin,
            byte[] snapshot, TranslatedBlock block, String failure) {
    }

    /** Translations done in the background, not yet installed. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Translated> finished =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Background translations requested and not yet installed or discarded. */
    private final java.util.concurrent.atomic.AtomicInteger translating = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * The last entry seen waiting for its background translation: the instructions after it, which
     * the interpreter runs meanwhile, are not counted as entries of their own.
     */
    private CodeCache.Page pendingPage;
    private int pendingEntry;
    /** At most this many background translations at once; hot starts beyond wait for a later turn. */
    private static final int MAX_TRANSLATING = 32;

    /**
     * The translated block starting at CS:EIP ({@code csBase + eip}) if there is one for this
     * code-segment base, EIP and default size; otherwise counts the start and translates a block
     * there once it is hot (on this thread, or on a translator thread while the interpreter goes
     * on). Null when the translator is off, EIP is not on the current fetch page or no block can
     * start there.
     */
    final TranslatedBlock block(int csBase, int eip, boolean code32) {
        int lin = csBase + eip;
        coldStart = false;
        if (compiler == null) return null;
        if (translateInBackground && !finished.isEmpty()) installTranslated();
        int h = (lin ^ (lin >>> 10)) & (JUMP_CACHE - 1);
        TranslatedBlock j = jumpBlock[h];
        if (j != null && j.startsAt(csBase, eip, code32) && j.jumpCpl == cpl && !j.dropped) {
            long stamp = j.jumpStamp;
            if (stamp == mapEpoch || stamp == globalStamp) {
                jumpHits++;
                if (++j.jumpRuns == hotRuns && !j.hot()) return promote(h, j, lin);
                return j;
            }
        }
        TranslatedBlock b = lookUpBlock(csBase, eip, code32, lin);
        if (b != null && b != TranslatedBlock.NONE && b != TranslatedBlock.PENDING) {
            jumpBlock[h] = b;
            b.jumpCpl = cpl;
            b.jumpStamp = fetchGlobal ? globalStamp : mapEpoch;
            b.jumpRuns = 0;
            jumpPages[lin >>> 18] |= 1L << (lin >>> 12);
        }
        return b;
    }

    /**
     * Runs from the jump cache entry after which a block is translated again as hot code (0: never;
     * {@code -accel tcg,hot=N}). Translated blocks are compiled by HotSpot's C1 alone, which
     * calls the memory and flag helpers and spills its registers around each call; the few
     * blocks a guest spends most of its time in are worth C2's time, which inlines the helpers
     * and keeps values in registers across the block's loop (see {@link JitDirectives}).
     */
    int hotRuns;
    /**
     * A hot block's region ({@link BlockCompiler}) takes in the code at a target inside its page
     * when the block there ran at least this fraction of {@link #hotRuns} from the jump cache:
     * the paths the guest takes, not every branch (C2's time grows with the code it compiles,
     * and it compiles again each branch its first compilation left out as never taken).
     */
    static final int REGION_RUNS = 8;
    /** Blocks translated again as hot code (statistics). */
    long blocksPromoted;

    /**
     * Block {@code j}, found in jump-cache entry {@code h} for linear address {@code lin}, ran
     * {@link #hotRuns} times from it: translates it again as hot code from its page's bytes
     * (unchanged since, or the block would have been dropped) and puts the new block in its
     * place. Returns the block to run: {@code j} if it cannot be replaced.
     */
    private TranslatedBlock promote(int h, TranslatedBlock j, int lin) {
        if (!onFetchPage(lin) && !enterFetchPage(lin)) return j;
        CodeCache.Page p = fetchPage;
        int o = lin & 0xfff;
        if (p.blocks == null || p.blocks[o] != j) return j;
        TranslatedBlock hot;
        try {
            TranslatedBlock[] blocks = p.blocks;
            int often = hotRuns / REGION_RUNS;
            hot = compiler.compile(p.bytes, o, j.csBase(), j.eip(), j.code32(), at -> {
                TranslatedBlock b = blocks[at];
                return b != null && b != TranslatedBlock.NONE && b != TranslatedBlock.PENDING && b.jumpRuns >= often;
            });
        } catch (RuntimeException | LinkageError e) { // the block stays as it was
            warnOnce("promote" + e.getClass().getName(), "translating the hot block at " + Integer.toHexString(lin)
                    + " again failed (" + e + "); it keeps its first translation");
            return j;
        }
        if (hot == null || hot.bytes() < j.bytes()) return j;
        p.translated.remove(j);
        j.dropped = true;
        p.translated.add(hot);
        p.blocks[o] = hot;
        for (int k : hot.entries) { // the region's other entries run its code too
            TranslatedBlock e = hot.entry(k);
            TranslatedBlock old = p.blocks[e.offset()];
            if (old != null && old != TranslatedBlock.NONE && old != TranslatedBlock.PENDING) {
                p.translated.remove(old);
                old.dropped = true;
            }
            p.blocks[e.offset()] = e;
            p.translated.add(e);
        }
        hot.jumpCpl = j.jumpCpl;
        hot.jumpStamp = j.jumpStamp;
        hot.jumpRuns = j.jumpRuns;
        jumpBlock[h] = hot;
        blocksPromoted++;
        return hot;
    }

    /**
     * Blocks found by {@link #block} by linear address and CPL, in front of the
     * code page lookup (which makes the block's page the fetch page, syncing the code cache when
     * the page changes, and counts heat): a direct-mapped cache, a TLB of blocks. An entry holds
     * while its block is not {@link TranslatedBlock#dropped} (its bytes unchanged, its page
     * cached) and the linear page still maps where it did, as far as the TLB must know: its stamp
     * is {@link #mapEpoch}, bumped by every TLB flush, or for a block reached through a global
     * page (PTE or PDE G bit with CR4.PGE) {@link #globalStamp}, which a CR3 load leaves alone as
     * it leaves the page's TLB entry. INVLPG drops the entries of its page alone
     * ({@link #flushTlbPage}). Code pages written by others (DMA) are synced once per burst
     * ({@link X86Cpu}), not per block.
     *
     * <p>A block has one linear address, so one entry: what the entry must remember (the CPL, the
     * stamp, the runs) is kept in the block ({@link TranslatedBlock#jumpCpl} ...). A hit then reads
     * the array and the block, which the run loop reads anyway; parallel arrays of keys, stamps and
     * counts cost a cache line each, and perf put a third of the run loop's time in those loads
     * while the kernel's decompressor ran.
     */
    private static final int JUMP_CACHE = 16384;
    private final TranslatedBlock[] jumpBlock = new TranslatedBlock[JUMP_CACHE];
    /**
     * One bit per linear page: set when a jump-cache entry for the page is filled, cleared when
     * INVLPG has dropped the page's entries. INVLPG scans the cache only for a page whose bit is
     * set: most pages it invalidates hold data, not code the cache has seen.
     */
    private final long[] jumpPages = new long[1 << 14];
    /** Bumped by every TLB flush (never reaches {@link #GLOBAL_STAMP}). */
    private long mapEpoch;
    /** The stamp of global-page entries: {@link #GLOBAL_STAMP} plus the number of full TLB flushes. */
    private long globalStamp = GLOBAL_STAMP;
    private static final long GLOBAL_STAMP = 1L << 62;

    /** Blocks found in the jump cache (statistics). */
    long jumpHits;
    /** Set by {@link #block} when it returned null because the start is not yet hot: its heat was counted. */
    boolean coldStart;

    private TranslatedBlock lookUpBlock(int csBase, int eip, boolean code32, int lin) {
        if (!onFetchPage(lin) && !enterFetchPage(lin)) return null;
        CodeCache.Page p = fetchPage;
        int o = lin & 0xfff;
        TranslatedBlock[] blocks = p.blocks;
        if (blocks == null) {
            blocks = p.blocks = new TranslatedBlock[RamBlock.PAGE_SIZE];
            p.heat = new char[RamBlock.PAGE_SIZE];
        }
        TranslatedBlock b = blocks[o];
        if (b == TranslatedBlock.PENDING) {
            pendingPage = p;
            pendingEntry = o;
            return null;
        }
        if (b == TranslatedBlock.NONE) return null;
        if (b != null && b.csBase() == csBase && b.eip() == eip && b.code32() == code32) return b;
        if (p == pendingPage && o > pendingEntry && o - pendingEntry < BlockCompiler.MAX_BYTES
                && blocks[pendingEntry] == TranslatedBlock.PENDING) {
            return null; // inside the block being translated: not an entry of its own (the synchronous translator never sees it)
        }
        if (++p.heat[o] < translateThreshold) {
            coldStart = true;
            return null;
        }
        p.heat[o] = 0;
        if (translateInBackground) {
            if (translating.get() >= MAX_TRANSLATING) return null;
            if (b != null) replaced(p, b);
            blocks[o] = TranslatedBlock.PENDING;
            pendingPage = p;
            pendingEntry = o;
            translating.incrementAndGet();
            translateLater(p, o, lin, csBase, eip, code32);
            return null;
        }
        if (b != null) replaced(p, b);
        String failure = null;
        try {
            b = compiler.compile(p.bytes, o, csBase, eip, code32);
        } catch (RuntimeException | LinkageError e) { // a translator bug must not reach the guest
            failure = e.toString();
            b = null;
        }
        install(p, o, b, failure, lin);
        return b;
    }

    /**
     * Block {@code b} of page {@code p} gives way to a translation for another key at its entry:
     * it leaves the page's list (a store no longer finds it), so it counts as dropped and the jump
     * cache forgets it too.
     */
    private void replaced(CodeCache.Page p, TranslatedBlock b) {
        p.translated.remove(b);
        b.dropped = true;
        code.drops++;
    }

    /** Starts a background translation: a virtual thread each (a test may hold them and run them when it likes). */
    java.util.function.Consumer<Runnable> translatorThread = r -> Thread.ofVirtual().name("x86-translator").start(r);

    /** Translates on a {@link #translatorThread} from a copy of the page's bytes; the result waits in {@link #finished}. */
    private void translateLater(CodeCache.Page p, int o, int lin, int csBase, int eip, boolean code32) {
        byte[] snapshot = p.bytes.clone();
        RamBlock ram = p.ram;
        long pageOffset = p.offset;
        BlockCompiler c = compiler;
        translatorThread.accept(() -> {
            TranslatedBlock b = null;
            String failure = null;
            try {
                b = c.compile(snapshot, o, csBase, eip, code32);
            } catch (RuntimeException | LinkageError e) { // a translator bug must not reach the guest
                failure = e.toString();
            }
            finished.add(new Translated(p, ram, pageOffset, o, lin, snapshot, b, failure));
        });
    }

    /**
     * Installs the background translations that are done, each only if its page still holds the
     * same RAM page, the entry still waits for it, and the bytes it was made from are unchanged
     * (a store or DMA since then makes it stale: it is dropped and the start may heat up again).
     */
    private void installTranslated() {
        Translated t;
        while ((t = finished.poll()) != null) {
            translating.decrementAndGet();
            CodeCache.Page p = t.page();
            if (p.ram != t.ram() || p.offset != t.pageOffset() || p.blocks == null
                    || p.blocks[t.entry()] != TranslatedBlock.PENDING) {
                continue;
            }
            TranslatedBlock b = t.block();
            if (b != null && !java.util.Arrays.equals(p.bytes, b.low(), b.offset() + b.bytes(), t.snapshot(),
                    b.low(), b.offset() + b.bytes())) {
                p.blocks[t.entry()] = null;
                continue;
            }
            install(p, t.entry(), b, t.failure(), t.lin());
            if (b != null && p.heat != null) {
                // the instructions after the entry were not counted while the block was pending, and
                // what they counted before is stale: the interpreter may be among them now (the block
                // arrived mid-loop) and must not make them entries of their own on its way back
                java.util.Arrays.fill(p.heat, t.entry() + 1, Math.min(t.entry() + b.bytes(), p.heat.length), (char) 0);
            }
        }
    }

    /** Puts a translation (or, for {@code null}, the mark that none can start there) at {@code o} of {@code p}. */
    private void install(CodeCache.Page p, int o, TranslatedBlock b, String failure, int where) {
        if (failure != null) {
            warnOnce("translate" + failure.split(":", 2)[0], "translating the block at " + Integer.toHexString(where) + " failed ("
                    + failure + "); the interpreter runs it");
        }
        if (b == null) {
            p.blocks[o] = TranslatedBlock.NONE;
            return;
        }
        p.blocks[o] = b;
        p.translated.add(b);
    }

    /** Drops cached code whose RAM was written since the last call (see {@link CodeCache}). */
    final void syncCode() {
        if (code.sync()) fetchTag = 0; // the blocks of dropped pages are marked dropped
    }

    /** A page became code: writes to it must take the slow path so they invalidate it. */
    private void dropWriteTranslations() {
        java.util.Arrays.fill(tlbTag, TLB_SIZE, 2 * TLB_SIZE, 0);
        java.util.Arrays.fill(tlbTag, 3 * TLB_SIZE, 4 * TLB_SIZE, 0);
        java.util.Arrays.fill(tlbHot, 2 * TLB_SIZE, 4 * TLB_SIZE, 0);
        java.util.Arrays.fill(tlbHot, 6 * TLB_SIZE, 8 * TLB_SIZE, 0);
    }

    /** Profiling counters (see {@link X86Cpu#statistics}): TLB fills (page walks) and flushes. */
    long tlbFills, tlbFlushes, tlbPageFlushes;

    final void flushTlb() {
        tlbFlushes++;
        fetchTag = 0;
        mapEpoch++;
        globalStamp++;
        java.util.Arrays.fill(tlbTag, 0);
        java.util.Arrays.fill(tlbHot, 0);
        java.util.Arrays.fill(tlbSeg, null);
        java.util.Arrays.fill(tlbRam, null);
        nonGlobalFills = 0;
    }

    /**
     * The TLB entries filled with a translation of a non-global page since the last flush, in
     * fill order (an entry filled again is listed again), the first {@link #nonGlobalFills} of
     * them: a CR3 load clears those alone instead of scanning all 4,096 entries. A Linux boot to
     * /init loads CR3 about 17,700 times with a dozen or so fills between two loads. More fills
     * than the list holds make the next CR3 load scan every entry, as before.
     */
    private final int[] nonGlobalFilled = new int[TLB_SIZE * 4];
    private int nonGlobalFills;

    /** A CR3 load: with CR4.PGE, translations of global pages (G bit) survive. */
    final void flushTlbNonGlobal() {
        if ((cr4 & CR4_PGE) == 0) {
            flushTlb();
            return;
        }
        tlbFlushes++;
        fetchTag = 0;
        mapEpoch++;
        if (nonGlobalFills > nonGlobalFilled.length) {
            for (int i = 0; i < tlbTag.length; i++) {
                if (!tlbGlobal[i]) dropEntry(i);
            }
        } else {
            for (int k = 0; k < nonGlobalFills; k++) {
                int i = nonGlobalFilled[k];
                if (!tlbGlobal[i]) dropEntry(i); // it may have been filled again with a global page since
            }
        }
        nonGlobalFills = 0;
    }

    /** Makes TLB entry {@code i} match nothing, for the interpreter and for hot code. */
    private void dropEntry(int i) {
        tlbTag[i] = 0;
        tlbHot[2 * i] = 0;
    }

    /** INVLPG: drops the TLB entries and the jump-cache entries of the page of {@code lin}. */
    final void flushTlbPage(int lin) {
        tlbPageFlushes++;
        fetchTag = 0;
        int i = (lin >>> 12) & (TLB_SIZE - 1);
        for (int k = 0; k < 4; k++) dropEntry(k * TLB_SIZE + i);
        long bit = 1L << (lin >>> 12);
        if ((jumpPages[lin >>> 18] & bit) == 0) return;
        jumpPages[lin >>> 18] &= ~bit;
        int page = lin & 0xfffff000;
        for (int h = 0; h < JUMP_CACHE; h++) {
            TranslatedBlock j = jumpBlock[h];
            if (j != null && (j.csBase() + j.eip() & 0xfffff000) == page) jumpBlock[h] = null;
        }
    }

    final void checkMapGeneration() {
        long g = mem.mapGeneration();
        if (g != seenMapGeneration) {
            seenMapGeneration = g;
            flushTlb();
        }
    }

    private int kind(boolean write) {
        return ((cpl == 3 && !supervisorAccess) ? 2 : 0) + (write ? 1 : 0);
    }

    /**
     * The physical addresses this CPU generates: all ones, or bit 20 clear while the A20 gate is
     * off (see {@link #setA20}).
     */
    private long a20Mask = 0xffffffffL;

    /**
     * Opens or closes the A20 gate. Every physical address (page-table entries included) is
     * masked with it, so translations cached in the TLB and the current fetch page are dropped on
     * every change; decoded code is kept per physical page and stays valid.
     */
    final void setA20(boolean enabled) {
        long mask = enabled ? 0xffffffffL : 0xffefffffL;
        if (mask == a20Mask) return;
        a20Mask = mask;
        flushTlb();
    }

    /** Translates a linear address, walking the page tables; raises #PF. */
    final long translate(int lin, boolean write, boolean user) {
        return translatePaged(lin, write, user) & a20Mask;
    }

    private long translatePaged(int lin, boolean write, boolean user) {
        if ((cr0 & CR0_PG) == 0) {
            lastGlobal = false;
            return lin & 0xffffffffL;
        }
        int err = (write ? 2 : 0) | (user ? 4 : 0);
        long pdeAddr = ((cr3 & 0xfffff000L) + ((lin >>> 22) << 2)) & a20Mask;
        int pde = (int) mem.read(pdeAddr, 4);
        if ((pde & 1) == 0) {
            throw pageFault(lin, err);
        }
        if ((pde & 0x80) != 0 && (cr4 & CR4_PSE) != 0) {
            check(pde, lin, err, write, user);
            lastGlobal = (pde & 0x100) != 0;
            int upd = pde | 0x20 | (write ? 0x40 : 0);
            if (upd != pde) mem.write(pdeAddr, 4, upd & 0xffffffffL);
            return ((pde & 0xffc00000L) | (lin & 0x3fffff)) & 0xffffffffL;
        }
        long pteAddr = ((pde & 0xfffff000L) + (((lin >>> 12) & 0x3ff) << 2)) & a20Mask;
        int pte = (int) mem.read(pteAddr, 4);
        if ((pte & 1) == 0) {
            throw pageFault(lin, err);
        }
        check(pde & pte, lin, err, write, user);
        lastGlobal = (pte & 0x100) != 0;
        if ((pde & 0x20) == 0) mem.write(pdeAddr, 4, (pde | 0x20) & 0xffffffffL);
        int upd = pte | 0x20 | (write ? 0x40 : 0);
        if (upd != pte) mem.write(pteAddr, 4, upd & 0xffffffffL);
        return ((pte & 0xfffff000L) | (lin & 0xfff));
    }

    private void check(int bits, int lin, int err, boolean write, boolean user) {
        if (user && (bits & 4) == 0) throw pageFault(lin, err | 1);
        if (write && (bits & 2) == 0 && (user || (cr0 & CR0_WP) != 0)) throw pageFault(lin, err | 1);
    }

    private CpuFault pageFault(int lin, int err) {
        cr2 = lin;
        return raise(14, err);
    }

    /** The RAM block and page offset the last {@link #fill} reached, null when not RAM. */
    private RamBlock fillRam;
    private long fillOffset;

    /** Fills a TLB entry for the page of {@code lin}; returns the physical address. */
    private long fill(int lin, boolean write) {
        tlbFills++;
        boolean user = cpl == 3 && !supervisorAccess;
        long phys = translate(lin, write, user);
        long page = phys & ~0xfffL;
        Translation t = mem.translate(page);
        fillRam = null;
        if (t != null && t.isRam() && t.start() <= page && t.end() >= page + 4096 && (!write || t.writable())) {
            RamBlock ram = t.ram();
            long off = t.ramOffset() + (page - t.start());
            fillRam = ram;
            fillOffset = off;
            if (!write || (!ram.isCodePage(off) && !ram.dirtyLog().isLogging())) {
                setEntry(tlbIndex(lin, write), (lin & 0xfffff000) | RAM, ram.segment(), ram, off,
                        ram.outlivesMachineThread() && ram.segment().isNative() ? ram.segment().address() + off : 0);
            }
        } else if (!slowAccesses && fastPath.servesMemoryPage(page)) {
            setEntry(tlbIndex(lin, write), (lin & 0xfffff000) | DEVICE, null, null, page, 0);
        }
        return phys;
    }

    /** The TLB entry for the page of {@code lin}, for a load or a store at the current privilege. */
    private int tlbIndex(int lin, boolean write) {
        return kind(write) * TLB_SIZE + ((lin >>> 12) & (TLB_SIZE - 1));
    }

    /** Fills TLB entry {@code i} (a RAM page: its segment, block, offset and raw address; a device page: its physical page). */
    private void setEntry(int i, int tag, MemorySegment seg, RamBlock ram, long off, long addr) {
        tlbTag[i] = tag;
        tlbSeg[i] = seg;
        tlbRam[i] = ram;
        tlbOff[i] = off;
        tlbAddr[i] = addr;
        tlbGlobal[i] = lastGlobal;
        if (!lastGlobal) {
            if (nonGlobalFills < nonGlobalFilled.length) nonGlobalFilled[nonGlobalFills] = i;
            if (nonGlobalFills <= nonGlobalFilled.length) nonGlobalFills++; // past the end: scan all
        }
        tlbHot[2 * i] = addr != 0 ? tag : 0;
        tlbHot[2 * i + 1] = addr - Integer.toUnsignedLong(tag & 0xfffff000);
    }

    /** When set (watchpoints armed) every access takes the slow path and reports to {@link #watch}. */
    boolean watchActive;
    /** Every access takes the slow path: debugger watchpoints, DR data breakpoints, or lockstep. */
    boolean slowAccesses;
    /** While set, stores are recorded in {@link #writeLog} (lockstep; with {@link #slowAccesses}). */
    WriteLog writeLog;

    /** Watchpoint hook for slow-path accesses. */
    void watch(int lin, int size, boolean write) {
    }

    private int slot(int lin, boolean write) {
        return entry(lin, write, RAM);
    }

    /*
     * The TLB hit path of translated code (BlockCompiler.Emitter#load/#store), read once at a
     * block's entry: nothing a block runs changes the CPL, supervisorAccess (set only around
     * system-structure accesses, in try/finally) or slowAccesses (a DR write or a debugger
     * watchpoint, never inside a block), and the arrays are never replaced (flushes clear them in
     * place). A hit there is exactly the hit of read8..write32: same entry, same tag, a raw
     * address; anything else calls them.
     */

    /**
     * The TLB hot code probes ({@link #tlbHot}): none while every access must take the slow path,
     * and for one block entry in {@link #MISS_EVERY}, so that the slow path of the hot accessors
     * ({@link #hotRead32} ...) is in their branch profile whenever C2 compiles a block: a path the
     * profile shows never taken, C2 leaves out as an uncommon trap, and the first miss after that
     * (the next TLB flush) threw away every hot block at once (32 deoptimisations in 40 ms while
     * the kernel decompresses itself, and C2 compiled them all again).
     */
    final long[] inlineHot() {
        return slowAccesses || (++inlineEntries & (MISS_EVERY - 1)) == 0 ? NO_HOT : tlbHot;
    }

    /** One block entry in this many probes no tags ({@link #inlineHot}); a power of 2. */
    static final int MISS_EVERY = 1024;
    private int inlineEntries;

    /** The first entry of the load bank at the current privilege (the store bank follows it). */
    final int inlineBank() {
        return kind(false) * TLB_SIZE;
    }

    /*
     * Hot code's memory accesses (BlockCompiler.Emitter#load/#store with the inline TLB): the hit
     * path of read8..write32 as static methods C2 inlines into each hot block, with their slow path
     * the call of read8..write32. They are methods rather than each block's own bytecode for C2's
     * profile: the branch a block's own bytecode took to the slow path had its own count, which
     * C1's profiling tier often saw at 0 (no miss in those runs), so C2 left the slow path out as
     * an uncommon trap and the first miss (a TLB flush, a new page) threw the compiled block away
     * ("unstable_if" deoptimisations: 63 of 70 of the hot blocks' deoptimisations while the
     * kernel decompresses itself). The branch here counts the misses of every block.
     */

    /** The index in {@link #tlbHot} of the tag of the entry for the page of {@code lin} in bank {@code bank}. */
    private static int hotIndex(int bank, int lin) {
        return (bank + ((lin >>> 12) & (TLB_SIZE - 1))) << 1;
    }

    /**
     * The tag a hit must find for {@code bytes} at {@code lin}: that of the page of the last byte
     * (an access across pages misses).
     */
    private static int hotTag(int lin, int bytes) {
        return ((lin + bytes - 1) & 0xfffff000) | RAM;
    }

    /** The raw address of {@code lin} through hot TLB entry {@code x}. */
    private static long hotAddress(long[] hot, int x, int lin) {
        return Integer.toUnsignedLong(lin) + hot[x + 1];
    }

    static int hotRead8(Mmu m, long[] hot, int bank, int lin) {
        int x = hotIndex(bank, lin);
        return (int) hot[x] == hotTag(lin, 1) ? rawRead8(hotAddress(hot, x, lin)) : m.read8(lin);
    }

    static int hotRead16(Mmu m, long[] hot, int bank, int lin) {
        int x = hotIndex(bank, lin);
        return (int) hot[x] == hotTag(lin, 2) ? rawRead16(hotAddress(hot, x, lin)) : m.read16(lin);
    }

    static int hotRead32(Mmu m, long[] hot, int bank, int lin) {
        int x = hotIndex(bank, lin);
        return (int) hot[x] == hotTag(lin, 4) ? rawRead32(hotAddress(hot, x, lin)) : m.read32(lin);
    }

    static void hotWrite8(Mmu m, long[] hot, int bank, int lin, int v) {
        int x = hotIndex(bank + TLB_SIZE, lin);
        if ((int) hot[x] == hotTag(lin, 1)) rawWrite8(hotAddress(hot, x, lin), v);
        else m.write8(lin, v);
    }

    static void hotWrite16(Mmu m, long[] hot, int bank, int lin, int v) {
        int x = hotIndex(bank + TLB_SIZE, lin);
        if ((int) hot[x] == hotTag(lin, 2)) rawWrite16(hotAddress(hot, x, lin), v);
        else m.write16(lin, v);
    }

    static void hotWrite32(Mmu m, long[] hot, int bank, int lin, int v) {
        int x = hotIndex(bank + TLB_SIZE, lin);
        if ((int) hot[x] == hotTag(lin, 4)) rawWrite32(hotAddress(hot, x, lin), v);
        else m.write32(lin, v);
    }

    /** {@link #probeUpdate} for hot code: nothing to check when the write TLB maps the {@code bytes} to RAM. */
    static void hotProbeUpdate(Mmu m, long[] hot, int bank, int lin, int bytes) {
        if ((int) hot[hotIndex(bank + TLB_SIZE, lin)] != hotTag(lin, bytes)) m.probeUpdate(lin, bytes);
    }

    static int rawRead8(long a) {
        return NATIVE.get(ValueLayout.JAVA_BYTE, a) & 0xff;
    }

    static int rawRead16(long a) {
        return NATIVE.get(I16, a) & 0xffff;
    }

    static int rawRead32(long a) {
        return NATIVE.get(I32, a);
    }

    static void rawWrite8(long a, int v) {
        NATIVE.set(ValueLayout.JAVA_BYTE, a, (byte) v);
    }

    static void rawWrite16(long a, int v) {
        NATIVE.set(I16, a, (short) v);
    }

    static void rawWrite32(long a, int v) {
        NATIVE.set(I32, a, v);
    }

    /**
     * The TLB entry of a device page with fast-path handlers holding {@code lin}, or -1: the slow
     * path's way around the page walk (not while every access must take it in full).
     */
    private int deviceSlot(int lin, boolean write) {
        return entry(lin, write, DEVICE);
    }

    /** The TLB entry holding the page of {@code lin} as a {@code type} ({@link #RAM} or {@link #DEVICE}) page, or -1. */
    private int entry(int lin, boolean write, int type) {
        if (slowAccesses) return -1;
        int i = tlbIndex(lin, write);
        return tlbTag[i] == ((lin & 0xfffff000) | type) ? i : -1;
    }

    public final int read8(int lin) {
        int i = slot(lin, false);
        if (i >= 0) {
            long a = tlbAddr[i];
            return (a != 0 ? NATIVE.get(ValueLayout.JAVA_BYTE, a + (lin & 0xfff))
                    : tlbSeg[i].get(ValueLayout.JAVA_BYTE, tlbOff[i] + (lin & 0xfff))) & 0xff;
        }
        if (watchActive) watch(lin, 1, false);
        return (int) slowRead(lin, 1) & 0xff;
    }

    public final int read16(int lin) {
        if ((lin & 0xfff) > 0xffe) return read8(lin) | (read8(lin + 1) << 8);
        int i = slot(lin, false);
        if (i >= 0) {
            long a = tlbAddr[i];
            return (a != 0 ? NATIVE.get(I16, a + (lin & 0xfff)) : tlbSeg[i].get(I16, tlbOff[i] + (lin & 0xfff))) & 0xffff;
        }
        if (watchActive) watch(lin, 2, false);
        return (int) slowRead(lin, 2) & 0xffff;
    }

    public final int read32(int lin) {
        if ((lin & 0xfff) > 0xffc) return read16(lin) | (read16(lin + 2) << 16);
        int i = slot(lin, false);
        if (i >= 0) {
            long a = tlbAddr[i];
            return (a != 0 ? NATIVE.get(I32, a + (lin & 0xfff)) : tlbSeg[i].get(I32, tlbOff[i] + (lin & 0xfff)));
        }
        if (watchActive) watch(lin, 4, false);
        return (int) slowRead(lin, 4);
    }

    /**
     * A load that missed the RAM TLB (within one page): after the walk, or from a device entry
     * without one, a page that is not RAM is offered to the fast path first, then the address
     * space serves it.
     */
    private long slowRead(int lin, int size) {
        int d = deviceSlot(lin, false);
        long phys = d >= 0 ? tlbOff[d] | (lin & 0xfff) : fill(lin, false);
        boolean device = d >= 0 || fillRam == null;
        if (writeLog != null && device) writeLog.unverifiable = true; // a device read may have effects
        if (device && fastPath.readMemory(phys, size, fastRead)) {
            fastPathServed++;
            return fastRead.value();
        }
        return mem.read(phys, size);
    }

    public final void write8(int lin, int v) {
        int i = slot(lin, true);
        if (i >= 0) {
            long a = tlbAddr[i];
            if (a != 0) NATIVE.set(ValueLayout.JAVA_BYTE, a + (lin & 0xfff), (byte) v);
            else tlbSeg[i].set(ValueLayout.JAVA_BYTE, tlbOff[i] + (lin & 0xfff), (byte) v);
            return;
        }
        slowWrite(lin, 1, v & 0xffL);
        if (watchActive) watch(lin, 1, true);
    }

    public final void write16(int lin, int v) {
        if ((lin & 0xfff) > 0xffe) {
            checkWritable(lin + 1);
            write8(lin, v);
            write8(lin + 1, v >> 8);
            return;
        }
        int i = slot(lin, true);
        if (i >= 0) {
            long a = tlbAddr[i];
            if (a != 0) NATIVE.set(I16, a + (lin & 0xfff), (short) v);
            else tlbSeg[i].set(I16, tlbOff[i] + (lin & 0xfff), (short) v);
            return;
        }
        slowWrite(lin, 2, v & 0xffffL);
        if (watchActive) watch(lin, 2, true);
    }

    public final void write32(int lin, int v) {
        if ((lin & 0xfff) > 0xffc) {
            checkWritable((lin + 3) & 0xfffff000); // CR2 is where the access enters the second page
            write16(lin, v);
            write16(lin + 2, v >> 16);
            return;
        }
        int i = slot(lin, true);
        if (i >= 0) {
            long a = tlbAddr[i];
            if (a != 0) NATIVE.set(I32, a + (lin & 0xfff), v);
            else tlbSeg[i].set(I32, tlbOff[i] + (lin & 0xfff), v);
            return;
        }
        slowWrite(lin, 4, v & 0xffffffffL);
        if (watchActive) watch(lin, 4, true);
    }

    /**
     * A store that missed the write TLB (within one page): a device, ROM, a page under dirty
     * logging, or a page holding code. A store into a cached code page patches the page in place
     * ({@link CodeCache#written}); then whatever the store may have set off is picked up before
     * the next instruction (see {@link #memoryMayHaveChanged}).
     */
    private void slowWrite(int lin, int size, long v) {
        int d = deviceSlot(lin, true);
        long phys = d >= 0 ? tlbOff[d] | (lin & 0xfff) : fill(lin, true);
        RamBlock ram = d >= 0 ? null : fillRam;
        long off = fillOffset + (lin & 0xfff);
        if (writeLog != null) {
            if (ram == null || ram.isCodePage(fillOffset)) writeLog.unverifiable = true;
            else writeLog.record(phys, size);
        }
        if (ram == null && fastPath.writeMemory(phys, size, v)) {
            fastPathServed++; // a served store changes no mapping and no code (the package's rules)
            return;
        }
        if (ram != null && ram.isCodePage(fillOffset)) {
            long generation = ram.codeGeneration();
            mem.write(phys, size, v);
            code.written(ram, off, size, generation, fetchPage);
        } else {
            mem.write(phys, size, v);
        }
        memoryMayHaveChanged();
    }

    /**
     * After a store that reached the address space or a port write: a device may have remapped
     * memory (a BAR, a ROM shadow, the A20 gate) or written code by DMA, and the very next
     * access and instruction fetch must see it, not the translations or decodes cached before.
     */
    final void memoryMayHaveChanged() {
        checkMapGeneration();
        syncCode();
    }

    /** Probes a write before a split access so a fault leaves memory untouched. */
    final void checkWritable(int lin) {
        if (slot(lin, true) < 0) fill(lin, true);
    }

    /**
     * Translates every page of the {@code bytes} bytes at {@code lin} for writing, raising the
     * #PF a write there would raise, without writing: instructions that write memory and other
     * state (flags, registers, several memory locations) call it before changing anything, so a
     * fault leaves no trace (SDM vol. 3 6.5: a fault restores the state before the instruction).
     */
    /**
     * {@link #probeWrite} for a translated read-modify-write operand of {@code bytes} (at most 4):
     * nothing to do when the write TLB already maps its page and it does not cross into the next.
     */
    final void probeUpdate(int lin, int bytes) {
        if ((lin & 0xfff) <= 0x1000 - bytes && slot(lin, true) >= 0) return;
        probeWrite(lin, bytes);
    }

    final void probeWrite(int lin, int bytes) {
        checkWritable(lin);
        int more = ((lin + bytes - 1) >>> 12) - (lin >>> 12) & 0xfffff; // further pages (wrapping at 4 GiB)
        for (int k = 1; k <= more; k++) checkWritable((lin & 0xfffff000) + (k << 12));
    }

    /**
     * For REP MOVS: copies {@code bytes} bytes from linear {@code src} to linear {@code dst}, both
     * ranges within one page each, when the TLB maps the source page for reading and the
     * destination page for writing to RAM (the write TLB never holds code pages or pages under
     * dirty logging, and holds nothing while {@link #slowAccesses}); so nothing here can fault or
     * needs reporting. Returns 1 when copied; having done nothing, 0 when a page is not mapped
     * so, and -1 when the destination starts inside the source after it (an element-by-element
     * copy then repeats a pattern, which a block copy would not).
     */
    final int bulkCopy(int src, int dst, int bytes) {
        int i = slot(src, false), j = slot(dst, true);
        if (i < 0 || j < 0) return 0;
        long from = hostAddress(i, src), to = hostAddress(j, dst);
        if (to > from && to < from + bytes) return -1;
        MemorySegment.copy(entrySegment(i), entryOffset(i, src), entrySegment(j), entryOffset(j, dst), bytes);
        return 1;
    }

    /**
     * For REP STOS: stores {@code n} elements of {@code size} (0, 1, 2: 8, 16, 32 bits) holding
     * {@code v} from linear {@code dst} on, within one page, when the write TLB maps that page
     * to RAM (see {@link #bulkCopy}). Returns false, having done nothing, otherwise.
     */
    final boolean bulkFill(int dst, int n, int size, int v) {
        int j = slot(dst, true);
        if (j < 0) return false;
        MemorySegment seg = entrySegment(j);
        long at = entryOffset(j, dst);
        int pattern = size == 0 ? (v & 0xff) * 0x01010101 : size == 1 ? (v & 0xffff) * 0x00010001 : v;
        if (pattern == ((pattern & 0xff) * 0x01010101)) {
            seg.asSlice(at, (long) n << size).fill((byte) pattern);
        } else if (size == 1) {
            for (int k = 0; k < n; k++) seg.set(I16, at + 2L * k, (short) v);
        } else {
            for (int k = 0; k < n; k++) seg.set(I32, at + 4L * k, v);
        }
        return true;
    }

    /** Whether the write TLB maps linear {@code lin}'s page to RAM (so {@link #bulkStore} there cannot fail). */
    final boolean writesRam(int lin) {
        return slot(lin, true) >= 0;
    }

    /**
     * For REP INS: stores {@code len} bytes of {@code src} at linear {@code dst}, within one page,
     * when the write TLB maps that page to RAM (see {@link #bulkCopy}). Returns false, having done
     * nothing, otherwise.
     */
    final boolean bulkStore(int dst, byte[] src, int len) {
        int j = slot(dst, true);
        if (j < 0) return false;
        MemorySegment seg = entrySegment(j);
        long at = entryOffset(j, dst);
        MemorySegment.copy(src, 0, seg, ValueLayout.JAVA_BYTE, at, len);
        return true;
    }

    /** The segment RAM TLB entry {@code i} reaches its page through: all memory for a raw address, else the block's. */
    private MemorySegment entrySegment(int i) {
        return tlbAddr[i] != 0 ? NATIVE : tlbSeg[i];
    }

    /** The offset of linear {@code lin} in {@link #entrySegment}{@code (i)}. */
    private long entryOffset(int i, int lin) {
        return (tlbAddr[i] != 0 ? tlbAddr[i] : tlbOff[i]) + (lin & 0xfff);
    }

    /** The native address of linear {@code lin} through TLB entry {@code i}. */
    private long hostAddress(int i, int lin) {
        return (tlbAddr[i] != 0 ? tlbAddr[i] : tlbSeg[i].address() + tlbOff[i]) + (lin & 0xfff);
    }

    public final long read64(int lin) {
        return (read32(lin) & 0xffffffffL) | ((long) read32(lin + 4) << 32);
    }

    public final void write64(int lin, long v) {
        probeWrite(lin, 8);
        write32(lin, (int) v);
        write32(lin + 4, (int) (v >>> 32));
    }

    // supervisor-mode accesses to system structures
    final int sysRead32(int lin) {
        boolean s = supervisorAccess;
        supervisorAccess = true;
        try {
            return read32(lin);
        } finally {
            supervisorAccess = s;
        }
    }

    final int sysRead16(int lin) {
        boolean s = supervisorAccess;
        supervisorAccess = true;
        try {
            return read16(lin);
        } finally {
            supervisorAccess = s;
        }
    }

    final void sysWrite32(int lin, int v) {
        boolean s = supervisorAccess;
        supervisorAccess = true;
        try {
            write32(lin, v);
        } finally {
            supervisorAccess = s;
        }
    }

    final void sysWrite16(int lin, int v) {
        boolean s = supervisorAccess;
        supervisorAccess = true;
        try {
            write16(lin, v);
        } finally {
            supervisorAccess = s;
        }
    }
}
