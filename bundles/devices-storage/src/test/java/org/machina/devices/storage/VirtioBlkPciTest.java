package org.machina.devices.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.PropertySpec;
import org.machina.api.memory.Mmio;

/**
 * The virtio-blk legacy PCI function driven as a guest driver would, through its BAR and guest
 * memory: register map, requests, read-only drives, and bad guest input.
 */
class VirtioBlkPciTest {
    static final int PFN = 0x10;
    static final long DESC = PFN * 4096L;
    static final long AVAIL = DESC + 16 * 128;
    static final long USED = 0x11000;
    static final long HDR = 0x20000;
    static final long DATA = 0x30000;
    static final long STATUS = 0x2F000;
    static final int DISK_SIZE = 64 * 512;

    FakeContext ctx;
    VirtioBlkPci dev;
    Mmio bar;
    int availIdx;
    int nextDesc;

    VirtioBlkPci create(boolean readOnly) {
        ctx = new FakeContext(new FakeDisk(DISK_SIZE, readOnly));
        VirtioBlkPciType type = new VirtioBlkPciType();
        Map<String, String> values = new LinkedHashMap<>();
        for (PropertySpec p : type.properties()) {
            values.put(p.name(), p.defaultValue());
        }
        values.put("drive", "disk0");
        Device d = type.create(ctx, new DeviceConfig("vblk0", values));
        d.realize();
        d.reset();
        dev = (VirtioBlkPci) d;
        bar = ((PciBar) ctx.bus.endpoint.bars().get(0)).region().ops();
        availIdx = 0;
        nextDesc = 0;
        return dev;
    }

    @BeforeEach
    void setUp() {
        create(false);
    }

    /** The driver's side of initialisation: status ACK|DRIVER, features, queue 0 at PFN, DRIVER_OK. */
    void initialise() {
        bar.write(0x12, 1, 1);
        bar.write(0x12, 1, 3);
        bar.write(0x04, 4, bar.read(0x00, 4));
        bar.write(0x0E, 2, 0);
        assertEquals(128, bar.read(0x0C, 2));
        bar.write(0x08, 4, PFN);
        bar.write(0x12, 1, 7);
    }

    int desc(long addr, int len, int flags, int next) {
        int i = nextDesc++;
        long at = DESC + 16L * i;
        ctx.memory.write(at, 8, addr);
        ctx.memory.write(at + 8, 4, len);
        ctx.memory.write(at + 12, 2, flags);
        ctx.memory.write(at + 14, 2, next);
        return i;
    }

    void header(int type, long sector) {
        ctx.memory.write(HDR, 4, type);
        ctx.memory.write(HDR + 4, 4, 0);
        ctx.memory.write(HDR + 8, 8, sector);
    }

    void offer(int head) {
        ctx.memory.write(AVAIL + 4 + 2L * (availIdx % 128), 2, head);
        availIdx = (availIdx + 1) & 0xFFFF;
        ctx.memory.write(AVAIL + 2, 2, availIdx);
    }

    /** Offers a three-descriptor request (header, data, status) and kicks queue 0. */
    void request(int type, long sector, int dataLen, boolean deviceWritesData) {
        header(type, sector);
        ctx.memory.write(STATUS, 1, 0xAA);
        int h = nextDesc;
        desc(HDR, 16, 1, h + 1);
        if (dataLen > 0) {
            desc(DATA, dataLen, 1 | (deviceWritesData ? 2 : 0), h + 2);
        }
        desc(STATUS, 1, 2, 0);
        offer(h);
        bar.write(0x10, 2, 0);
    }

    int status() {
        return (int) ctx.memory.read(STATUS, 1);
    }

    int usedIdx() {
        return (int) ctx.memory.read(USED + 2, 2);
    }

    long usedElem(int i) {
        return ctx.memory.read(USED + 4 + 8L * i, 8);
    }

    byte[] ram(long addr, int len) {
        byte[] b = new byte[len];
        ctx.memory.read(addr, b, 0, len);
        return b;
    }

