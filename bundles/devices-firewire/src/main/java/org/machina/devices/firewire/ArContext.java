package org.machina.devices.firewire;

/**
 * An asynchronous receive DMA context in buffer-fill mode (OHCI 1.1 chapter 8): a chain of
 * INPUT_MORE descriptors whose buffers the controller fills with received packets back to back;
 * a packet may continue in the next buffer. After each packet the current descriptor's resCount
 * and xferStatus are written back; a buffer that is full moves the context to the next descriptor
 * (its branch, Z = 1). At the end of the chain (Z = 0) the context waits for a wake, which re-reads
 * the branch.
 *
 * <pre>
 * q0 cmd=2(31:28) key=0 s=1(27) i(21:20) b=3(19:18) reqCount(15:0)
 * q1 dataAddress
 * q2 branchAddress(31:4) Z(3:0)
 * q3 xferStatus(31:16) resCount(15:0)
 * </pre>
 *
 * A packet that does not fit the buffers available is refused whole (the sender gets ack_busy).
 * Descriptors outside RAM, a wrong cmd, or a chain of more than {@value #MAX_HOPS} descriptors with
 * no room make the context dead.
 */
final class ArContext {
    static final int MAX_HOPS = 256;

    /** The controller side. */
    interface Sink {
        /** A buffer completed in a descriptor with i=3 (ARRQ/ARRS). */
        void bufferComplete();

        void dead(String why);
    }

    final String name;
    private final GuestDma dma;
    private final Sink sink;
    int control;
    int commandPtr;
    /** The descriptor being filled, or -1 before the first. */
    private long current = -1;
    /** The current descriptor is full and had Z = 0: the next packet needs a wake or a new branch. */
    private boolean atEnd;

    ArContext(String name, GuestDma dma, Sink sink) {
        this.name = name;
        this.dma = dma;
        this.sink = sink;
    }

    void reset() {
        control = 0;
        commandPtr = 0;
        current = -1;
        atEnd = false;
    }

    void writeControlSet(int bits) {
        bits &= AtContext.RUN | AtContext.WAKE;
        boolean starting = (bits & AtContext.RUN) != 0 && (control & AtContext.RUN) == 0;
        control |= bits;
        if (starting) {
            control &= ~(AtContext.DEAD | 0x1F);
            atEnd = false;
            if ((commandPtr & 0xF) != 0) {
                current = commandPtr & 0xFFFF_FFF0L;
                control |= AtContext.ACTIVE;
            } else {
                current = -1;
            }
        }
        control &= ~AtContext.WAKE;   // the next packet re-reads the branch anyway
    }

    void writeControlClear(int bits) {
        bits &= AtContext.RUN | AtContext.WAKE;
        control &= ~bits;
        if ((bits & AtContext.RUN) != 0) {
            control &= ~AtContext.ACTIVE;
        }
    }

    void writeCommandPtr(int value) {
        if ((control & (AtContext.RUN | AtContext.ACTIVE)) == 0) {
            commandPtr = value;
        }
    }

    boolean running() {
        return (control & AtContext.RUN) != 0 && (control & AtContext.DEAD) == 0;
    }

    /**
     * Stores one packet (header quadlets, payload and trailer, already laid out as in memory);
     * false when the context is not running or has no room for all of it.
     */
    boolean receive(byte[] packet) {
        if (!running()) {
            return false;
        }
        if (current < 0) {
            if ((commandPtr & 0xF) == 0) {
                return false;
            }
            current = commandPtr & 0xFFFF_FFF0L;
        }
        // find room first: the packet goes in whole or not at all
        long d = current;
        long room = 0;
        boolean first = true;
        for (int hops = 0; room < packet.length; hops++) {
            if (hops > MAX_HOPS) {
                die("more than " + MAX_HOPS + " descriptors without room for a packet (a loop?)");
                return false;
            }
            int[] q = descriptor(d);
            if (q == null) {
                return false;
            }
            int res = first ? q[3] & 0xFFFF : q[0] & 0xFFFF;
            if (first && atEnd) {
                res = 0;
            }
            room += res;
            first = false;
            if (room >= packet.length) {
                break;
            }
            if ((q[2] & 0xF) == 0) {
                return false;   // the software has not given more buffers yet
            }
            d = q[2] & 0xFFFF_FFF0L;
        }
        control |= AtContext.ACTIVE;
        int done = 0;
        for (int hops = 0; done < packet.length || hops == 0; hops++) {
            int[] q = descriptor(current);
            if (q == null) {
                return false;
            }
            int req = q[0] & 0xFFFF;
            int res = atEnd ? 0 : q[3] & 0xFFFF;
            if (res == 0 || res > req) {
                // full (or a nonsense resCount): go on to the next buffer, whose resCount the software reset
                if ((q[2] & 0xF) == 0) {
                    atEnd = true;
                    return done == packet.length;
                }
                current = q[2] & 0xFFFF_FFF0L;
                atEnd = false;
                int[] next = descriptor(current);
                if (next == null) {
                    return false;
                }
                dma.writeLe(current + 12, (control & 0xFFFF) << 16 | next[0] & 0xFFFF);
                if (done == packet.length) {
                    break;
                }
                continue;
            }
            int n = Math.min(res, packet.length - done);
            long data = q[1] & 0xFFFF_FFFFL;
            if (!dma.write(data + (req - res), packet, done, n)) {
                die("buffer at 0x" + Long.toHexString(data) + " is outside RAM");
                return false;
            }
            done += n;
            res -= n;
            dma.writeLe(current + 12, (control & 0xFFFF) << 16 | res);
            if (res == 0) {
                if ((q[0] >>> 20 & 3) == 3) {
                    sink.bufferComplete();
                }
                if ((q[2] & 0xF) == 0) {
                    atEnd = true;
                } else {
                    current = q[2] & 0xFFFF_FFF0L;
                    atEnd = false;
                    int[] next = descriptor(current);
                    if (next != null) {
                        // a fresh buffer starts empty
                        dma.writeLe(current + 12, (control & 0xFFFF) << 16 | next[0] & 0xFFFF);
                    }
                }
            }
            if (done == packet.length) {
                break;
            }
        }
        return true;
    }

    OhciState.ArState save() {
        return new OhciState.ArState(control, commandPtr, current, atEnd);
    }

    void restore(OhciState.ArState s) {
        control = s.control();
        commandPtr = s.commandPtr();
        current = s.current();
        atEnd = s.atEnd();
    }

    /** The four quadlets of the descriptor at {@code address}, or null (context dead) when it is bad. */
    private int[] descriptor(long address) {
        byte[] b = dma.read(address, 16);
        if (b == null) {
            die("descriptor at 0x" + Long.toHexString(address) + " is outside RAM");
            return null;
        }
        int[] q = {GuestDma.le(b, 0), GuestDma.le(b, 4), GuestDma.le(b, 8), GuestDma.le(b, 12)};
        if (q[0] >>> 28 != 2) {
            die("descriptor at 0x" + Long.toHexString(address) + " is not INPUT_MORE (cmd " + (q[0] >>> 28) + ")");
            return null;
        }
        return q;
    }

    private void die(String why) {
        control = control & ~AtContext.ACTIVE | AtContext.DEAD;
        sink.dead(name + ": " + why);
    }
}
