package org.machina.devices.firewire;

import java.util.ArrayList;
import java.util.List;

/**
 * An asynchronous transmit DMA context (OHCI 1.1 chapter 7): runs a program of descriptor blocks,
 * each an OUTPUT_MORE-Immediate or OUTPUT_LAST-Immediate with the packet header followed by
 * OUTPUT_MORE/OUTPUT_LAST payload descriptors, linked by branchAddress|Z. After each packet the
 * ack (or an evt_* code) is written back as xferStatus/timeStamp into the block's *_LAST
 * descriptor. At the end of the program (Z = 0) the context idles; a wake re-reads the branch of
 * the last descriptor.
 *
 * <pre>
 * descriptor (16 bytes, little-endian quadlets)
 * q0 cmd(31:28) key(26:24) i(21:20) b(19:18) reqCount(15:0)   cmd 0 OUTPUT_MORE, 1 OUTPUT_LAST; key 0 or 2 (immediate)
 * q1 dataAddress (immediate: reserved; 16 bytes of immediate data follow the descriptor)
 * q2 branchAddress(31:4) Z(3:0)                             *_LAST only
 * q3 xferStatus(31:16) timeStamp(15:0)                      written back in *_LAST
 * </pre>
 *
 * Hostile programs are bounded: a block outside RAM, a bad command or Z, or a program of more
 * than {@value #MAX_BLOCKS_PER_RUN} blocks in one go (a loop) makes the context dead with an
 * unrecoverableError interrupt.
 */
final class AtContext {
    static final int RUN = 0x8000;
    static final int WAKE = 0x1000;
    static final int DEAD = 0x0800;
    static final int ACTIVE = 0x0400;
    static final int MAX_BLOCKS_PER_RUN = 4096;
    static final int MAX_PAYLOAD = 4096;

    static final int EVT_MISSING_ACK = 0x03;
    static final int EVT_DESCRIPTOR_READ = 0x06;
    static final int EVT_DATA_READ = 0x07;
    static final int EVT_TCODE_ERR = 0x0B;
    static final int EVT_UNKNOWN = 0x0E;
    static final int EVT_FLUSHED = 0x0F;

    /** What the controller does with a packet the program built. */
    interface Transmitter {
        /** Sends the packet; returns the evt/ack code for xferStatus. */
        int transmit(int[] header, byte[] headerBytes, byte[] payload);

        /** Whether transmission is held (a bus reset is being handled). */
        boolean held();

        /** A packet completed with i=3 (or an error): raise the context's interrupt. */
        void complete();

        /** The program is broken: unrecoverableError. */
        void dead(String why);

        int timeStamp();
    }

    final String name;
    private final GuestDma dma;
    private final Transmitter tx;
    int control;
    int commandPtr;
    /** Address of the last *_LAST descriptor processed (its branch is re-read on wake), or -1. */
    private long lastDescriptor = -1;
    private boolean running;

    AtContext(String name, GuestDma dma, Transmitter tx) {
        this.name = name;
        this.dma = dma;
        this.tx = tx;
    }

    void reset() {
        control = 0;
        commandPtr = 0;
        lastDescriptor = -1;
    }

    void writeControlSet(int bits) {
        bits &= RUN | WAKE;
        boolean starting = (bits & RUN) != 0 && (control & RUN) == 0;
        control |= bits;
        if (starting) {
            control &= ~(DEAD | 0x1F);
            lastDescriptor = -1;
            if ((commandPtr & 0xF) != 0) {
                control |= ACTIVE;
            }
        }
        process();
    }

    void writeControlClear(int bits) {
        bits &= RUN | WAKE;
        control &= ~bits;
        if ((bits & RUN) != 0) {
            control &= ~ACTIVE;   // stops at once: no packet is ever half sent
        }
    }

    void writeCommandPtr(int value) {
        if ((control & (RUN | ACTIVE)) == 0) {
            commandPtr = value;
        }
    }

    /** Runs the program as far as it goes. Re-entry (a transmit that triggers more work) is refused. */
    void process() {
        if (running) {
            return;
        }
        running = true;
        try {
            runProgram();
        } finally {
            running = false;
        }
    }

    private void runProgram() {
        if ((control & RUN) == 0 || (control & DEAD) != 0) {
            return;
        }
        if ((control & ACTIVE) == 0) {
            if ((control & WAKE) == 0 || lastDescriptor < 0) {
                control &= ~WAKE;
                return;
            }
            control &= ~WAKE;
            Integer branch = dma.readLe(lastDescriptor + 8);
            if (branch == null) {
                die(EVT_DESCRIPTOR_READ, "descriptor at 0x" + Long.toHexString(lastDescriptor) + " is outside RAM");
                return;
            }
            if ((branch & 0xF) == 0) {
                return;
            }
            commandPtr = branch;
            control |= ACTIVE;
        }
        control &= ~WAKE;
        int blocks = 0;
        while ((control & ACTIVE) != 0 && (control & RUN) != 0) {
            if (tx.held()) {
                return;   // resumed when the guest clears busReset
            }
            if (++blocks > MAX_BLOCKS_PER_RUN) {
                die(EVT_UNKNOWN, "more than " + MAX_BLOCKS_PER_RUN + " descriptor blocks without a stop (a loop?)");
                return;
            }
            if (!runBlock(commandPtr & 0xFFFF_FFF0L, commandPtr & 0xF)) {
                return;
            }
        }
    }

