package org.machina.devices.firewire.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.machina.host.posix.ErrnoException;

/** {@link CdevDevice} over the simulated kernel: the structs it passes and what it makes of the answers. */
class CdevDeviceTest {
    static final int[] ROM = {0x0404_1234, 0x3133_3934, 0x00FF_A002, 0x0800_2800, 0x0000_0B01, 0x0003_0000};

    @Test
    void openReadsTheRomAndTheBus() throws Exception {
        FakeCdevKernel k = new FakeCdevKernel(ROM);
        try (CdevDevice d = CdevDevice.open(k, "/dev/fw1")) {
            CdevDevice.Info info = d.info();
            assertEquals(5, info.version());
            assertArrayEquals(ROM, info.rom());
            assertEquals(0xFFC1, info.bus().nodeId());
            assertEquals(3, info.bus().generation());
            assertFalse(info.isLocalNode());
            assertEquals(2, d.speed());
        }
        assertTrue(k.closed);
    }

    @Test
    void tooOldAnAbiAndMissingFilesAreRefusedByName() {
        FakeCdevKernel k = new FakeCdevKernel(ROM);
        k.abiVersion = 3;
        CdevException e = assertThrows(CdevException.class, () -> CdevDevice.open(k, "/dev/fw1"));
        assertTrue(e.getMessage().startsWith("/dev/fw1: the kernel's firewire-cdev ABI version is 3, older than 4"),
                e.getMessage());
        assertTrue(k.closed, "the file is closed again");
        CdevException m = assertThrows(CdevException.class, () -> CdevDevice.open(k, "/dev/fw5"));
        assertTrue(m.getMessage().startsWith("/dev/fw5: no such file"), m.getMessage());
    }

    @Test
    void requestsResponsesAllocationsAndResets() throws Exception {
        FakeCdevKernel k = new FakeCdevKernel(ROM);
        try (CdevDevice d = CdevDevice.open(k, "/dev/fw1")) {
            d.sendRequest(1, 0xFFFF_F001_0000L, new byte[] {9, 8, 7, 6, 5, 4, 3, 2}, 8, 42, 3);
            d.sendRequest(5, 0x1000, new byte[16], 16, 43, 3);
            assertEquals(1, k.requests.get(0).tcode());
            assertArrayEquals(new byte[] {9, 8, 7, 6, 5, 4, 3, 2}, k.requests.get(0).data());
            assertEquals(0xFFFF_F001_0000L, k.requests.get(0).offset());
            assertEquals(42, k.requests.get(0).closure());
            assertEquals(16, k.requests.get(1).length());
            CdevAbi.Allocation a = d.allocate(0xFFFF_F000_0D00L, 0x200, 0xFFFF_F000_0F00L, 1);
            assertEquals(100, a.handle());
            assertEquals(0xFFFF_F000_0F00L, k.allocations.get(0).regionEnd());
            d.sendResponse(0, new byte[] {1, 2, 3, 4}, 77);
            d.sendResponse(7, null, 78);
            assertArrayEquals(new byte[] {1, 2, 3, 4}, k.responses.get(0).data());
            assertEquals(77, k.responses.get(0).handle());
            assertEquals(7, k.responses.get(1).rcode());
            assertEquals(0, k.responses.get(1).length());
            d.initiateBusReset(true);
            assertEquals(1, k.busResets.get(0));
        }
    }

    @Test
    void eventsOneAtATimeAndTheHangUp() throws Exception {
        FakeCdevKernel k = new FakeCdevKernel(ROM);
        try (CdevDevice d = CdevDevice.open(k, "/dev/fw1")) {
            assertNull(d.nextEvent(0));
            k.events.add(FakeCdevKernel.responseEvent(42, 0, new byte[] {1, 2, 3, 4}));
            k.events.add(FakeCdevKernel.busResetEvent(0, 0xFFC2, 0xFFC0, 4));
            CdevEvent.Response r = assertInstanceOf(CdevEvent.Response.class, d.nextEvent(0));
            assertEquals(42, r.closure());
            assertInstanceOf(CdevEvent.BusReset.class, d.nextEvent(0));
            k.hungUp = true;
            ErrnoException e = assertThrows(ErrnoException.class, () -> d.nextEvent(0));
            assertEquals(ErrnoException.ENODEV, e.errno());
        }
    }

    @Test
    void aClosedFileIsNeverCalledAgain() throws Exception {
        FakeCdevKernel k = new FakeCdevKernel(ROM);
        CdevDevice d = CdevDevice.open(k, "/dev/fw1");
        d.close();
        d.close();
        k.closed = false;   // as if the descriptor number named another file now
        assertEquals(ErrnoException.ENODEV, assertThrows(ErrnoException.class,
                () -> d.sendRequest(0, 0, new byte[4], 4, 1, 3)).errno());
        assertEquals(ErrnoException.ENODEV, assertThrows(ErrnoException.class, () -> d.sendResponse(0, null, 1)).errno());
        assertEquals(ErrnoException.ENODEV, assertThrows(ErrnoException.class, () -> d.nextEvent(0)).errno());
        assertEquals(ErrnoException.ENODEV, assertThrows(ErrnoException.class, d::refreshInfo).errno());
        assertTrue(k.requests.isEmpty());
        assertTrue(k.responses.isEmpty());
        assertEquals(1, k.getInfoCalls);
    }
}
