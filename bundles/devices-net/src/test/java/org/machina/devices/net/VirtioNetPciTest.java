package org.machina.devices.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Map;
import org.machina.api.device.DeviceConfig;
import org.machina.api.memory.Mmio;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** virtio-net-pci driven through its legacy BAR and guest memory as a driver would. */
class VirtioNetPciTest {
    static final int SIZE = VirtioNetPci.QUEUE_SIZE;
    static final int[] PFN = {0x10, 0x20};
    static final long BUFFERS = 0x40000;

    FakeContext ctx;
    Mmio bar;
    final int[] availIdx = new int[2];
    final int[] nextDesc = new int[2];

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        VirtioNetPci dev = (VirtioNetPci) new VirtioNetPciType().create(ctx, new DeviceConfig("nic0",
                Map.of("netdev", "n0", "mac", "52:54:00:ab:cd:ef", "addr", "-1")));
        dev.realize();
        dev.reset();
        bar = ctx.bus.endpoint.bars().get(0).region().ops();
    }

    long desc(int q) {
        return PFN[q] * 4096L;
    }

    long avail(int q) {
        return desc(q) + 16L * SIZE;
    }

    long used(int q) {
        return (avail(q) + 6 + 2L * SIZE + 4095) & -4096L;
    }

    void initialise() {
        bar.write(0x12, 1, 1);
        bar.write(0x12, 1, 3);
        bar.write(0x04, 4, bar.read(0x00, 4));
        for (int q = 0; q < 2; q++) {
            bar.write(0x0E, 2, q);
            assertEquals(SIZE, bar.read(0x0C, 2));
            bar.write(0x08, 4, PFN[q]);
        }
        bar.write(0x12, 1, 7);
    }

    int addDesc(int q, long addr, int len, int flags, int next) {
        int i = nextDesc[q]++;
        long at = desc(q) + 16L * i;
        ctx.memory.write(at, 8, addr);
        ctx.memory.write(at + 8, 4, len);
        ctx.memory.write(at + 12, 2, flags);
        ctx.memory.write(at + 14, 2, next);
        return i;
    }

    void offer(int q, int head) {
        ctx.memory.write(avail(q) + 4 + 2L * (availIdx[q] % SIZE), 2, head);
        availIdx[q] = (availIdx[q] + 1) & 0xFFFF;
        ctx.memory.write(avail(q) + 2, 2, availIdx[q]);
    }

    int usedIdx(int q) {
        return (int) ctx.memory.read(used(q) + 2, 2);
    }

    long usedLen(int q, int i) {
        return ctx.memory.read(used(q) + 4 + 8L * i + 4, 4);
    }

    static byte[] frame(int length) {
        byte[] f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (i * 13 + 1);
        }
        return f;
    }

    @Test
    void checksumsOffloadedBothWays() {
        initialise();
        // receive: a valid IPv4/UDP datagram is marked DATA_VALID
        byte[] udp = frame(60);
        udp[12] = 0x08;
        udp[13] = 0;
        udp[14] = 0x45;
        udp[15] = 0;
        Checksums.put16(udp, 16, 46);
        Checksums.put16(udp, 20, 0);
        udp[23] = 17;
        Checksums.put16(udp, 24, 0);
        Checksums.put16(udp, 24, Checksums.finish(Checksums.add(0, udp, 14, 34)));
        Checksums.put16(udp, 38, 26);
        Checksums.put16(udp, 40, 0);
        long sum = Checksums.add(0, udp, 26, 34) + 17 + 26;
        Checksums.put16(udp, 40, Checksums.finish(Checksums.add(sum, udp, 34, 60)));
        offer(0, addDesc(0, BUFFERS, 2048, 2, 0));
        assertTrue(ctx.netdev.deliver(udp));
        assertEquals(VirtioNetPci.HDR_F_DATA_VALID, ctx.memory.read(BUFFERS, 1));
        // transmit: NEEDS_CSUM with start 34 and offset 6 fills in the UDP checksum
        byte[] out = udp.clone();
        long seed = Checksums.add(0, out, 26, 34) + 17 + 26;
        while (seed >>> 16 != 0) {
            seed = (seed & 0xFFFF) + (seed >>> 16);
        }
        Checksums.put16(out, 40, (int) seed);
        byte[] hdr = {VirtioNetPci.HDR_F_NEEDS_CSUM, 0, 0, 0, 0, 0, 34, 0, 6, 0};
        ctx.memory.write(BUFFERS + 0x2000, hdr, 0, 10);
        ctx.memory.write(BUFFERS + 0x3000, out, 0, out.length);
        int h = addDesc(1, BUFFERS + 0x2000, 10, 1, nextDesc[1] + 1);
        addDesc(1, BUFFERS + 0x3000, out.length, 0, 0);
        offer(1, h);
        bar.write(0x10, 2, 1);
        assertArrayEquals(udp, ctx.netdev.sent.get(0));
    }

    @Test
    void configSpaceHasTheMacAndLinkUp() {
        assertEquals(VirtioNetPci.F_CSUM | VirtioNetPci.F_GUEST_CSUM | VirtioNetPci.F_MAC | VirtioNetPci.F_STATUS,
                bar.read(0x00, 4));
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            mac[i] = (byte) bar.read(0x14 + i, 1);
        }
        assertEquals("52:54:00:ab:cd:ef", MacAddress.format(mac));
        assertEquals(1, bar.read(0x1A, 2), "LINK_UP");
        bar.write(0x0E, 2, 2);
        assertEquals(0, bar.read(0x0C, 2), "no control queue");
        assertEquals(0x1000, ctx.bus.endpoint.header().device());
    }

    @Test
    void receiveFillsABufferAfterTheHeaderAndWaitsForBuffers() {
        initialise();
        assertFalse(ctx.netdev.port.canReceive(), "no receive buffers yet");
        offer(0, addDesc(0, BUFFERS, 2048, 2, 0));
        bar.write(0x10, 2, 0);
        assertEquals(1, ctx.netdev.receiveReadyCalls, "the driver's notify tells the netdev");
        byte[] f = frame(1514);
        assertTrue(ctx.netdev.deliver(f));
        assertEquals(1, usedIdx(0));
        assertEquals(10 + 1514, usedLen(0, 0));
        byte[] got = new byte[1524];
        ctx.memory.read(BUFFERS, got, 0, got.length);
        assertArrayEquals(new byte[10], java.util.Arrays.copyOf(got, 10), "an all-zero virtio_net_hdr");
        assertArrayEquals(f, java.util.Arrays.copyOfRange(got, 10, 1524));
        assertTrue(ctx.bus.intx);
        assertEquals(1, bar.read(0x13, 1));
        assertFalse(ctx.bus.intx, "reading ISR clears it");
        assertFalse(ctx.netdev.port.canReceive(), "the one buffer is used");
    }

    @Test
    void aBufferTooSmallForTheFrameIsReturnedEmpty() {
        initialise();
        offer(0, addDesc(0, BUFFERS, 100, 2, 0));
        assertTrue(ctx.netdev.deliver(frame(200)), "taken and dropped");
        assertEquals(1, usedIdx(0));
        assertEquals(0, usedLen(0, 0));
    }

    @Test
    void transmitSendsEachChainAndHoldsItWhileTheNetdevIsFull() {
        initialise();
        byte[] f = frame(600);
        ctx.memory.write(BUFFERS, new byte[10], 0, 10);
        ctx.memory.write(BUFFERS + 0x1000, f, 0, 600);
        int h = addDesc(1, BUFFERS, 10, 1, 1);
        addDesc(1, BUFFERS + 0x1000, 600, 0, 0);
        offer(1, h);
        bar.write(0x10, 2, 1);
        assertEquals(1, ctx.netdev.sent.size());
        assertArrayEquals(f, ctx.netdev.sent.get(0));
        assertEquals(1, usedIdx(1));

        ctx.netdev.full = true;
        offer(1, h);
        offer(1, h);
        bar.write(0x10, 2, 1);
        assertEquals(1, usedIdx(1), "the refused chain is not used yet");
        ctx.netdev.full = false;
        ctx.netdev.port.sendReady();
        assertEquals(3, ctx.netdev.sent.size());
        assertEquals(3, usedIdx(1));
    }

    @Test
    void stateRoundTripsIntoANewInstance() {
        initialise();
        offer(0, addDesc(0, BUFFERS, 2048, 2, 0));
        offer(0, addDesc(0, BUFFERS + 0x1000, 2048, 2, 0));
        assertTrue(ctx.netdev.deliver(frame(100)));
        VirtioNetPci old = (VirtioNetPci) ctx.bus.endpoint;
        VirtioNetPci.State s = old.saveState();
        old.unrealize();
        VirtioNetPci next = new VirtioNetPci(ctx, ctx.netdev, MacAddress.parse("52:54:00:ab:cd:ef"), -1);
        next.realize();
        int ready = ctx.netdev.receiveReadyCalls;
        next.loadState(s);
        assertEquals(ready + 1, ctx.netdev.receiveReadyCalls, "the netdev is told to try again");
        assertTrue(ctx.netdev.deliver(frame(100)), "the second buffer is used by the new instance");
        assertEquals(2, usedIdx(0));
        assertEquals(110, usedLen(0, 1));
    }

    @Test
    void hostileRingsAreBoundedAndLogged() {
        initialise();
        // a looping transmit chain and one pointing outside memory
        int a = addDesc(1, BUFFERS, 100, 1, 1);
        addDesc(1, BUFFERS, 100, 1, 0);
        offer(1, a);
        offer(1, addDesc(1, 0xFFFF_FFF0L, 0x100, 0, 0));
        offer(1, 999);
        bar.write(0x10, 2, 1);
        assertEquals(0, ctx.netdev.sent.size());
        assertEquals(2, usedIdx(1), "each bad chain is returned (a head beyond the ring has no entry to return)");
        // a receive chain with only readable buffers
        offer(0, addDesc(0, BUFFERS, 2048, 0, 0));
        assertTrue(ctx.netdev.port.receive(ByteBuffer.wrap(frame(60))));
        assertEquals(0, usedLen(0, 0));
        // the available index running far ahead breaks the ring until reset
        ctx.memory.write(avail(1) + 2, 2, availIdx[1] + 1000);
        bar.write(0x10, 2, 1);
        assertTrue((bar.read(0x12, 1) & VirtioNetPci.STATUS_NEEDS_RESET) != 0);
        bar.write(0x12, 1, 0);
        assertEquals(0, bar.read(0x12, 1));
    }
}