    /** Processes one descriptor block; false when the context died. */
    private boolean runBlock(long address, int z) {
        if (z < 2 || z > 8 && z != 0) {
            return die(EVT_UNKNOWN, "Z=" + z + " at 0x" + Long.toHexString(address) + " (AT blocks have 2..8)");
        }
        byte[] block = dma.read(address, z * 16);
        if (block == null) {
            return die(EVT_DESCRIPTOR_READ, "descriptor block at 0x" + Long.toHexString(address) + " (Z=" + z
                    + ") is outside RAM");
        }
        byte[] header = null;
        List<byte[]> payload = new ArrayList<>();
        int payloadBytes = 0;
        int at = 0;
        while (at < z) {
            int q0 = GuestDma.le(block, at * 16);
            int cmd = q0 >>> 28;
            int key = q0 >>> 24 & 7;
            int reqCount = q0 & 0xFFFF;
            boolean last = cmd == 1;
            if (cmd > 1 || key != 0 && key != 2) {
                return die(EVT_UNKNOWN, "descriptor " + at + " of the block at 0x" + Long.toHexString(address)
                        + " has cmd " + cmd + " key " + key + " (not an AT descriptor)");
            }
            if (key == 2) {
                if (at != 0 || reqCount < 8 || reqCount > 16 || at + 1 >= z) {
                    return die(EVT_UNKNOWN, "immediate descriptor with reqCount " + reqCount + " at position " + at);
                }
                header = java.util.Arrays.copyOfRange(block, 16, 16 + reqCount);
                at += 2;
            } else {
                if (header == null) {
                    return die(EVT_UNKNOWN, "the block at 0x" + Long.toHexString(address) + " does not start with an immediate header");
                }
                payloadBytes += reqCount;
                if (payloadBytes > MAX_PAYLOAD) {
                    return die(EVT_UNKNOWN, "payload of more than " + MAX_PAYLOAD + " bytes");
                }
                long data = GuestDma.le(block, at * 16 + 4) & 0xFFFF_FFFFL;
                byte[] d = reqCount == 0 ? new byte[0] : dma.read(data, reqCount);
                if (d == null) {
                    writeStatus(address + (z - 1) * 16L, EVT_DATA_READ);
                    return die(EVT_DATA_READ, "payload at 0x" + Long.toHexString(data) + " is outside RAM");
                }
                payload.add(d);
                at += 1;
            }
            if (last) {
                if (at != z) {
                    return die(EVT_UNKNOWN, "*_LAST descriptor before the end of the block (Z=" + z + ")");
                }
                long lastAddr = address + (z - (key == 2 ? 2 : 1)) * 16L;
                byte[] all = new byte[payloadBytes];
                int p = 0;
                for (byte[] d : payload) {
                    System.arraycopy(d, 0, all, p, d.length);
                    p += d.length;
                }
                int[] hq = new int[4];
                for (int i = 0; i < header.length / 4; i++) {
                    hq[i] = GuestDma.le(header, i * 4);
                }
                int evt = tx.transmit(hq, header, all);
                writeStatus(lastAddr, evt);
                int lq0 = GuestDma.le(block, (int) (lastAddr - address));
                int branch = GuestDma.le(block, (int) (lastAddr - address) + 8);
                if ((lq0 >>> 20 & 3) == 3) {
                    tx.complete();
                }
                lastDescriptor = lastAddr;
                if ((branch & 0xF) == 0) {
                    control &= ~ACTIVE;
                    // a wake that came while we ran is honoured now
                    Integer again = dma.readLe(lastAddr + 8);
                    if (again != null && (again & 0xF) != 0 && (control & WAKE) != 0) {
                        control &= ~WAKE;
                        commandPtr = again;
                        control |= ACTIVE;
                        return true;
                    }
                    commandPtr = branch;
                    return true;
                }
                commandPtr = branch;
                return true;
            }
        }
        return die(EVT_UNKNOWN, "the block at 0x" + Long.toHexString(address) + " has no *_LAST descriptor");
    }

    private void writeStatus(long lastAddr, int evt) {
        control = control & ~0x1F | evt & 0x1F;
        dma.writeLe(lastAddr + 12, (control & 0xFFFF) << 16 | tx.timeStamp() & 0xFFFF);
    }

    private boolean die(int evt, String why) {
        control = control & ~(ACTIVE | 0x1F) | DEAD | evt;
        tx.dead(name + ": " + why);
        return false;
    }

    OhciState.AtState save() {
        return new OhciState.AtState(control, commandPtr, lastDescriptor);
    }

    void restore(OhciState.AtState s) {
        control = s.control();
        commandPtr = s.commandPtr();
        lastDescriptor = s.lastDescriptor();
    }

    /** Whether a program is waiting to run (run and active). */
    boolean pending() {
        return (control & (RUN | ACTIVE)) == (RUN | ACTIVE) && (control & DEAD) == 0;
    }
}
