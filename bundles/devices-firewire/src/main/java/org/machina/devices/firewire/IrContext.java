package org.machina.devices.firewire;

import org.machina.api.bus.ieee1394.IsochronousPacket;

/**
 * An isochronous receive DMA context (OHCI 1.1 chapter 10) in buffer-fill or packet-per-buffer
 * mode.
 *
 * <pre>
 * ContextControl: bufferFill(31) isochHeader(30) cycleMatchEnable(29) multiChanMode(28) dualBufferMode(27)
 *                 run(15) wake(12) dead(11) active(10) spd(7:5) event(4:0)
 * ContextMatch:   tag3..tag0(31:28) cycleMatch(26:12) sync(11:8) tag1SyncFilter(6) channelNumber(5:0)
 * INPUT_MORE (cmd 2) / INPUT_LAST (cmd 3): q0 s(27) key=0 i(21:20) b(19:18) w(17:16) reqCount;
 *                 q1 dataAddress; q2 branchAddress|Z; q3 xferStatus(31:16) resCount(15:0)
 * header:         dataLength(31:16) tag(15:14) chan(13:8) tcode(7:4) sy(3:0)
 * trailer:        xferStatus(31:16) timeStamp(15:0)
 * buffer-fill:    [header] payload (to quadlets) [trailer]        header and trailer with isochHeader
 * packet-per-buf: [trailer] [header] payload (to quadlets)        trailer and header with isochHeader
 * </pre>
 *
 * Buffer-fill mode: a chain of INPUT_MORE descriptors filled with packets back to back (the same
 * engine as asynchronous receive, {@link ArContext}); a packet with no room is dropped. With
 * multiChanMode the context takes every channel whose bit is set in IRMultiChanMask (packets another
 * context took excepted). Packet-per-buffer mode: one descriptor block (INPUT_MORE ... INPUT_LAST)
 * per packet; a packet larger than the block's buffers is cut and gets evt_long_packet. A packet is
 * taken when its tag's bit is set in ContextMatch and its channel matches; with cycleMatchEnable
 * the context takes nothing until the cycle given in cycleMatch; when the first descriptor of the
 * program has w = 3 it takes nothing until a packet whose sy equals ContextMatch.sync. dualBufferMode
 * and tag1SyncFilter are not implemented (dual-buffer kills the context when it runs).
 */
final class IrContext extends IsoContext {
    static final int BUFFER_FILL = 1 << 31;
    static final int ISOCH_HEADER = 1 << 30;
    static final int CYCLE_MATCH_ENABLE = 1 << 29;
    static final int MULTI_CHAN = 1 << 28;
    static final int DUAL_BUFFER = 1 << 27;
    static final int MODE = BUFFER_FILL | ISOCH_HEADER | MULTI_CHAN | DUAL_BUFFER;
    static final int EVT_OK = 0x11;
    static final int EVT_LONG_PACKET = 0x02;
    static final int EVT_DATA_WRITE = 0x08;
    static final int EVT_UNKNOWN = 0x0E;

    /** The controller side; {@link #interrupt} is isoRecvIntEvent. */
    interface Link extends IsoContext.Link {
    }

    // control: bits 31:27 (mode and cycleMatchEnable), and in packet-per-buffer mode run/wake/dead/active/spd/event
    int match;
    /** The program's first descriptor asks to wait for ContextMatch.sync; {@link #synced} once it came. */
    boolean waitSync;
    boolean synced;
    /** The buffer-fill engine. */
    final ArContext fill;

    IrContext(String name, GuestDma dma, Link link) {
        super(name, dma, link);
        this.fill = new ArContext(name, dma, new ArContext.Sink() {
            @Override
            public void bufferComplete() {
                interrupt();
            }

            @Override
            public void dead(String why) {
                link.dead(why);
            }
        });
    }

    void reset() {
        control = 0;
        commandPtr = 0;
        match = 0;
        lastDescriptor = -1;
        waitSync = synced = false;
        fill.reset();
    }

    private boolean bufferFill() {
        return (control & BUFFER_FILL) != 0;
    }

    /** ContextControl as the driver reads it. */
    @Override
    int readControl() {
        return bufferFill() ? control & 0xF800_0000 | control & 0xE0 | fill.control & 0xFFFF & ~0xE0 : control;
    }