    @Test
    void identityRegistersAndConfig() {
        var h = dev.header();
        assertEquals(0x1AF4, h.vendor());
        assertEquals(0x1001, h.device());
        assertEquals(2, h.subsystem());
        assertEquals(1, h.interruptPin());
        PciBar b = dev.bars().get(0);
        assertTrue(b.io());
        assertEquals(0x40, b.region().size());
        long features = bar.read(0, 4);
        assertEquals(VirtioBlkPci.F_SEG_MAX | VirtioBlkPci.F_BLK_SIZE | VirtioBlkPci.F_FLUSH, features);
        assertEquals(DISK_SIZE / 512, bar.read(0x14, 4));
        assertEquals(0, bar.read(0x18, 4), "capacity high dword");
        long capacity = 0;
        for (int i = 7; i >= 0; i--) {
            capacity = capacity << 8 | bar.read(0x14 + i, 1);   // the legacy driver reads config byte by byte
        }
        assertEquals(DISK_SIZE / 512, capacity);
        assertEquals(126, bar.read(0x14 + 12, 4), "seg_max");
        assertEquals(512, bar.read(0x14 + 20, 4), "blk_size");
        bar.write(0x0E, 2, 1);
        assertEquals(0, bar.read(0x0C, 2), "only queue 0 exists");
        bar.write(0x04, 4, 0xFFFF_FFFFL);
        assertEquals(features, bar.read(0x04, 4), "the driver can only accept offered features");
        assertEquals(java.util.List.of("plug vblk0 -1"), ctx.bus.events);
    }

    @Test
    void readRequestCopiesSectorsAndInterrupts() {
        initialise();
        request(VirtioBlkPci.T_IN, 3, 1024, true);
        assertEquals(0, status());
        assertArrayEquals(Arrays.copyOfRange(ctx.disk.data, 3 * 512, 5 * 512), ram(DATA, 1024));
        assertEquals(1, usedIdx());
        assertEquals((1024L + 1) << 32 | 0, usedElem(0), "id 0, 1025 bytes written");
        assertTrue(ctx.bus.intx);
        assertEquals(1, bar.read(0x13, 1), "queue interrupt");
        assertFalse(ctx.bus.intx, "reading the ISR lowers INTx");
        assertEquals(0, bar.read(0x13, 1));
    }

    @Test
    void writeAndFlushReachTheDrive() {
        initialise();
        byte[] pattern = new byte[512];
        Arrays.fill(pattern, (byte) 0x5A);
        ctx.memory.write(DATA, pattern, 0, 512);
        request(VirtioBlkPci.T_OUT, 10, 512, false);
        assertEquals(0, status());
        assertArrayEquals(pattern, Arrays.copyOfRange(ctx.disk.data, 10 * 512, 11 * 512));
        request(VirtioBlkPci.T_FLUSH, 0, 0, false);
        assertEquals(0, status());
        assertEquals(1, ctx.disk.flushes);
        assertEquals(2, usedIdx());
        assertEquals(1L << 32 | 0, usedElem(0), "a write returns just the status byte");
    }

    @Test
    void getIdReturnsTheSerial() {
        initialise();
        request(VirtioBlkPci.T_GET_ID, 0, 20, true);
        assertEquals(0, status());
        assertEquals("disk0", new String(ram(DATA, 5)));
        assertEquals(0, ram(DATA + 5, 1)[0]);
    }

    @Test
    void unknownRequestsAreUnsupported() {
        initialise();
        request(11, 0, 0, false);   // DISCARD, not offered
        assertEquals(VirtioBlkPci.S_UNSUPP, status());
    }

    @Test
    void readOnlyDriveOffersRoAndRefusesWrites() {
        create(true);
        assertEquals(VirtioBlkPci.F_RO, bar.read(0, 4) & VirtioBlkPci.F_RO);
        initialise();
        byte[] before = ctx.disk.data.clone();
        request(VirtioBlkPci.T_OUT, 0, 512, false);
        assertEquals(VirtioBlkPci.S_IOERR, status());
        assertEquals(0, ctx.disk.writes);
        assertArrayEquals(before, ctx.disk.data);
        request(VirtioBlkPci.T_IN, 0, 512, true);
        assertEquals(0, status(), "reads still work");
        request(VirtioBlkPci.T_FLUSH, 0, 0, false);
        assertEquals(0, status());
    }

