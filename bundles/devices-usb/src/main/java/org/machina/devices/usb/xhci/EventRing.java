package org.machina.devices.usb.xhci;

/**
 * Interrupter 0 and its event ring (xHCI 1.2 sections 4.9.4, 4.17 and 5.5.2): the Event Ring
 * Segment Table (ERSTSZ entries at ERSTBA, each a 64-byte-aligned segment base and a size in
 * TRBs), the controller's enqueue position and Producer Cycle State, and the guest's dequeue
 * pointer (ERDP). The ring is full when writing one more event would make the enqueue position
 * reach ERDP; such events are dropped and counted (the guest is not keeping up, or never set
 * ERDP), never overwritten.
 *
 * <pre>
 * IMAN   bit 0 IP (interrupt pending, RW1C), bit 1 IE (interrupt enable)
 * IMOD   bits 15:0 interval (IMODI, 250 ns units), bits 31:16 counter (IMODC); moderation in Xhci
 * ERSTSZ bits 15:0 table size
 * ERSTBA table base (64-byte aligned)
 * ERDP   dequeue pointer (16-byte aligned), bits 2:0 segment index, bit 3 EHB (RW1C)
 * </pre>
 */
final class EventRing {
    static final int MAX_SEGMENTS = 16;
    static final int IMAN_IP = 1;
    static final int IMAN_IE = 2;
    static final int ERDP_EHB = 8;

    private final GuestMemory mem;
    int iman;
    int imod;
    int erstsz;
    long erstba;
    long erdp;

    // producer state
    private int segment;
    private long segmentBase;
    private int segmentSize;
    private int index;
    private boolean cycle;
    private boolean valid;
    long dropped;

    EventRing(GuestMemory mem) {
        this.mem = mem;
    }

    void reset() {
        iman = 0;
        imod = 4000;
        erstsz = 0;
        erstba = 0;
        erdp = 0;
        valid = false;
        dropped = 0;
    }

    /** ERSTBA written: the ring starts over at segment 0 with cycle state 1. */
    String start() {
        valid = false;
        segment = 0;
        index = 0;
        cycle = true;
        if (erstsz == 0) {
            return null;
        }
        String error = loadSegment(0);
        valid = error == null;
        return error;
    }

    private String loadSegment(int n) {
        long entry = erstba + 16L * n;
        if (!mem.isRam(entry, 16)) {
            return "event ring segment table entry " + n + " at 0x" + Long.toHexString(entry) + " is not in guest RAM";
        }
        long base = mem.qword(entry) & ~0x3FL;
        int size = mem.dword(entry + 8) & 0xFFFF;
        if (size < 16 || size > 4096 || !mem.isRam(base, size * 16)) {
            return "event ring segment " + n + " (0x" + Long.toHexString(base) + ", " + size
                    + " TRBs) is not 16..4096 TRBs of guest RAM";
        }
        segmentBase = base;
        segmentSize = size;
        segment = n;
        return null;
    }

    boolean ready() {
        return valid;
    }

    /** Where the next event goes. */
    long enqueuePointer() {
        return segmentBase + 16L * index;
    }

    /**
     * Whether {@code n} more events fit before the enqueue position reaches the guest's dequeue
     * pointer (ERDP). True when the ring is not set up (events are dropped then anyway).
     */
    boolean room(int n) {
        if (!valid) {
            return true;
        }
        long deq = erdp & ~0xFL;
        int seg = segment;
        long base = segmentBase;
        int size = segmentSize;
        int idx = index;
        for (int i = 0; i < n; i++) {
            idx++;
            if (idx >= size) {
                seg = (seg + 1) % Math.max(1, Math.min(erstsz, MAX_SEGMENTS));
                long entry = erstba + 16L * seg;
                if (!mem.isRam(entry, 16)) {
                    return true;
                }
                base = mem.qword(entry) & ~0x3FL;
                size = Math.max(1, mem.dword(entry + 8) & 0xFFFF);
                idx = 0;
            }
            if (base + 16L * idx == deq) {
                return false;
            }
        }
        return true;
    }

    /** Whether events wait that the guest has not consumed (enqueue position differs from ERDP). */
    boolean pending() {
        return valid && (erdp & ~0xFL) != enqueuePointer();
    }

    /**
     * Writes one event TRB (the cycle bit is set here). Returns false when the ring is not set up,
     * is full, or its next segment is bad.
     */
    boolean post(long parameter, int status, int control) {
        if (!valid) {
            dropped++;
            return false;
        }
        // where the enqueue position would go after this event
        int nextIndex = index + 1;
        int nextSegment = segment;
        long nextAddress;
        if (nextIndex == segmentSize) {
            nextSegment = (segment + 1) % Math.max(1, Math.min(erstsz, MAX_SEGMENTS));
            long entry = erstba + 16L * nextSegment;
            nextAddress = mem.isRam(entry, 16) ? mem.qword(entry) & ~0x3FL : -1;
        } else {
            nextAddress = segmentBase + 16L * nextIndex;
        }
        if (nextAddress == (erdp & ~0xFL)) {
            dropped++;
            return false;
        }
        long at = enqueuePointer();
        mem.putQword(at, parameter);
        mem.putDword(at + 8, status);
        mem.putDword(at + 12, control & ~1 | (cycle ? 1 : 0));
        if (nextIndex == segmentSize) {
            boolean wrap = nextSegment == 0;
            String error = loadSegment(nextSegment);
            if (error != null) {
                valid = false;
                return true;
            }
            index = 0;
            if (wrap) {
                cycle = !cycle;
            }
        } else {
            index = nextIndex;
        }
        return true;
    }

    /** The guest wrote ERDP (one half, merged by the caller). */
    void writeErdp(long value) {
        boolean clearBusy = (value & ERDP_EHB) != 0;
        long busy = clearBusy ? 0 : erdp & ERDP_EHB;
        erdp = value & ~0xFL | value & 7 | busy;
    }

    /** The controller's producer position, for state saving. */
    long[] producer() {
        return new long[] {segment, index, cycle ? 1 : 0, valid ? 1 : 0};
    }

    void restoreProducer(long[] p) {
        if (p == null || p.length != 4 || p[3] == 0 || erstsz == 0) {
            valid = false;
            return;
        }
        valid = loadSegment((int) p[0] % Math.min(erstsz, MAX_SEGMENTS)) == null;
        index = (int) Math.min(p[1], Math.max(0, segmentSize - 1));
        cycle = p[2] != 0;
    }
}
