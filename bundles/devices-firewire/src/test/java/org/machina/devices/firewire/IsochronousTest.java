package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.devices.firewire.OhciRegisters.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.ieee1394.IsochronousPacket;

/**
 * Isochronous DMA (OHCI 1.1 chapters 9 and 10) with programs built in guest RAM: IT contexts send one
 * packet per 125 us cycle of guest time to a second node, which echoes them back to the controller's
 * IR contexts (buffer-fill, packet-per-buffer, multi-channel); status write-back, interrupts, cycle
 * match, skip cycles, the cycle clock that stops when nothing runs, and hostile programs.
 */
class IsochronousTest {
    static final long CYCLE_NS = 125_000;
    static final long IT_DESC = 0x2_0000;
    static final long IT_DATA = 0x3_0000;
    static final long IR_DESC = 0x4_0000;
    static final long IR_BUF = 0x5_0000;
    static final int IT0 = IT_BASE;
    static final int IR0 = IR_BASE;

    private final OhciHarness h = new OhciHarness();
    private final IsoNode node = new IsoNode().attach(h.ohci.bus());

    IsochronousTest() {
        h.rig.runTasks();
        h.enable();
        h.reg(INT_EVENT_CLEAR, -1);
        h.reg(INT_MASK_SET, INT_ISOCH_TX | INT_ISOCH_RX);
    }

