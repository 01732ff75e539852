package org.machina.devices.firewire;

import org.machina.api.bus.ieee1394.IsochronousPacket;

/**
 * An isochronous transmit DMA context (OHCI 1.1 chapter 9): a program of descriptor blocks, one
 * block (one packet) per isochronous cycle, driven by the controller's cycle clock.
 *
 * <pre>
 * block: OUTPUT_MORE-Immediate (cmd 0 key 2, reqCount 8, q2 skipAddress|Z) + 8 header bytes,
 *        then OUTPUT_MORE (cmd 0 key 0) ... OUTPUT_LAST (cmd 1 key 0) with the payload;
 *    or: OUTPUT_LAST-Immediate (cmd 1 key 2): a packet with no payload;
 *    or: a lone OUTPUT_LAST (cmd 1 key 0, Z = 1): no packet in this cycle (a skip cycle).
 * header q0: spd(18:16) tag(15:14) chanNum(13:8) tcode=0xA(7:4) sy(3:0); q1: dataLength(31:16)
 * *_LAST: q0 i(21:20) b(19:18); q2 branchAddress|Z; q3 xferStatus(31:16) timeStamp(15:0) written back
 * ContextControl: cycleMatchEnable(31) cycleMatch(30:16) run(15) wake(12) dead(11) active(10) event(4:0)
 * </pre>
 *
 * With cycleMatchEnable the context waits for the cycle whose cycleSeconds (low 2 bits) and
 * cycleCount equal cycleMatch, then clears the bit and sends. At a branch with Z = 0 the context
 * idles until a wake re-reads that branch. Cycles the controller lost (its timer came too late)
 * make the context follow the skipAddress of its block once instead of sending. A bad block (Z,
 * commands, outside RAM, more than {@value #MAX_PAYLOAD} payload bytes) kills the context; a loop
 * is harmless, one block per cycle. STORE_VALUE is not implemented: it kills the context.
 */
final class ItContext extends IsoContext {
    static final int CYCLE_MATCH_ENABLE = 1 << 31;
    static final int CYCLE_MATCH_MASK = 0x7FFF_0000;
    static final int MAX_PAYLOAD = 4096;
    static final int EVT_OK = 0x11;   // ack_complete
    static final int EVT_TCODE_ERR = 0x0B;
    static final int EVT_DATA_READ = 0x07;
    static final int EVT_UNKNOWN = 0x0E;
    static final int TCODE_ISOCHRONOUS = 0xA;

    /** The controller side; {@link #interrupt} is isoXmitIntEvent. */
    interface Link extends IsoContext.Link {
        void send(IsochronousPacket packet);
    }

    private final Link link;

    /** {@link #lastDescriptor} is the *_LAST descriptor of the last block sent. */
    ItContext(String name, GuestDma dma, Link link) {
        super(name, dma, link);
        this.link = link;
    }

    void reset() {
        control = 0;
        commandPtr = 0;
        lastDescriptor = -1;
    }

