package org.machina.cpu.x86;

/**
 * The string instructions MOVS, CMPS, STOS, LODS, SCAS, INS and OUTS with REP/REPE/REPNE.
 * Each iteration updates ECX/ESI/EDI, so a fault in the middle restarts correctly. Every
 * element is checked against its segment's limit (#GP(0), or #SS(0) for an SS override) before
 * it is read or written. A repeated instruction is interruptible between iterations, as on
 * hardware (SDM vol. 2, REP): every {@link #POLL} iterations it asks
 * {@link Interpreter#yieldRepeat} whether an interrupt, an exit request or the run's deadline is
 * waiting, and if so stops with EIP at its first byte and ECX/ESI/EDI of the iterations done.
 */
final class Strings {
    private Strings() {
    }

    private static int size(Interpreter c, int b) {
        return (b & 1) == 0 ? 0 : c.osize();
    }

    private static int index(Interpreter c, int reg) {
        return c.addr32 ? c.r[reg] : c.r[reg] & 0xffff;
    }

    /** The linear address of the element at segment {@code seg}, offset register {@code reg}, after the limit check. */
    private static int element(Interpreter c, int seg, int reg, int sz) {
        return c.operandAt(seg, index(c, reg), sz);
    }

    /** The linear address of the destination element at ES:(E)DI, after the limit and write checks. */
    private static int destination(Interpreter c, int sz) {
        int lin = element(c, X86State.ES, X86State.EDI, sz);
        c.requireWritableSegment();
        return lin;
    }

    private static void advance(Interpreter c, int reg, int bytes) {
        int d = (c.eflags & X86State.DF) != 0 ? -bytes : bytes;
        if (c.addr32) c.r[reg] += d;
        else c.setReg16(reg, c.r[reg] + d);
    }

    private static int count(Interpreter c) {
        return c.addr32 ? c.r[X86State.ECX] : c.r[X86State.ECX] & 0xffff;
    }

    private static void decCount(Interpreter c) {
        if (c.addr32) c.r[X86State.ECX]--;
        else c.setReg16(X86State.ECX, c.r[X86State.ECX] - 1);
    }

    /** Iterations between two checks for pending events. */
    static final int POLL = 64;

    /** After an iteration with more to do: whether to stop here and restart the instruction later. */
    private static boolean pause(Interpreter c, int done) {
        if (done % POLL != 0 || count(c) == 0 || !c.yieldRepeat()) return false;
        c.eip = c.startEip;
        return true;
    }

    static void exec(Interpreter c, int b) {
        int sz = size(c, b);
        int bytes = 1 << sz;
        int src = c.dataSeg(X86State.DS), dst = X86State.ES;
        boolean rep = c.rep != 0;
        boolean cmp = b == 0xa6 || b == 0xa7 || b == 0xae || b == 0xaf;
        int done = 0;
        boolean bulk = rep && c.addr32 && (c.eflags & X86State.DF) == 0 && (b <= 0xa5 || b == 0xaa || b == 0xab)
                && c.openSegment(dst, true) && (b >= 0xaa || c.openSegment(src, false));
        while (!rep || count(c) != 0) {
            if (bulk) {
                int n = bulk(c, b, sz, src);
                if (n < 0) bulk = false;
                if (n > 0) {
                    if (count(c) != 0 && c.yieldRepeat()) {
                        c.eip = c.startEip;
                        return;
                    }
                    continue;
                }
            }
            switch (b) {
                case 0xa4: case 0xa5: {
                    int v = c.readMem(element(c, src, X86State.ESI, sz), sz);
                    c.writeMem(destination(c, sz), sz, v);
                    advance(c, X86State.ESI, bytes);
                    advance(c, X86State.EDI, bytes);
                    break;
                }
                case 0xa6: case 0xa7: {
                    int a = c.readMem(element(c, src, X86State.ESI, sz), sz);
                    int d = c.readMem(element(c, dst, X86State.EDI, sz), sz);
                    c.alu(7, a, d, sz);
                    advance(c, X86State.ESI, bytes);
                    advance(c, X86State.EDI, bytes);
                    break;
                }
                case 0xaa: case 0xab:
                    c.writeMem(destination(c, sz), sz, c.readReg(X86State.EAX, sz));
                    advance(c, X86State.EDI, bytes);
                    break;
                case 0xac: case 0xad:
                    c.writeReg(X86State.EAX, sz, c.readMem(element(c, src, X86State.ESI, sz), sz));
                    advance(c, X86State.ESI, bytes);
                    break;
                default: { // SCAS
                    int d = c.readMem(element(c, dst, X86State.EDI, sz), sz);
                    c.alu(7, c.readReg(X86State.EAX, sz), d, sz);
                    advance(c, X86State.EDI, bytes);
                }
            }
            if (!rep) return;
            decCount(c);
            if (cmp && (c.rep == 0xf3) != c.zf()) return;
            if (pause(c, ++done)) return;
        }
    }