    private Rig.TestTimer cycleClock() {
        return h.rig.timers.get("fw0 isochronous cycle");
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 13);
        }
        return b;
    }

    /**
     * An IT block (Z = 3) at {@code at}: OUTPUT_MORE-Immediate with the header, OUTPUT_LAST with the
     * payload at {@code data}; returns the OUTPUT_LAST's address (its q3 takes the status).
     */
    private long itBlock(long at, int channel, int tag, int sy, byte[] payload, long data, int branch, boolean irq) {
        h.rig.ram.le(at, 2 << 24 | 8);
        h.rig.ram.le(at + 4, 0);
        h.rig.ram.le(at + 8, branch);   // skipAddress: the same as the branch
        h.rig.ram.le(at + 12, 0);
        h.rig.ram.le(at + 16, 2 << 16 | tag << 14 | channel << 8 | 0xA << 4 | sy);
        h.rig.ram.le(at + 20, payload.length << 16);
        h.rig.ram.le(at + 24, 0);
        h.rig.ram.le(at + 28, 0);
        h.rig.ram.write(data, payload, 0, payload.length);
        long last = at + 32;
        h.rig.ram.le(last, 1 << 28 | (irq ? 3 << 20 : 0) | 3 << 18 | payload.length);
        h.rig.ram.le(last + 4, (int) data);
        h.rig.ram.le(last + 8, branch);
        h.rig.ram.le(last + 12, 0);
        return last;
    }

    /** {@code n} IT blocks in a row, 64 bytes apart, channel 5, each with 16 bytes; the last ends the program. */
    private long[] itProgram(int n) {
        long[] last = new long[n];
        for (int i = 0; i < n; i++) {
            long at = IT_DESC + 64L * i;
            int branch = i == n - 1 ? 0 : (int) (at + 64) | 3;
            last[i] = itBlock(at, 5, 1, 3, bytes(16, i), IT_DATA + 64L * i, branch, i == n - 1);
        }
        return last;
    }

    private void startIt(int context, long block, int z) {
        h.reg(IT0 + 16 * context + 12, (int) block | z);
        h.reg(IT0 + 16 * context, AtContext.RUN);
    }

    /** An INPUT_MORE (cmd 2, or INPUT_LAST with cmd 3) descriptor. */
    private void input(long at, int cmd, int reqCount, long buffer, int branch, boolean irq) {
        h.rig.ram.le(at, cmd << 28 | (cmd == 2 ? 1 << 27 : 0) | (irq ? 3 << 20 : 0) | 3 << 18 | reqCount);
        h.rig.ram.le(at + 4, (int) buffer);
        h.rig.ram.le(at + 8, branch);
        h.rig.ram.le(at + 12, reqCount);
    }

    @Test
    void itSendsOnePacketPerCycleWithStatusAndInterrupt() {
        node.port.listen(5, true);
        assertFalse(cycleClock().isArmed(), "no context runs: no cycle clock");
        long[] last = itProgram(3);
        startIt(0, IT_DESC, 3);
        assertTrue(cycleClock().isArmed());
        h.rig.advance(CYCLE_NS);
        assertEquals(1, node.received.size(), "one packet in the first cycle");
        h.rig.advance(10 * CYCLE_NS);
        assertEquals(3, node.received.size());
        for (int i = 0; i < 3; i++) {
            IsochronousPacket p = node.received.get(i);
            assertEquals(5, p.channel());
            assertEquals(1, p.tag());
            assertEquals(3, p.sy());
            assertEquals(2, p.speed());
            assertArrayEquals(bytes(16, i), p.data());
            int status = h.rig.ram.le(last[i] + 12);
            assertEquals(0x11, status >>> 16 & 0x1F, "ack_complete in xferStatus");
            assertEquals(AtContext.RUN, status >>> 16 & AtContext.RUN);
            assertEquals(i + 1, status & 0x1FFF, "timeStamp: the cycle it was sent in");
        }
        assertEquals(1, h.reg(ISO_XMIT_EVENT_SET), "isoXmitIntEvent of context 0 (i=3 on the last block only)");
        assertEquals(0, h.reg(ISO_XMIT_EVENT_CLEAR), "not yet unmasked");
        h.reg(ISO_XMIT_MASK_SET, 1);
        assertTrue((h.reg(INT_EVENT_SET) & INT_ISOCH_TX) != 0, "IntEvent.isochTx");
        assertTrue(h.rig.intx, "INTA");
        assertEquals(0, h.reg(IT0) & AtContext.ACTIVE, "Z = 0: the context idles");
        assertFalse(cycleClock().isArmed(), "idle: the cycle clock stops");
        int fired = cycleClock().fired;
        h.rig.advance(1_000_000_000L);
        assertEquals(fired, cycleClock().fired, "a second of guest time without any cycle work");

        // the guest appends a block and wakes the context
        long more = IT_DESC + 64L * 3;
        itBlock(more, 5, 1, 3, bytes(16, 3), IT_DATA + 64L * 3, 0, false);
        h.rig.ram.le(last[2] + 8, (int) more | 3);
        h.reg(IT0, AtContext.WAKE);
        h.rig.advance(CYCLE_NS);
        assertEquals(4, node.received.size(), "the wake re-read the branch");
    }

    @Test
    void cycleMatchWaitsForTheCycleAndSkipCyclesSendNothing() {
        node.port.listen(5, true);
        // a skip cycle first (a lone OUTPUT_LAST, Z = 1), then a packet
        long skip = IT_DESC + 0x400;
        h.rig.ram.le(skip, 1 << 28 | 3 << 18);
        h.rig.ram.le(skip + 4, 0);
        h.rig.ram.le(skip + 8, (int) IT_DESC | 3);
        h.rig.ram.le(skip + 12, 0);
        long last = itBlock(IT_DESC, 5, 0, 0, bytes(8, 1), IT_DATA, 0, false);
        h.reg(IT0 + 12, (int) skip | 1);
        int match = 10;   // cycleSeconds 0, cycleCount 10
        h.reg(IT0, ItContext.CYCLE_MATCH_ENABLE | match << 16 | AtContext.RUN);
        h.rig.advance(10 * CYCLE_NS);
        assertEquals(10 << 12, h.reg(CYCLE_TIMER) & 0x1FFF_F000, "cycle 10 has begun");
        assertEquals(0, node.received.size());
        assertEquals(0x11, h.rig.ram.le(skip + 12) >>> 16 & 0x1F, "the skip block ran in cycle 10");
        assertEquals(10, h.rig.ram.le(skip + 12) & 0x1FFF);
        assertEquals(0, h.reg(IT0) & ItContext.CYCLE_MATCH_ENABLE, "cycleMatchEnable cleared at the match");
        h.rig.advance(CYCLE_NS);
        assertEquals(1, node.received.size(), "the packet in the cycle after the skip");
        assertEquals(11, h.rig.ram.le(last + 12) & 0x1FFF);
    }

    @Test
    void irBufferFillWithHeadersGetsWhatTheItSentThroughASecondNode() {
        node.port.listen(5, true);
        node.echoTo = 6;
        // two 48-byte buffers: each holds two packets of header + 16 bytes + trailer
        input(IR_DESC, 2, 48, IR_BUF, (int) IR_DESC + 16 | 1, true);
        input(IR_DESC + 16, 2, 48, IR_BUF + 48, 0, true);
        h.reg(IR0 + 16, 0xF << 28 | 6);
        h.reg(IR0 + 12, (int) IR_DESC | 1);
        h.reg(IR0, IrContext.BUFFER_FILL | IrContext.ISOCH_HEADER | AtContext.RUN);
        assertFalse(cycleClock().isArmed(), "a receiving context needs no cycle clock");
        itProgram(3);
        startIt(0, IT_DESC, 3);
        h.rig.advance(10 * CYCLE_NS);
        assertEquals(3, node.received.size());
        for (int i = 0; i < 3; i++) {
            long at = IR_BUF + 24L * i;
            assertEquals(16 << 16 | 1 << 14 | 6 << 8 | 0xA << 4 | 3, h.rig.ram.le(at), "header quadlet of packet " + i);
            byte[] data = new byte[16];
            h.rig.ram.read(at + 4, data, 0, 16);
            assertArrayEquals(bytes(16, i), data);
            int trailer = h.rig.ram.le(at + 20);
            assertEquals(0x11, trailer >>> 16 & 0x1F);
            assertEquals(i + 1, trailer & 0x1FFF, "timeStamp: the cycle it came in");
        }
        assertEquals(0, h.rig.ram.le(IR_DESC + 12) & 0xFFFF, "first buffer full");
        assertEquals(24, h.rig.ram.le(IR_DESC + 16 + 12) & 0xFFFF, "second buffer: resCount 24");
        assertEquals(1, h.reg(ISO_RECV_EVENT_SET), "isoRecvIntEvent of context 0 when the first buffer filled");
    }

    @Test
    void irPacketPerBufferStoresOnePacketPerBlockFiltersTagsAndCutsLongPackets() {
        // two blocks: INPUT_MORE 8 bytes + INPUT_LAST 32 bytes
        for (int b = 0; b < 2; b++) {
            long d = IR_DESC + 32L * b;
            input(d, 2, 8, IR_BUF + 0x100L * b, 0, false);
            input(d + 16, 3, 32, IR_BUF + 0x100L * b + 0x40, b == 0 ? (int) (IR_DESC + 32) | 2 : 0, true);
        }
        h.reg(IR0 + 32 + 16, 1 << 28 | 7);   // context 1: tag 0 only, channel 7
        h.reg(IR0 + 32 + 12, (int) IR_DESC | 2);
        h.reg(IR0 + 32, IrContext.ISOCH_HEADER | AtContext.RUN);
        node.port.sendIsochronous(new IsochronousPacket(7, 1, 0, 2, bytes(20, 9)));   // tag 1: not taken
        node.port.sendIsochronous(new IsochronousPacket(7, 0, 2, 2, bytes(20, 1)));
        // packet-per-buffer with isochHeader: [xferStatus|timeStamp] [header] payload, nothing after it
        // (the 8-byte first buffer is where Linux's firewire_ohci reads the time stamp and the header)
        assertEquals(0x11, h.rig.ram.le(IR_BUF) >>> 16 & 0x1F, "xferStatus in the first quadlet");
        assertEquals(h.rig.ram.le(IR_DESC + 16 + 12) >>> 16, h.rig.ram.le(IR_BUF) >>> 16, "the same xferStatus as INPUT_LAST's");
        assertEquals(20 << 16 | 7 << 8 | 0xA << 4 | 2, h.rig.ram.le(IR_BUF + 4), "header quadlet second");
        byte[] got = new byte[20];
        h.rig.ram.read(IR_BUF + 0x40, got, 0, 20);
        assertArrayEquals(bytes(20, 1), got, "payload from the start of the block's second buffer");
        assertEquals(0, h.rig.ram.le(IR_BUF + 0x40 + 20), "no trailer after the payload");
        int status = h.rig.ram.le(IR_DESC + 16 + 12);
        assertEquals(0x11, status >>> 16 & 0x1F, "INPUT_LAST xferStatus");
        assertEquals(32 - 20, status & 0xFFFF, "INPUT_LAST resCount");
        assertEquals(0, h.rig.ram.le(IR_DESC + 12) & 0xFFFF, "INPUT_MORE filled");
        assertEquals(2, h.reg(ISO_RECV_EVENT_SET), "isoRecvIntEvent of context 1");

        node.port.sendIsochronous(new IsochronousPacket(7, 0, 2, 2, bytes(60, 5)));   // 68 bytes for 40
        status = h.rig.ram.le(IR_DESC + 32 + 16 + 12);
        assertEquals(IrContext.EVT_LONG_PACKET, status >>> 16 & 0x1F, "evt_long_packet");
        assertEquals(0, status & 0xFFFF);
        byte[] cut = new byte[32];
        h.rig.ram.read(IR_BUF + 0x100 + 0x40, cut, 0, 32);
        assertArrayEquals(Arrays.copyOf(bytes(60, 5), 32), cut, "the part that fits");
        assertEquals(0, h.reg(IR0 + 32) & AtContext.ACTIVE, "Z = 0: no more buffers");
        byte[] after = new byte[0x100];
        h.rig.ram.read(IR_BUF + 0x200, after, 0, after.length);
        node.port.sendIsochronous(new IsochronousPacket(7, 0, 2, 2, bytes(8, 7)));
        byte[] again = new byte[0x100];
        h.rig.ram.read(IR_BUF + 0x200, again, 0, again.length);
        assertArrayEquals(after, again, "a packet with no buffer is lost, nothing written");
    }

    /**
     * One receive block as Linux's firewire_net queues them on the broadcast channel: Z = 3
     * descriptors (INPUT_MORE for the 8 header bytes, whose buffer is the 16 bytes right after the
     * block, INPUT_MORE and INPUT_LAST for a payload that crosses a page) and the header slot; 64
     * bytes in all.
     */
    private void broadcastBlock(long at, long payload, int firstPart, int branch) {
        input(at, 2, 8, at + 48, 0, false);
        input(at + 16, 2, firstPart, payload, 0, false);
        input(at + 32, 3, 512 - firstPart, payload + firstPart, branch, true);
    }

    @Test
    void aBroadcastRingLikeFirewireNetsGetsGaspPacketsAndResumesAfterAWake() {
        long b0 = IR_DESC, b1 = IR_DESC + 64, b2 = IR_DESC + 128;
        broadcastBlock(b0, IR_BUF + 0xFF0, 0x10, (int) b1 | 3);
        broadcastBlock(b1, IR_BUF + 0x2000, 0x100, 0);
        h.reg(IR0 + 16, 0xF << 28 | 31);   // every tag, channel 31, sync 0
        h.reg(IR0 + 12, (int) b0 | 3);
        h.reg(IR0, IrContext.ISOCH_HEADER | AtContext.RUN);
        // a GASP packet: source_ID|specifier_ID hi, specifier_ID lo|version, then the datagram
        byte[] gasp = new byte[8 + 28];
        byte[] head = {(byte) 0xFF, (byte) 0xC1, 0x00, 0x00, 0x5E, 0x00, 0x00, 0x01};
        System.arraycopy(head, 0, gasp, 0, 8);
        System.arraycopy(bytes(28, 3), 0, gasp, 8, 28);
        node.port.sendIsochronous(new IsochronousPacket(31, 3, 0, 0, gasp));
        assertEquals(gasp.length << 16 | 3 << 14 | 31 << 8 | 0xA << 4, h.rig.ram.le(b0 + 48 + 4), "header in the header slot");
        assertEquals(0x11, h.rig.ram.le(b0 + 48) >>> 16 & 0x1F, "xferStatus before it, the time stamp below it");
        byte[] got = new byte[gasp.length];
        h.rig.ram.read(IR_BUF + 0xFF0, got, 0, gasp.length);
        assertArrayEquals(gasp, got, "the GASP header and datagram across the page boundary");
        assertEquals(0x11, h.rig.ram.le(b0 + 32 + 12) >>> 16 & 0x1F, "INPUT_LAST done");
        assertEquals(512 - 0x10 - (gasp.length - 0x10), h.rig.ram.le(b0 + 32 + 12) & 0xFFFF, "its resCount");
        assertEquals(1, h.reg(ISO_RECV_EVENT_SET) & 1, "isoRecvIntEvent of context 0");
        h.reg(ISO_RECV_EVENT_CLEAR, -1);

        node.port.sendIsochronous(new IsochronousPacket(31, 3, 0, 0, bytes(40, 1)));
        assertEquals(40 << 16 | 3 << 14 | 31 << 8 | 0xA << 4, h.rig.ram.le(b1 + 48 + 4));
        assertEquals(0, h.reg(IR0) & AtContext.ACTIVE, "the program ended");
        node.port.sendIsochronous(new IsochronousPacket(31, 3, 0, 0, bytes(40, 2)));   // no block: lost
        // the driver appends a block and wakes the context: the branch of the last block is read again
        broadcastBlock(b2, IR_BUF + 0x3000, 0x20, 0);
        h.rig.ram.le(b1 + 32 + 8, (int) b2 | 3);
        h.reg(IR0, AtContext.WAKE);
        assertNotEquals(0, h.reg(IR0) & AtContext.ACTIVE, "active again");
        node.port.sendIsochronous(new IsochronousPacket(31, 3, 0, 0, bytes(40, 4)));
        byte[] third = new byte[40];
        h.rig.ram.read(IR_BUF + 0x3000, third, 0, 40);
        assertArrayEquals(bytes(40, 4), third, "the packet after the wake, not the lost one");
        assertEquals(1, h.reg(ISO_RECV_EVENT_SET) & 1);
    }

    @Test
    void multiChannelTakesTheMaskedChannelsThatNoOtherContextTook() {
        input(IR_DESC, 2, 256, IR_BUF, 0, false);
        h.reg(IR_MULTI_CHAN_LO_SET, 1 << 1 | 1 << 3);
        h.reg(IR0 + 64 + 12, (int) IR_DESC | 1);
        h.reg(IR0 + 64, IrContext.BUFFER_FILL | IrContext.ISOCH_HEADER | IrContext.MULTI_CHAN | AtContext.RUN);
        // context 3 takes channel 3 in packet-per-buffer mode without headers
        input(IR_DESC + 0x100, 3, 64, IR_BUF + 0x400, 0, false);
        h.reg(IR0 + 96 + 16, 0xF << 28 | 3);
        h.reg(IR0 + 96 + 12, (int) (IR_DESC + 0x100) | 1);
        h.reg(IR0 + 96, AtContext.RUN);
        for (int ch = 1; ch <= 3; ch++) {
            node.port.sendIsochronous(new IsochronousPacket(ch, 0, 0, 2, bytes(8, ch)));
        }
        assertEquals(8 << 16 | 1 << 8 | 0xA << 4, h.rig.ram.le(IR_BUF), "channel 1 in the multi-channel buffer");
        assertEquals(0, h.rig.ram.le(IR_BUF + 16), "nothing after it: 2 is not masked, 3 went to context 3");
        assertEquals(256 - 16, h.rig.ram.le(IR_DESC + 12) & 0xFFFF);
        byte[] got = new byte[8];
        h.rig.ram.read(IR_BUF + 0x400, got, 0, 8);
        assertArrayEquals(bytes(8, 3), got, "channel 3, payload only");
    }

    @Test
    void hostileProgramsAreBoundedAndKillOnlyTheirContext() {
        node.port.listen(5, true);
        // a block outside RAM
        startIt(1, 0x2000_0000L, 3);
        h.rig.advance(CYCLE_NS);
        assertTrue((h.reg(IT0 + 16) & AtContext.DEAD) != 0, "dead");
        assertEquals(ItContext.EVT_DESCRIPTOR_READ, h.reg(IT0 + 16) & 0x1F);
        assertTrue((h.reg(INT_EVENT_SET) & INT_UNRECOVERABLE) != 0, "unrecoverableError");
        assertFalse(cycleClock().isArmed(), "a dead context needs no cycles");
        // a program that loops on itself: one packet per cycle, no more
        itBlock(IT_DESC, 5, 0, 0, bytes(4, 0), IT_DATA, (int) IT_DESC | 3, false);
        startIt(0, IT_DESC, 3);
        int fired = cycleClock().fired;
        h.rig.advance(80 * CYCLE_NS);
        assertEquals(80, node.received.size(), "10 ms of a looping program: 80 packets");
        assertEquals(80, cycleClock().fired - fired, "one timer call per cycle");
        h.reg(IT0 + 4, AtContext.RUN);
        assertFalse(cycleClock().isArmed(), "stopped: the clock stops");
        // payload outside RAM
        itBlock(IT_DESC + 0x100, 5, 0, 0, bytes(4, 0), IT_DATA, 0, false);
        h.rig.ram.le(IT_DESC + 0x100 + 32 + 4, 0x4000_0000);
        startIt(2, IT_DESC + 0x100, 3);
        h.rig.advance(CYCLE_NS);
        assertTrue((h.reg(IT0 + 32) & AtContext.DEAD) != 0);
        assertEquals(ItContext.EVT_DATA_READ, h.rig.ram.le(IT_DESC + 0x100 + 32 + 12) >>> 16 & 0x1F, "evt_data_read written back");
        // IR: a packet-per-buffer block with an AT command in it
        h.rig.ram.le(IR_DESC, 1 << 28 | 8);
        h.reg(IR0 + 16, 0xF << 28 | 9);
        h.reg(IR0 + 12, (int) IR_DESC | 1);
        h.reg(IR0, AtContext.RUN);
        node.port.sendIsochronous(new IsochronousPacket(9, 0, 0, 2, bytes(4, 0)));
        assertTrue((h.reg(IR0) & AtContext.DEAD) != 0, "IR context dead");
        // IR buffer-fill: a chain of empty buffers that loops
        input(IR_DESC + 0x100, 2, 0, IR_BUF, (int) (IR_DESC + 0x100) | 1, false);
        h.reg(IR0 + 32 + 16, 0xF << 28 | 10);
        h.reg(IR0 + 32 + 12, (int) (IR_DESC + 0x100) | 1);
        h.reg(IR0 + 32, IrContext.BUFFER_FILL | AtContext.RUN);
        node.port.sendIsochronous(new IsochronousPacket(10, 0, 0, 2, bytes(4, 0)));
        assertTrue((h.reg(IR0 + 32) & AtContext.DEAD) != 0, "a loop of empty buffers kills the context");
        // the other contexts still work
        itBlock(IT_DESC + 0x200, 5, 0, 0, bytes(4, 0), IT_DATA, 0, false);
        int before = node.received.size();
        startIt(3, IT_DESC + 0x200, 3);
        h.rig.advance(CYCLE_NS);
        assertEquals(before + 1, node.received.size());
        assertNotEquals(0, h.reg(IT0 + 48) & AtContext.RUN);
    }

    @Test
    void anAsynchronousStreamPacketFromTheAtRequestContextReachesTheChannel() {
        node.port.listen(31, true);
        int st = h.sendRequest(new int[] {2 << 16 | 3 << 14 | 31 << 8 | 0xA << 4 | 1, 12 << 16}, bytes(12, 4), 8);
        assertEquals(0x11, st & 0x1F, "ack_complete");
        assertEquals(1, node.received.size());
        IsochronousPacket p = node.received.get(0);
        assertEquals(31, p.channel());
        assertEquals(3, p.tag());
        assertEquals(1, p.sy());
        assertArrayEquals(bytes(12, 4), p.data());
    }

    @Test
    void aProgramThatWaitsForSyncTakesNothingBeforeIt() {
        input(IR_DESC, 2, 64, IR_BUF, 0, false);
        h.rig.ram.le(IR_DESC, h.rig.ram.le(IR_DESC) | 3 << 16);   // w = 3: wait for sync
        h.reg(IR0 + 16, 0xF << 28 | 5 << 8 | 4);                  // sync 5, channel 4
        h.reg(IR0 + 12, (int) IR_DESC | 1);
        h.reg(IR0, IrContext.BUFFER_FILL | AtContext.RUN);
        node.port.sendIsochronous(new IsochronousPacket(4, 0, 1, 2, bytes(4, 1)));
        assertEquals(64, h.rig.ram.le(IR_DESC + 12) & 0xFFFF, "sy 1: not taken");
        node.port.sendIsochronous(new IsochronousPacket(4, 0, 5, 2, bytes(4, 2)));
        node.port.sendIsochronous(new IsochronousPacket(4, 0, 1, 2, bytes(4, 3)));
        assertEquals(64 - 8, h.rig.ram.le(IR_DESC + 12) & 0xFFFF, "from the sync packet on, everything");
        byte[] got = new byte[8];
        h.rig.ram.read(IR_BUF, got, 0, 8);
        assertArrayEquals(new byte[] {2, 15, 28, 41, 3, 16, 29, 42}, got);
    }

    @Test
    void irCycleMatchTakesNothingBeforeTheCycle() {
        input(IR_DESC, 2, 64, IR_BUF, 0, false);
        h.reg(IR0 + 16, 0xF << 28 | 3 << 12 | 4);   // cycleMatch 3, channel 4
        h.reg(IR0 + 12, (int) IR_DESC | 1);
        h.reg(IR0, IrContext.BUFFER_FILL | IrContext.CYCLE_MATCH_ENABLE | AtContext.RUN);
        assertTrue(cycleClock().isArmed(), "waiting for a cycle needs the clock");
        h.rig.advance(2 * CYCLE_NS);
        node.port.sendIsochronous(new IsochronousPacket(4, 0, 0, 2, bytes(4, 1)));
        assertEquals(64, h.rig.ram.le(IR_DESC + 12) & 0xFFFF, "cycle 2: not yet");
        h.rig.advance(CYCLE_NS);
        assertEquals(0, h.reg(IR0) & IrContext.CYCLE_MATCH_ENABLE, "cycle 3: matched");
        assertFalse(cycleClock().isArmed(), "and the clock stops again");
        node.port.sendIsochronous(new IsochronousPacket(4, 0, 0, 2, bytes(4, 1)));
        assertEquals(60, h.rig.ram.le(IR_DESC + 12) & 0xFFFF);
    }

    @Test
    void aLateTimerCatchesUpAndLostCyclesFollowTheSkipAddress() {
        node.port.listen(5, true);
        itBlock(IT_DESC, 5, 0, 0, bytes(4, 0), IT_DATA, (int) IT_DESC | 3, false);
        startIt(0, IT_DESC, 3);
        // the machine ran 200 cycles without the timer getting its turn
        h.rig.now += 200 * CYCLE_NS;
        h.rig.advance(0);
        assertEquals(Ohci1394.MAX_CATCH_UP, node.received.size(), "at most MAX_CATCH_UP cycles are made up");
        h.rig.advance(CYCLE_NS);
        assertEquals(Ohci1394.MAX_CATCH_UP + 1, node.received.size(), "then one per cycle again");
    }

    @Test
    void aSwapInTheMiddleOfAStreamSendsTheRestAsWithout() {
        int[] plain = stream(false);
        int[] swapped = stream(true);
        assertArrayEquals(plain, swapped);
    }

    /** Four packets from IT to IR through the node; a swap after the second. Returns IR buffer and IT statuses. */
    private static int[] stream(boolean swap) {
        IsochronousTest t = new IsochronousTest();
        t.node.port.listen(5, true);
        t.node.echoTo = 6;
        t.input(IR_DESC, 2, 256, IR_BUF, 0, true);
        t.h.reg(IR0 + 16, 0xF << 28 | 6);
        t.h.reg(IR0 + 12, (int) IR_DESC | 1);
        t.h.reg(IR0, IrContext.BUFFER_FILL | IrContext.ISOCH_HEADER | AtContext.RUN);
        long[] last = t.itProgram(4);
        t.startIt(0, IT_DESC, 3);
        t.h.rig.advance(2 * CYCLE_NS);
        assertEquals(2, t.node.received.size());
        if (swap) {
            IsoNode again = new IsoNode();
            t.h.swap(() -> t.node.port.detach(), () -> {
                again.attach(t.h.ohci.bus());
                again.port.listen(5, true);
                again.echoTo = 6;
            });
            t.h.rig.runTasks();
            assertEquals(0, t.h.ohci.bus().resets(), "no bus reset");
        }
        t.h.rig.advance(5 * CYCLE_NS);
        int[] out = new int[4 + 24];
        for (int i = 0; i < 4; i++) {
            out[i] = t.h.rig.ram.le(last[i] + 12);
        }
        for (int i = 0; i < 24; i++) {
            out[4 + i] = t.h.rig.ram.le(IR_BUF + 4L * i);
        }
        out[4 + 23] = t.h.rig.ram.le(IR_DESC + 12);
        assertNotEquals(0, out[4 + 18], "the fourth packet arrived");
        return out;
    }
}