    @Test
    void requestsBeyondTheEndFail() {
        initialise();
        request(VirtioBlkPci.T_IN, DISK_SIZE / 512 - 1, 1024, true);
        assertEquals(VirtioBlkPci.S_IOERR, status(), "straddles the end");
        request(VirtioBlkPci.T_OUT, DISK_SIZE / 512, 512, false);
        assertEquals(VirtioBlkPci.S_IOERR, status(), "starts at the end");
        request(VirtioBlkPci.T_IN, Long.MAX_VALUE / 256, 512, true);
        assertEquals(VirtioBlkPci.S_IOERR, status(), "sector * 512 overflows");
        request(VirtioBlkPci.T_IN, -1L, 512, true);
        assertEquals(VirtioBlkPci.S_IOERR, status(), "sector 2^64-1");
        request(VirtioBlkPci.T_IN, 0, 100, true);
        assertEquals(VirtioBlkPci.S_IOERR, status(), "not whole sectors");
        assertEquals(0, ctx.disk.writes);
        request(VirtioBlkPci.T_IN, DISK_SIZE / 512 - 1, 512, true);
        assertEquals(0, status(), "the last sector is fine");
    }

    @Test
    void hostIoErrorsAreReportedToTheGuest() {
        initialise();
        ctx.disk.failing = true;
        request(VirtioBlkPci.T_IN, 0, 512, true);
        assertEquals(VirtioBlkPci.S_IOERR, status());
        request(VirtioBlkPci.T_OUT, 0, 512, false);
        assertEquals(VirtioBlkPci.S_IOERR, status());
        ctx.disk.failing = false;
        request(VirtioBlkPci.T_IN, 0, 512, true);
        assertEquals(0, status());
    }

    @Test
    void descriptorOutsideMemoryFailsTheRequestOnly() {
        initialise();
        header(VirtioBlkPci.T_IN, 0);
        ctx.memory.write(STATUS, 1, 0xAA);
        int h = desc(HDR, 16, 1, 1);
        desc(0xFFFF_FF00L, 0x200, 1 | 2, 2);   // ends beyond 4 GiB
        desc(STATUS, 1, 2, 0);
        offer(h);
        bar.write(0x10, 2, 0);
        assertEquals(1, usedIdx(), "returned to the driver");
        assertEquals(0, usedElem(0) >>> 32, "nothing written");
        assertEquals(0, ctx.memory.strayWrites);
        request(VirtioBlkPci.T_IN, 1, 512, true);
        assertEquals(0, status(), "the device still works");
    }

    @Test
    void descriptorIndexesAndLoopsAreChecked() {
        initialise();
        // a loop: 0 -> 1 -> 0, all readable
        header(VirtioBlkPci.T_IN, 0);
        desc(HDR, 16, 1, 1);
        desc(DATA, 512, 1, 0);
        offer(0);
        // a link beyond the queue
        header(VirtioBlkPci.T_IN, 0);
        int h = desc(HDR, 16, 1, 500);
        offer(h);
        // a head beyond the queue
        offer(1000);
        bar.write(0x10, 2, 0);
        assertEquals(2, usedIdx(), "the two chains with valid heads are returned; the bad head is dropped");
        request(VirtioBlkPci.T_IN, 2, 512, true);
        assertEquals(0, status());
        assertEquals(3, usedIdx());
        assertEquals(0, bar.read(0x12, 1) & VirtioBlkPci.STATUS_NEEDS_RESET);
    }

    @Test
    void missingHeaderOrStatusIsAnError() {
        initialise();
        ctx.memory.write(STATUS, 1, 0xAA);
        int h = desc(HDR, 8, 1, 1);             // header too short
        desc(STATUS, 1, 2, 0);
        offer(h);
        h = desc(HDR, 16, 0, 0);                // no writable status byte
        offer(h);
        bar.write(0x10, 2, 0);
        assertEquals(VirtioBlkPci.S_IOERR, status());
        assertEquals(2, usedIdx());
        assertEquals(1, usedElem(0) >>> 32);
        assertEquals(0, usedElem(1) >>> 32);
    }