    /**
     * REP MOVS or REP STOS with 32-bit addresses, DF clear and flat segments: the elements that
     * lie wholly within the current page of the destination (and of the source) copied or stored
     * at once, when the TLB maps those pages to RAM ({@link Mmu#bulkCopy}, {@link Mmu#bulkFill}),
     * with ECX, ESI and EDI advanced as the element loop would. Nothing here can fault: an
     * element the TLB does not map, or that crosses a page or wraps at 4 GiB, is left to the
     * element loop. Returns the elements done, 0 when the element loop must do the next one, -1
     * when it must do all the rest (an overlap that repeats a pattern).
     */
    private static int bulk(Interpreter c, int b, int sz, int src) {
        int bytes = 1 << sz;
        boolean move = b <= 0xa5;
        int di = c.r[X86State.EDI], si = c.r[X86State.ESI];
        int to = c.segBase[X86State.ES] + di, from = c.segBase[src] + si;
        int room = 0x1000 - (to & 0xfff);
        if (move) room = Math.min(room, 0x1000 - (from & 0xfff));
        long n = Math.min(c.r[X86State.ECX] & 0xffffffffL, room >> sz);
        if (n == 0 || (di & 0xffffffffL) + (n << sz) > 1L << 32 || move && (si & 0xffffffffL) + (n << sz) > 1L << 32) {
            return 0;
        }
        int len = (int) n << sz;
        int done = move ? c.bulkCopy(from, to, len) : c.bulkFill(to, (int) n, sz, c.r[X86State.EAX]) ? 1 : 0;
        if (done <= 0) return done;
        c.r[X86State.ECX] -= (int) n;
        c.r[X86State.EDI] += len;
        if (move) c.r[X86State.ESI] += len;
        return (int) n;
    }

    /**
     * INS and OUTS. A REP INSW/INSD with 32-bit addresses, DF clear and a flat ES offers the
     * elements that lie wholly within the destination's page, when the TLB maps it to RAM, to the
     * fast path at once ({@link #bulkIn}); what it does not serve goes element by element.
     */
    static void io(Interpreter c, int b) {
        int sz = size(c, b);
        int bytes = 1 << sz;
        int port = c.r[X86State.EDX] & 0xffff;
        c.checkIo(port, bytes);
        boolean rep = c.rep != 0;
        boolean bulk = rep && b == 0x6d && c.addr32 && (c.eflags & X86State.DF) == 0 && c.openSegment(X86State.ES, true);
        int done = 0;
        while (!rep || count(c) != 0) {
            if (bulk && bulkIn(c, port, sz) > 0) {
                if (count(c) != 0 && c.yieldRepeat()) {
                    c.eip = c.startEip;
                    return;
                }
                continue;
            }
            if (b < 0x6e) {
                int lin = destination(c, sz);
                c.checkWritable(lin);
                c.writeMem(lin, sz, c.portIn(port, bytes));
                advance(c, X86State.EDI, bytes);
            } else {
                c.portOut(port, bytes, c.readMem(element(c, c.dataSeg(X86State.DS), X86State.ESI, sz), sz));
                advance(c, X86State.ESI, bytes);
            }
            if (!rep) return;
            decCount(c);
            if (pause(c, ++done)) return;
        }
    }

    /**
     * The elements of a REP INS (16 or 32 bits) from the current EDI that lie wholly within its
     * page, at most {@link Interpreter#stringBuffer}'s worth, offered to the fast path as one
     * string ({@code FastPathDispatch.readPortString}) when the write TLB maps the page to RAM
     * (so the store cannot fault, and the page holds no code and is not under dirty logging);
     * the served elements are stored at once and ECX and EDI advanced past them. Returns how
     * many were served: 0 when the element loop must do the next one.
     */
    private static int bulkIn(Interpreter c, int port, int sz) {
        int di = c.r[X86State.EDI];
        int to = c.segBase[X86State.ES] + di;
        int room = Math.min(0x1000 - (to & 0xfff), c.stringBuffer.length);
        long n = Math.min(c.r[X86State.ECX] & 0xffffffffL, room >> sz);
        if (n == 0 || (di & 0xffffffffL) + (n << sz) > 1L << 32 || !c.writesRam(to)) {
            return 0;
        }
        int got = c.fastPath.readPortString(port, 1 << sz, c.stringBuffer, (int) n);
        if (got <= 0 || !c.bulkStore(to, c.stringBuffer, got << sz)) {
            return 0;
        }
        c.fastPathServed += got;
        c.r[X86State.ECX] -= got;
        c.r[X86State.EDI] += got << sz;
        return got;
    }
}
