package org.machina.devices.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.devices.net.E1000Regs.*;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class E1000Test {
    static final byte[] MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static final long RX_RING = 0x1000;
    static final long TX_RING = 0x2000;
    static final long RX_BUFFERS = 0x10000;
    static final long TX_BUFFERS = 0x40000;

    FakeContext ctx;
    E1000 nic;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        nic = new E1000(ctx, ctx.netdev, MAC, -1);
        nic.realize();
    }

    // ---- EEPROM, PHY, interrupts ----

    /** Reads one word the way Linux's e1000 driver bit-bangs a Microwire EEPROM. */
    private int microwireRead(int address) {
        int eecd = nic.readRegister(EECD) & ~(E1000Eeprom.SK | E1000Eeprom.DI);
        nic.writeRegister(EECD, eecd | E1000Eeprom.CS);
        eecd |= E1000Eeprom.CS;
        int bits = 0b110 << 6 | address;
        for (int i = 8; i >= 0; i--) {
            int di = (bits >> i & 1) != 0 ? E1000Eeprom.DI : 0;
            nic.writeRegister(EECD, eecd & ~E1000Eeprom.DI | di);
            nic.writeRegister(EECD, eecd & ~E1000Eeprom.DI | di | E1000Eeprom.SK);
            nic.writeRegister(EECD, eecd & ~E1000Eeprom.DI | di);
        }
        int word = 0;
        for (int i = 0; i < 16; i++) {
            nic.writeRegister(EECD, eecd | E1000Eeprom.SK);
            word = word << 1 | ((nic.readRegister(EECD) & E1000Eeprom.DO) != 0 ? 1 : 0);
            nic.writeRegister(EECD, eecd);
        }
        nic.writeRegister(EECD, eecd & ~E1000Eeprom.CS);
        return word;
    }

    @Test
    void eepromHoldsTheMacAndAValidChecksumThroughBothInterfaces() {
        nic.writeRegister(EECD, E1000Eeprom.REQ);
        assertTrue((nic.readRegister(EECD) & E1000Eeprom.GNT) != 0, "grant follows request");
        assertTrue((nic.readRegister(EECD) & E1000Eeprom.PRES) != 0);
        int sum = 0;
        for (int w = 0; w < 64; w++) {
            int bitBanged = microwireRead(w);
            nic.writeRegister(EERD, w << 8 | EERD_START);
            int eerd = nic.readRegister(EERD);
            assertTrue((eerd & EERD_DONE) != 0);
            assertEquals(bitBanged, eerd >>> 16, "word " + w);
            sum += bitBanged;
        }
        assertEquals(0xBABA, sum & 0xFFFF);
        assertEquals(0x5452, microwireRead(0));
        assertEquals(0x1200, microwireRead(1));
        assertEquals(0x5634, microwireRead(2));
    }

    @Test
    void phyReportsTheMarvellIdAndLinkUp() {
        nic.writeRegister(MDIC, MDIC_OP_READ << 26 | 1 << 21 | E1000Phy.ID1 << 16);
        int v = nic.readRegister(MDIC);
        assertTrue((v & MDIC_READY) != 0);
        assertEquals(0x0141, v & 0xFFFF);
        nic.writeRegister(MDIC, MDIC_OP_READ << 26 | 1 << 21 | E1000Phy.STATUS << 16);
        assertTrue((nic.readRegister(MDIC) & E1000Phy.STATUS_LINK) != 0);
        nic.writeRegister(MDIC, MDIC_OP_READ << 26 | 2 << 21 | E1000Phy.ID1 << 16);
        assertTrue((nic.readRegister(MDIC) & MDIC_ERROR) != 0, "no PHY at address 2");
        nic.writeRegister(MDIC, MDIC_OP_WRITE << 26 | 1 << 21 | E1000Phy.AUTONEG_ADV << 16 | 0x01E1);
        nic.writeRegister(MDIC, MDIC_OP_READ << 26 | 1 << 21 | E1000Phy.AUTONEG_ADV << 16);
        assertEquals(0x01E1, nic.readRegister(MDIC) & 0xFFFF);
        assertTrue((nic.readRegister(STATUS) & STATUS_LU) != 0);
    }

    @Test
    void interruptCausesMaskAndReadToClear() {
        nic.writeRegister(ICS, ICR_LSC);
        assertFalse(ctx.bus.intx, "masked");
        nic.writeRegister(IMS, ICR_LSC | ICR_RXT0);
        assertTrue(ctx.bus.intx);
        assertEquals(ICR_LSC | ICR_RXT0, nic.readRegister(IMS));
        assertEquals(ICR_LSC, nic.readRegister(ICR));
        assertFalse(ctx.bus.intx, "reading ICR clears it");
        assertEquals(0, nic.readRegister(ICR));
        nic.writeRegister(ICS, ICR_RXT0);
        nic.writeRegister(IMC, ICR_RXT0);
        assertFalse(ctx.bus.intx);
        nic.writeRegister(CTRL, CTRL_RST);
        assertEquals(0, nic.readRegister(IMS), "reset clears the mask");
    }

    // ---- receive ----

    private void setUpRx(int descriptors, int rctlExtra) {
        for (int i = 0; i < descriptors; i++) {
            ctx.memory.write(RX_RING + 16L * i, 8, RX_BUFFERS + 2048L * i);
        }
        nic.writeRegister(RDBAL, (int) RX_RING);
        nic.writeRegister(RDLEN, descriptors * 16);
        nic.writeRegister(RDH, 0);
        nic.writeRegister(RDT, descriptors - 1);
        nic.writeRegister(IMS, ICR_RXT0);
        nic.writeRegister(RCTL, RCTL_EN | RCTL_BAM | rctlExtra);
    }

    private static byte[] frame(byte[] dst, int length) {
        byte[] f = new byte[length];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(new byte[] {2, 0, 0, 0, 0, 1}, 0, f, 6, 6);
        f[12] = 0x08;
        for (int i = 14; i < length; i++) {
            f[i] = (byte) i;
        }
        return f;
    }

    @Test
    void receivedFramesFillDescriptorsAndInterrupt() {
        setUpRx(8, RCTL_SECRC);
        byte[] f = frame(MAC, 1000);
        assertTrue(ctx.netdev.deliver(f));
        byte[] got = new byte[1000];
        ctx.memory.read(RX_BUFFERS, got, 0, got.length);
        assertArrayEquals(f, got);
        assertEquals(1000, ctx.memory.read(RX_RING + 8, 2));
        assertEquals(RXD_STAT_DD | RXD_STAT_EOP | RXD_STAT_IXSM, ctx.memory.read(RX_RING + 12, 1));
        assertEquals(1, nic.readRegister(RDH));
        assertTrue(ctx.bus.intx);
        assertEquals(1, nic.readRegister(GPRC));
        assertEquals(0, nic.readRegister(GPRC), "statistics clear on read");

        assertTrue(ctx.netdev.deliver(frame(new byte[] {-1, -1, -1, -1, -1, -1}, 42)), "broadcast accepted");
        assertEquals(60, ctx.memory.read(RX_RING + 16 + 8, 2), "short frames are padded to 60 bytes");
        assertTrue(ctx.netdev.deliver(frame(new byte[] {0x52, 0x54, 0, 0, 0, 9}, 100)), "another unicast is taken");
        assertEquals(2, nic.readRegister(RDH), "...and dropped by the filter");
    }

    @Test
    void fcsIsAppendedUnlessStripped() {
        setUpRx(8, 0);
        assertTrue(ctx.netdev.deliver(frame(MAC, 100)));
        assertEquals(104, ctx.memory.read(RX_RING + 8, 2));
    }

    @Test
    void aFullRingRefusesAndReportsReadyWhenTheDriverAddsBuffers() {
        setUpRx(8, RCTL_SECRC);
        for (int i = 0; i < 7; i++) {
            assertTrue(ctx.netdev.deliver(frame(MAC, 200)));
        }
        assertFalse(ctx.netdev.port.canReceive(), "RDH reached RDT: no free descriptor");
        assertFalse(ctx.netdev.port.receive(java.nio.ByteBuffer.wrap(frame(MAC, 200))));
        assertEquals(0, ctx.netdev.receiveReadyCalls);
        nic.writeRegister(RDT, 1);
        assertEquals(1, ctx.netdev.receiveReadyCalls);
        assertTrue(ctx.netdev.deliver(frame(MAC, 200)));
    }

    @Test
    void aFrameLongerThanOneBufferSpansDescriptors() {
        setUpRx(8, RCTL_SECRC | RCTL_LPE | 3 << 16);   // 256-byte buffers
        byte[] f = frame(MAC, 600);
        assertTrue(ctx.netdev.deliver(f));
        assertEquals(3, nic.readRegister(RDH));
        assertEquals(RXD_STAT_DD, ctx.memory.read(RX_RING + 12, 1), "status bits but DD only in the last descriptor");
        assertEquals(RXD_STAT_DD | RXD_STAT_IXSM | RXD_STAT_EOP, ctx.memory.read(RX_RING + 32 + 12, 1));
        assertEquals(88, ctx.memory.read(RX_RING + 32 + 8, 2));
    }

    @Test
    void receiveChecksumOffloadReportsVerifiedChecksums() {
        setUpRx(8, RCTL_SECRC);
        nic.writeRegister(RXCSUM, RXCSUM_IPOFL | RXCSUM_TUOFL);
        byte[] p = tcpPacket(300, 0x10);
        Checksums.put16(p, 24, Checksums.finish(Checksums.add(0, p, 14, 34)));
        long sum = Checksums.add(0, p, 26, 34) + 6 + 320;
        Checksums.put16(p, 50, Checksums.finish(Checksums.add(sum, p, 34, p.length)));
        assertTrue(ctx.netdev.deliver(p));
        assertEquals(RXD_STAT_DD | RXD_STAT_EOP | RXD_STAT_IPCS | RXD_STAT_TCPCS, ctx.memory.read(RX_RING + 12, 1));
        assertEquals(0, ctx.memory.read(RX_RING + 13, 1));
        p[100] ^= 1;
        assertTrue(ctx.netdev.deliver(p));
        assertEquals(RXD_ERR_TCPE, ctx.memory.read(RX_RING + 16 + 13, 1), "a corrupted payload is flagged");
        assertTrue(ctx.netdev.deliver(frame(MAC, 80)));
        assertEquals(RXD_STAT_DD | RXD_STAT_EOP, ctx.memory.read(RX_RING + 32 + 12, 1), "not IPv4: nothing checked");
    }

    // ---- transmit ----

    private void setUpTx(int descriptors) {
        nic.writeRegister(TDBAL, (int) TX_RING);
        nic.writeRegister(TDLEN, descriptors * 16);
        nic.writeRegister(TDH, 0);
        nic.writeRegister(TDT, 0);
        nic.writeRegister(IMS, ICR_TXDW);
        nic.writeRegister(TCTL, TCTL_EN);
    }

    private void legacy(int index, long buffer, int length, int cmd) {
        long d = TX_RING + 16L * index;
        ctx.memory.write(d, 8, buffer);
        ctx.memory.write(d + 8, 4, length | cmd << 24);
        ctx.memory.write(d + 12, 4, 0);
    }

    @Test
    void legacyDescriptorsMakeOneFrameAndAreWrittenBack() {
        setUpTx(8);
        byte[] f = frame(new byte[] {-1, -1, -1, -1, -1, -1}, 300);
        ctx.memory.write(TX_BUFFERS, f, 0, 100);
        ctx.memory.write(TX_BUFFERS + 0x1000, f, 100, 200);
        legacy(0, TX_BUFFERS, 100, 0);
        legacy(1, TX_BUFFERS + 0x1000, 200, TXD_CMD_EOP | TXD_CMD_RS);
        nic.writeRegister(TDT, 2);
        assertEquals(1, ctx.netdev.sent.size());
        assertArrayEquals(f, ctx.netdev.sent.get(0));
        assertEquals(TXD_STAT_DD, ctx.memory.read(TX_RING + 16 + 12, 1) & 0xF);
        assertEquals(2, nic.readRegister(TDH));
        assertTrue(ctx.bus.intx);
        assertEquals(ICR_TXDW | ICR_TXQE, nic.readRegister(ICR));
    }

    @Test
    void aFullNetdevKeepsTheFrameUntilSendReady() {
        setUpTx(8);
        ctx.memory.write(TX_BUFFERS, frame(MAC, 64), 0, 64);
        legacy(0, TX_BUFFERS, 64, TXD_CMD_EOP | TXD_CMD_RS);
        legacy(1, TX_BUFFERS, 64, TXD_CMD_EOP | TXD_CMD_RS);
        ctx.netdev.full = true;
        nic.writeRegister(TDT, 2);
        assertEquals(0, ctx.netdev.sent.size());
        assertEquals(0, ctx.memory.read(TX_RING + 12, 1) & TXD_STAT_DD, "not written back while refused");
        nic.writeRegister(TDT, 2);
        assertEquals(1, ctx.netdev.refused, "no retry before sendReady");
        ctx.netdev.full = false;
        ctx.netdev.port.sendReady();
        assertEquals(2, ctx.netdev.sent.size());
        assertEquals(TXD_STAT_DD, ctx.memory.read(TX_RING + 16 + 12, 1) & TXD_STAT_DD);
    }

    /** An Ethernet + IPv4 + TCP packet (20-byte headers) with {@code payload} bytes; checksums zero. */
    private static byte[] tcpPacket(int payload, int tcpFlags) {
        byte[] p = new byte[54 + payload];
        System.arraycopy(MAC, 0, p, 0, 6);
        p[12] = 0x08;
        p[14] = 0x45;
        Checksums.put16(p, 16, 40 + payload);
        Checksums.put16(p, 18, 0x1234);
        p[22] = 64;
        p[23] = 6;
        byte[] addrs = {10, 0, 2, 15, 10, 0, 2, 2};
        System.arraycopy(addrs, 0, p, 26, 8);
        Checksums.put16(p, 34, 40000);
        Checksums.put16(p, 36, 80);
        p[38] = 0x10;                 // sequence 0x10000000
        p[46] = 0x50;
        p[47] = (byte) tcpFlags;
        Checksums.put16(p, 48, 8192);
        for (int i = 54; i < p.length; i++) {
            p[i] = (byte) (i * 7);
        }
        return p;
    }

    /** {@code p} with the driver's pseudo-header seed in its TCP checksum field, as for TXSM. */
    private static byte[] seeded(byte[] p) {
        long seed = Checksums.add(0, p, 26, 34) + 6 + (p.length - 34);
        while (seed >>> 16 != 0) {
            seed = (seed & 0xFFFF) + (seed >>> 16);
        }
        Checksums.put16(p, 50, (int) seed);
        return p;
    }

    private static boolean tcpChecksumValid(byte[] f) {
        int tcpLength = f.length - 34;
        long sum = Checksums.add(0, f, 26, 34) + 6 + tcpLength;
        return Checksums.finish(Checksums.add(sum, f, 34, f.length)) == 0;
    }

    private void contextDescriptor(int index, int tucmd, int payLen, int hdrLen, int mss) {
        long d = TX_RING + 16L * index;
        long lower = 14 | 24L << 8 | 33L << 16 | 34L << 32 | 50L << 40;   // IPCSS, IPCSO, IPCSE, TUCSS, TUCSO, TUCSE 0
        ctx.memory.write(d, 8, lower);
        ctx.memory.write(d + 8, 4, payLen | (tucmd | TXD_CMD_DEXT) << 24);
        ctx.memory.write(d + 12, 4, hdrLen << 8 | mss << 16);
    }

    private void dataDescriptor(int index, long buffer, int length, int dcmd, int popts) {
        long d = TX_RING + 16L * index;
        ctx.memory.write(d, 8, buffer);
        ctx.memory.write(d + 8, 4, length | 1 << 20 | (dcmd | TXD_CMD_DEXT) << 24);
        ctx.memory.write(d + 12, 4, popts << 8);
    }

    /** Descriptors 0 (context) and 1 (data, TXSM): a TCP packet of {@code payload} bytes whose checksum the NIC inserts. */
    private void offloadedTcpPacket(int payload) {
        byte[] p = seeded(tcpPacket(payload, 0x18));
        ctx.memory.write(TX_BUFFERS, p, 0, p.length);
        contextDescriptor(0, 0, 0, 0, 0);
        dataDescriptor(1, TX_BUFFERS, p.length, TXD_CMD_EOP | TXD_CMD_RS, TXD_POPTS_TXSM);
    }

    @Test
    void checksumOffloadInsertsTheTcpChecksum() {
        setUpTx(8);
        offloadedTcpPacket(500);
        nic.writeRegister(TDT, 2);
        assertEquals(1, ctx.netdev.sent.size());
        assertTrue(tcpChecksumValid(ctx.netdev.sent.get(0)));
    }

    /**
     * Linux sends a packet without offload in legacy descriptors right after one with TCP checksum
     * insertion: the legacy packet must leave as it is. It used to get the last packet's TXSM and a
     * "checksum" stored at TUCSO (byte 50: bytes 12-13 of an IPv6 destination address, which is
     * how a guest's neighbour solicitations went to the wrong multicast group after a wget).
     */
    @Test
    void aLegacyPacketAfterAnOffloadedOneIsSentUnchanged() {
        setUpTx(8);
        offloadedTcpPacket(100);
        byte[] plain = frame(new byte[] {0x33, 0x33, -1, 0, 0, 2}, 86);
        ctx.memory.write(TX_BUFFERS + 0x1000, plain, 0, plain.length);
        legacy(2, TX_BUFFERS + 0x1000, plain.length, TXD_CMD_EOP | TXD_CMD_RS);
        nic.writeRegister(TDT, 3);
        assertEquals(2, ctx.netdev.sent.size());
        assertTrue(tcpChecksumValid(ctx.netdev.sent.get(0)), "the offloaded packet");
        assertArrayEquals(plain, ctx.netdev.sent.get(1), "the legacy packet, byte for byte");
    }

    @Test
    void tsoCutsThePayloadIntoSegments() {
        setUpTx(8);
        byte[] p = tcpPacket(2500, 0x19);          // FIN | PSH | ACK
        ctx.memory.write(TX_BUFFERS, p, 0, p.length);
        contextDescriptor(0, TXD_CMD_TSE | TUCMD_IP | TUCMD_TCP, 2500, 54, 1000);
        dataDescriptor(1, TX_BUFFERS, 54, TXD_CMD_TSE, TXD_POPTS_TXSM | TXD_POPTS_IXSM);
        dataDescriptor(2, TX_BUFFERS + 54, 2500, TXD_CMD_TSE | TXD_CMD_EOP | TXD_CMD_RS, TXD_POPTS_TXSM | TXD_POPTS_IXSM);
        nic.writeRegister(TDT, 3);
        List<byte[]> s = ctx.netdev.sent;
        assertEquals(3, s.size());
        int[] payloads = {1000, 1000, 500};
        for (int i = 0; i < 3; i++) {
            byte[] f = s.get(i);
            assertEquals(54 + payloads[i], f.length);
            assertEquals(40 + payloads[i], Checksums.get16(f, 16), "IP total length");
            assertEquals(0x1234 + i, Checksums.get16(f, 18), "IP id");
            assertEquals(0, Checksums.finish(Checksums.add(0, f, 14, 34)), "IP checksum");
            assertTrue(tcpChecksumValid(f), "TCP checksum of segment " + i);
            assertEquals(0x10000000L + 1000L * i, (f[38] & 0xFFL) << 24 | (f[39] & 0xFF) << 16 | (f[40] & 0xFF) << 8
                    | f[41] & 0xFF);
            assertEquals(i == 2 ? 0x19 : 0x10, f[47] & 0xFF, "FIN and PSH only on the last segment");
            assertArrayEquals(Arrays.copyOfRange(p, 54 + 1000 * i, 54 + 1000 * i + payloads[i]),
                    Arrays.copyOfRange(f, 54, f.length));
        }
    }

    // ---- hostile rings ----

    @Test
    void hostileRingsAreRefusedWithoutExceptions() {
        nic.writeRegister(RDBAL, 0xFFFFF000);
        nic.writeRegister(RDBAH, 0);
        nic.writeRegister(RDLEN, 0x10000);
        nic.writeRegister(RDT, 5);
        nic.writeRegister(RCTL, RCTL_EN);
        assertFalse(ctx.netdev.port.canReceive(), "ring beyond the address space");
        setUpRx(8, 0);
        nic.writeRegister(RDT, 100);
        assertFalse(ctx.netdev.port.canReceive(), "tail beyond the ring");

        setUpTx(8);
        legacy(0, 0xFFFFFFF0L, 0xFFFF, TXD_CMD_EOP | TXD_CMD_RS);     // buffer outside memory
        legacy(1, TX_BUFFERS, 0, 0);                                  // a chain that never ends...
        legacy(2, TX_BUFFERS, 0, 0);
        legacy(3, TX_BUFFERS, 0, 0);
        nic.writeRegister(TDT, 3);
        assertEquals(0, ctx.netdev.sent.size(), "the bad packet is dropped");
        assertEquals(3, nic.readRegister(TDH), "...and the ring goes on");
        nic.writeRegister(TDT, 77);
        assertEquals(3, nic.readRegister(TDH), "a tail beyond the ring is not followed");
        for (int i = 3; i < 8; i++) {
            legacy(i, TX_BUFFERS, 0, 0);
        }
        nic.writeRegister(TDT, 2);                                     // around the ring: no EOP
        assertEquals(0, ctx.netdev.sent.size());
        assertEquals(2, nic.readRegister(TDH));
        nic.writeRegister(TDLEN, 0);
        nic.writeRegister(TDT, 1);
        assertEquals(0, ctx.netdev.sent.size());
    }

    @Test
    void stateRoundTripsIntoANewInstance() {
        setUpRx(8, RCTL_SECRC);
        assertTrue(ctx.netdev.deliver(frame(MAC, 100)));
        nic.writeRegister(MDIC, MDIC_OP_WRITE << 26 | 1 << 21 | E1000Phy.AUTONEG_ADV << 16 | 0x01E1);
        E1000.State s = nic.saveState();
        nic.unrealize();
        assertEquals(null, ctx.netdev.port, "detached on unrealize");
        E1000 next = new E1000(ctx, ctx.netdev, MAC, -1);
        next.realize();
        next.loadState(s);
        assertEquals(1, next.readRegister(RDH));
        assertTrue(ctx.netdev.deliver(frame(MAC, 100)), "the new instance receives on the same ring");
        assertEquals(2, next.readRegister(RDH));
        next.writeRegister(MDIC, MDIC_OP_READ << 26 | 1 << 21 | E1000Phy.AUTONEG_ADV << 16);
        assertEquals(0x01E1, next.readRegister(MDIC) & 0xFFFF);
    }

    @Test
    void defaultMacsCountUpPerNic() {
        assertArrayEquals(MAC, MacAddress.of(ctx, ""));
        assertEquals("52:54:00:12:34:57", MacAddress.format(MacAddress.of(ctx, "")));
        assertEquals("02:00:00:00:00:01", MacAddress.format(MacAddress.of(ctx, "02-00-00-00-00-01")));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MacAddress.of(ctx, "01:00:5e:00:00:01"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MacAddress.of(ctx, "52:54:00"));
    }
}