    boolean running() {
        int c = bufferFill() ? fill.control : control;
        return (c & AtContext.RUN) != 0 && (c & AtContext.DEAD) == 0;
    }

    boolean multiChannel() {
        return (control & MULTI_CHAN) != 0;
    }

    int channel() {
        return match & 63;
    }

    void writeControlSet(int v) {
        boolean wasRunning = (readControl() & AtContext.RUN) != 0;
        if (!wasRunning) {
            control |= v & MODE;
        }
        control |= v & CYCLE_MATCH_ENABLE;
        boolean starting = !wasRunning && (v & AtContext.RUN) != 0;
        if (starting) {
            Integer first = (commandPtr & 0xF) != 0 ? dma.readLe(commandPtr & 0xFFFF_FFF0L) : null;
            waitSync = first != null && (first >>> 16 & 3) == 3;
            synced = false;
            if ((control & DUAL_BUFFER) != 0) {
                control |= AtContext.RUN;
                die(EVT_UNKNOWN, "dualBufferMode is not implemented");
                return;
            }
        }
        if (bufferFill()) {
            if (starting) {
                fill.writeCommandPtr(commandPtr);
            }
            fill.writeControlSet(v & (AtContext.RUN | AtContext.WAKE));
            return;
        }
        if (starting) {
            control = control & ~(AtContext.DEAD | 0x1F) | AtContext.RUN;
            lastDescriptor = -1;
            if ((commandPtr & 0xF) != 0) {
                control |= AtContext.ACTIVE;
            }
        }
        if ((v & AtContext.WAKE) != 0) {
            wake();
        }
    }

    void writeControlClear(int v) {
        boolean wasRunning = (readControl() & AtContext.RUN) != 0;
        control &= ~(v & (CYCLE_MATCH_ENABLE | (wasRunning ? 0 : MODE)));
        if (bufferFill()) {
            fill.writeControlClear(v & (AtContext.RUN | AtContext.WAKE));
        } else if ((v & AtContext.RUN) != 0) {
            control &= ~(AtContext.RUN | AtContext.ACTIVE);
        }
    }

    /** Whether the context needs the cycle clock: it waits for its cycleMatch. */
    boolean wantsCycles() {
        return running() && (control & CYCLE_MATCH_ENABLE) != 0;
    }

    /** One isochronous cycle ({@code cycleMatch} form: cycleSeconds(1:0) cycleCount). */
    void cycle(int cycleMatch) {
        if (wantsCycles() && (match >>> 12 & 0x7FFF) == cycleMatch) {
            control &= ~CYCLE_MATCH_ENABLE;
        }
    }

    /** Whether this context takes the packet: running, past its cycle match, tag and channel matching. */
    boolean takes(IsochronousPacket p, long multiChanMask) {
        if (!running() || (control & CYCLE_MATCH_ENABLE) != 0 || (match >>> 28 + p.tag() & 1) == 0 && !multiChannel()) {
            return false;
        }
        return multiChannel() ? (multiChanMask >>> p.channel() & 1) != 0 : p.channel() == channel();
    }

    /** Stores a packet this context {@link #takes}; {@code timeStamp} is cycleSeconds(2:0) and cycleCount. */
    void receive(IsochronousPacket p, int timeStamp) {
        if (waitSync && !synced) {
            if (p.sy() != (match >>> 8 & 15)) {
                return;
            }
            synced = true;
        }
        boolean header = (control & ISOCH_HEADER) != 0;
        byte[] data = p.data();
        int padded = data.length + 3 & ~3;
        int isoHeader = data.length << 16 | p.tag() << 14 | p.channel() << 8 | ItContext.TCODE_ISOCHRONOUS << 4 | p.sy();
        control = control & ~0xE0 | (p.speed() & 7) << 5;
        if (bufferFill()) {
            // buffer-fill: [header] payload [trailer], packets back to back
            byte[] b = new byte[padded + (header ? 8 : 0)];
            if (header) {
                GuestDma.putLe(b, 0, isoHeader);
                GuestDma.putLe(b, b.length - 4, (fill.control & 0xFF00 | (p.speed() & 7) << 5 | EVT_OK) << 16
                        | timeStamp & 0xFFFF);
            }
            System.arraycopy(data, 0, b, header ? 4 : 0, data.length);
            fill.receive(b);
        } else {
            packetPerBuffer(data, padded, header ? isoHeader : null, timeStamp);
        }
    }