    void writeControlSet(int v) {
        boolean starting = (v & AtContext.RUN) != 0 && (control & AtContext.RUN) == 0;
        control |= v & (CYCLE_MATCH_ENABLE | CYCLE_MATCH_MASK | AtContext.RUN);
        if (starting) {
            control &= ~(AtContext.DEAD | 0x1F);
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
        control &= ~(v & (CYCLE_MATCH_ENABLE | CYCLE_MATCH_MASK | AtContext.RUN));
        if ((control & AtContext.RUN) == 0) {
            control &= ~AtContext.ACTIVE;
        }
    }

    /** Whether the context needs the cycle clock: running, active and alive. */
    boolean wantsCycles() {
        return (control & (AtContext.RUN | AtContext.ACTIVE | AtContext.DEAD)) == (AtContext.RUN | AtContext.ACTIVE);
    }

    /**
     * One isochronous cycle: {@code match} is cycleSeconds(1:0) and cycleCount as cycleMatch
     * compares them, {@code timeStamp} cycleSeconds(2:0) and cycleCount for the status.
     */
    void cycle(int match, int timeStamp) {
        if (!wantsCycles()) {
            return;
        }
        if ((control & CYCLE_MATCH_ENABLE) != 0) {
            if ((control >>> 16 & 0x7FFF) != match) {
                return;
            }
            control &= ~CYCLE_MATCH_ENABLE;
        }
        runBlock(timeStamp);
    }

    /** A cycle the controller lost: the block is skipped through its skipAddress. */
    void lostCycle() {
        if (!wantsCycles() || (control & CYCLE_MATCH_ENABLE) != 0) {
            return;
        }
        long address = commandPtr & 0xFFFF_FFF0L;
        Integer q0 = dma.readLe(address);
        Integer skip = dma.readLe(address + 8);
        if (q0 == null || skip == null) {
            die(EVT_DESCRIPTOR_READ, "descriptor block at 0x" + Long.toHexString(address) + " is outside RAM");
            return;
        }
        if ((q0 >>> 24 & 7) != 2) {
            return;   // no immediate header, no skipAddress: the block waits for the next cycle
        }
        if ((skip & 0xF) == 0) {
            control &= ~AtContext.ACTIVE;
            lastDescriptor = address;
        } else {
            commandPtr = skip;
        }
    }

    private void runBlock(int timeStamp) {
        long address = commandPtr & 0xFFFF_FFF0L;
        int z = commandPtr & 0xF;
        if (z < 1 || z > 8) {
            die(EVT_UNKNOWN, "Z=" + z + " at 0x" + Long.toHexString(address) + " (IT blocks have 1..8)");
            return;
        }
        byte[] block = dma.read(address, z * 16);
        if (block == null) {
            die(EVT_DESCRIPTOR_READ, "descriptor block at 0x" + Long.toHexString(address) + " (Z=" + z + ") is outside RAM");
            return;
        }
        int q0 = GuestDma.le(block, 0);
        int cmd = q0 >>> 28;
        int key = q0 >>> 24 & 7;
        long last;
        IsochronousPacket packet = null;
        int evt = EVT_OK;
        if (cmd == 1 && key == 0 && z == 1) {
            last = address;   // a skip cycle: nothing is sent
        } else if (key == 2 && (cmd == 0 || cmd == 1) && (q0 & 0xFFFF) == 8 && z >= 2) {
            int h0 = GuestDma.le(block, 16);
            byte[] payload;
            if (cmd == 1) {
                if (z != 2) {
                    die(EVT_UNKNOWN, "OUTPUT_LAST-Immediate in a block of Z=" + z + " at 0x" + Long.toHexString(address));
                    return;
                }
                last = address;
                payload = new byte[0];
            } else {
                if (z < 3) {
                    die(EVT_UNKNOWN, "OUTPUT_MORE-Immediate without an OUTPUT_LAST at 0x" + Long.toHexString(address));
                    return;
                }
                java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
                for (int i = 2; i < z; i++) {
                    int d0 = GuestDma.le(block, i * 16);
                    int dcmd = d0 >>> 28;
                    if ((d0 >>> 24 & 7) != 0 || dcmd != (i == z - 1 ? 1 : 0)) {
                        die(EVT_UNKNOWN, "descriptor " + i + " of the block at 0x" + Long.toHexString(address) + " has cmd "
                                + dcmd + " key " + (d0 >>> 24 & 7) + " (OUTPUT_MORE ... OUTPUT_LAST expected)");
                        return;
                    }
                    int n = d0 & 0xFFFF;
                    if (data.size() + n > MAX_PAYLOAD) {
                        die(EVT_UNKNOWN, "payload of more than " + MAX_PAYLOAD + " bytes at 0x" + Long.toHexString(address));
                        return;
                    }
                    long at = GuestDma.le(block, i * 16 + 4) & 0xFFFF_FFFFL;
                    byte[] d = n == 0 ? new byte[0] : dma.read(at, n);
                    if (d == null) {
                        writeStatus(address + (z - 1) * 16L, EVT_DATA_READ, timeStamp);
                        die(EVT_DATA_READ, "payload at 0x" + Long.toHexString(at) + " is outside RAM");
                        return;
                    }
                    data.writeBytes(d);
                }
                last = address + (z - 1) * 16L;
                payload = data.toByteArray();
            }
            if ((h0 >>> 4 & 15) != TCODE_ISOCHRONOUS) {
                evt = EVT_TCODE_ERR;
            } else {
                packet = new IsochronousPacket(h0 >>> 8 & 63, h0 >>> 14 & 3, h0 & 15, h0 >>> 16 & 7, payload);
            }
        } else {
            die(EVT_UNKNOWN, (cmd == 8 ? "STORE_VALUE (not implemented)" : "cmd " + cmd + " key " + key
                    + " reqCount " + (q0 & 0xFFFF)) + " at 0x" + Long.toHexString(address) + " does not start an IT block");
            return;
        }
        if (packet != null) {
            link.send(packet);
        }
        writeStatus(last, evt, timeStamp);
        int lq0 = GuestDma.le(block, (int) (last - address));
        int branch = GuestDma.le(block, (int) (last - address) + 8);
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

    private void writeStatus(long last, int evt, int timeStamp) {
        control = control & ~0x1F | evt & 0x1F;
        dma.writeLe(last + 12, (control & 0xFFFF) << 16 | timeStamp & 0xFFFF);
    }

    OhciState.IsoState save() {
        return new OhciState.IsoState(control, commandPtr, 0, lastDescriptor, false, false,
                new OhciState.ArState(0, 0, -1, false));
    }

    void restore(OhciState.IsoState s) {
        control = s.control();
        commandPtr = s.commandPtr();
        lastDescriptor = s.lastDescriptor();
    }
}