    @Test
    void availableIndexRunningAheadBreaksTheQueueUntilReset() {
        initialise();
        ctx.memory.write(AVAIL + 2, 2, 500);
        bar.write(0x10, 2, 0);
        assertEquals(0, usedIdx());
        assertEquals(VirtioBlkPci.STATUS_NEEDS_RESET, bar.read(0x12, 1) & VirtioBlkPci.STATUS_NEEDS_RESET);
        assertEquals(VirtioBlkPci.ISR_CONFIG, bar.read(0x13, 1), "configuration change interrupt");
        bar.write(0x12, 1, 0);                   // driver resets the device
        assertEquals(0, bar.read(0x12, 1));
        assertEquals(0, bar.read(0x08, 4), "queue forgotten");
        ctx.memory.write(AVAIL + 2, 2, 0);
        initialise();
        request(VirtioBlkPci.T_IN, 0, 512, true);
        assertEquals(0, status());
    }

    @Test
    void ringsOutsideMemoryAreRefused() {
        bar.write(0x08, 4, 0xFFFFF);            // last page below 4 GiB: the used ring would not fit
        assertEquals(VirtioBlkPci.STATUS_NEEDS_RESET, bar.read(0x12, 1) & VirtioBlkPci.STATUS_NEEDS_RESET);
        bar.write(0x10, 2, 0);
        assertEquals(0, ctx.memory.strayWrites);
    }

    @Test
    void noInterruptFlagAndBusMasterAreHonoured() {
        initialise();
        ctx.memory.write(AVAIL, 2, 1);           // VRING_AVAIL_F_NO_INTERRUPT
        request(VirtioBlkPci.T_IN, 0, 512, true);
        assertEquals(0, status());
        assertFalse(ctx.bus.intx);
        ctx.memory.write(AVAIL, 2, 0);
        ctx.bus.master = false;
        request(VirtioBlkPci.T_IN, 0, 512, true);
        assertEquals(0xAA, status(), "no DMA without bus mastering");
        ctx.bus.master = true;
        bar.write(0x10, 2, 0);
        assertEquals(0, status(), "picked up at the next notify");
        assertEquals(2, usedIdx());
    }

    @Test
    void wideAndNarrowRegisterAccesses() {
        bar.write(0x08, 2, 0x34);                // low half of the PFN
        bar.write(0x0A, 2, 0x12);
        assertEquals(0x120034, bar.read(0x08, 4));
        bar.write(0x0C, 4, 0x0001_0000);         // dword at the queue size: selects queue 1
        assertEquals(1, bar.read(0x0E, 2));
        assertEquals(0, bar.read(0x0C, 2));
        bar.write(0x0E, 2, 0);
        assertEquals(0x120034, bar.read(0x08, 4));
    }

    @Test
    void stateSurvivesJsonAndAHotSwap() {
        initialise();
        request(VirtioBlkPci.T_IN, 0, 512, true);
        VirtioBlkPci.State saved = dev.saveState();
        Gson gson = new Gson();
        VirtioBlkPci.State copy = gson.fromJson(gson.toJson(saved), VirtioBlkPci.State.class);
        dev.unrealize();
        assertEquals("unplug", ctx.bus.events.get(ctx.bus.events.size() - 1));
        FakeContext old = ctx;
        VirtioBlkPci fresh = new VirtioBlkPci(old, old.disk, -1, "disk0");
        fresh.realize();
        fresh.loadState(copy);
        assertTrue(old.bus.events.contains("loadConfig"));
        assertEquals(7, fresh.readRegisters(0x12, 1));
        assertTrue(old.bus.intx, "pending interrupt restored");
        dev = fresh;
        bar = fresh.bars().get(0).region().ops();
        assertEquals(1, bar.read(0x13, 1));
        request(VirtioBlkPci.T_IN, 1, 512, true);
        assertEquals(0, status());
        assertEquals(2, usedIdx(), "ring indexes carried over");
    }

    @Test
    void missingDriveIsAClearError() {
        VirtioBlkPciType type = new VirtioBlkPciType();
        Map<String, String> values = new LinkedHashMap<>();
        values.put("drive", null);
        values.put("addr", "-1");
        values.put("serial", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> type.create(ctx, new DeviceConfig("v", values)));
        assertEquals("device 'v' (virtio-blk-pci) needs drive=ID", e.getMessage());
    }
}