    /**
     * Packet-per-buffer: one descriptor block per packet. With isochHeader the block's buffers get
     * [xferStatus|timeStamp] [isochronous header] payload (in this mode the
     * trailer quadlet comes first and nothing follows the payload: Linux's firewire_ohci reads the
     * header from the block's second quadlet and the time stamp from its first); without it the
     * payload alone.
     */
    private void packetPerBuffer(byte[] data, int padded, Integer isoHeader, int timeStamp) {
        if ((control & (AtContext.RUN | AtContext.ACTIVE | AtContext.DEAD)) != (AtContext.RUN | AtContext.ACTIVE)) {
            return;   // no buffer: the packet is lost
        }
        long address = commandPtr & 0xFFFF_FFF0L;
        int z = commandPtr & 0xF;
        if (z < 1 || z > 8) {
            die(EVT_UNKNOWN, "Z=" + z + " at 0x" + Long.toHexString(address) + " (IR blocks have 1..8)");
            return;
        }
        byte[] block = dma.read(address, z * 16);
        if (block == null) {
            die(EVT_DESCRIPTOR_READ, "descriptor block at 0x" + Long.toHexString(address) + " (Z=" + z + ") is outside RAM");
            return;
        }
        int room = 0;
        for (int i = 0; i < z; i++) {
            int q0 = GuestDma.le(block, 16 * i);
            int want = i == z - 1 ? 3 : 2;
            if (q0 >>> 28 != want || (q0 >>> 24 & 7) != 0) {
                die(EVT_UNKNOWN, "descriptor " + i + " of the block at 0x" + Long.toHexString(address) + " has cmd "
                        + (q0 >>> 28) + " key " + (q0 >>> 24 & 7) + " (INPUT_MORE ... INPUT_LAST expected)");
                return;
            }
            room += q0 & 0xFFFF;
        }
        int lead = isoHeader != null ? 8 : 0;
        byte[] b = new byte[lead + padded];
        System.arraycopy(data, 0, b, lead, data.length);
        int evt = EVT_OK;
        int length = b.length;
        if (length > room) {
            evt = EVT_LONG_PACKET;
            length = room;
        }
        int status = (control & 0xFFE0 | evt) << 16;
        if (isoHeader != null) {
            GuestDma.putLe(b, 0, status | timeStamp & 0xFFFF);
            GuestDma.putLe(b, 4, isoHeader);
        }
        int done = 0;
        for (int i = 0; i < z; i++) {
            int q0 = GuestDma.le(block, 16 * i);
            int req = q0 & 0xFFFF;
            long buf = GuestDma.le(block, 16 * i + 4) & 0xFFFF_FFFFL;
            int n = Math.min(req, length - done);
            if (n > 0 && !dma.write(buf, b, done, n)) {
                die(EVT_DATA_WRITE, "buffer at 0x" + Long.toHexString(buf) + " is outside RAM");
                return;
            }
            done += n;
            // every descriptor of the completed block gets the status (s = 1 is what drivers set)
            dma.writeLe(address + 16L * i + 12, status | req - n);
        }
        control = control & ~0x1F | evt;
        long last = address + 16L * (z - 1);
        int lq0 = GuestDma.le(block, 16 * (z - 1));
        int branch = GuestDma.le(block, 16 * (z - 1) + 8);
        if ((lq0 >>> 20 & 3) == 3) {
            interrupt();
        }
        if ((branch & 0xF) == 0) {
            control &= ~AtContext.ACTIVE;
            lastDescriptor = last;
        } else {
            commandPtr = branch;
        }
    }

    OhciState.IsoState save() {
        return new OhciState.IsoState(control, commandPtr, match, lastDescriptor, waitSync, synced, fill.save());
    }

    void restore(OhciState.IsoState s) {
        control = s.control();
        commandPtr = s.commandPtr();
        match = s.match();
        lastDescriptor = s.lastDescriptor();
        waitSync = s.waitSync();
        synced = s.synced();
        fill.restore(s.fill());
    }
}
