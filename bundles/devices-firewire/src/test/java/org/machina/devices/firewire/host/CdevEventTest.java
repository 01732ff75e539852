package org.machina.devices.firewire.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Events as read(2) returns them, built byte by byte at the header's offsets. */
class CdevEventTest {
    @Test
    void busReset() {
        byte[] b = FakeCdevKernel.busResetEvent(0x1234_5678_9ABCL, 0xFFC2, 0xFFC0, 17);
        CdevEvent.BusReset e = assertInstanceOf(CdevEvent.BusReset.class, CdevEvent.parse(b, b.length));
        assertEquals(0x1234_5678_9ABCL, e.closure());
        assertEquals(0xFFC2, e.nodeId());
        assertEquals(0xFFC0, e.localNodeId());
        assertEquals(0xFFFF, e.bmNodeId());
        assertEquals(0xFFC0, e.irmNodeId());
        assertEquals(0xFFC0, e.rootNodeId());
        assertEquals(17, e.generation());
    }

    @Test
    void responseDataStartsAtByte20() {
        byte[] b = FakeCdevKernel.responseEvent(99, 0, new byte[] {0x31, 0x33, 0x39, 0x34, 1, 2, 3, 4});
        assertEquals(32, b.length);   // sizeof 24 + 8 bytes, as the kernel queues it
        CdevEvent.Response e = assertInstanceOf(CdevEvent.Response.class, CdevEvent.parse(b, b.length));
        assertEquals(99, e.closure());
        assertEquals(0, e.rcode());
        assertArrayEquals(new byte[] {0x31, 0x33, 0x39, 0x34, 1, 2, 3, 4}, e.data());
        CdevEvent.Response w = (CdevEvent.Response) CdevEvent.parse(FakeCdevKernel.responseEvent(5, 0x14, new byte[0]), 24);
        assertEquals(0x14, w.rcode());   // RCODE_NO_ACK
        assertEquals(0, w.data().length);
    }

    @Test
    void request2CarriesSourceGenerationHandleAndPayload() {
        byte[] b = FakeCdevKernel.request2Event(3, 0x12, 0xFFFF_F000_0D00L, 0xFFC1, 0xFFC0, 1, 8, 0x77, 8,
                new byte[] {0, 0, 0, 1, 0, 0, 0, 2});
        CdevEvent.Request e = assertInstanceOf(CdevEvent.Request.class, CdevEvent.parse(b, b.length));
        assertEquals(3, e.closure());
        assertEquals(0x12, e.tcode());   // juju's TCODE_LOCK_COMPARE_SWAP
        assertEquals(0xFFFF_F000_0D00L, e.offset());
        assertEquals(0xFFC1, e.sourceNodeId());
        assertEquals(0xFFC0, e.destinationNodeId());
        assertEquals(1, e.card());
        assertEquals(8, e.generation());
        assertEquals(0x77, e.handle());
        assertEquals(8, e.length());
        assertArrayEquals(new byte[] {0, 0, 0, 1, 0, 0, 0, 2}, e.data());
        // a read request: the length asked for, with or without bytes after the header
        byte[] r = FakeCdevKernel.request2Event(3, 5, 0x1_0000_0000L, 0xFFC1, 0xFFC0, 0, 8, 9, 512, new byte[0]);
        CdevEvent.Request er = (CdevEvent.Request) CdevEvent.parse(r, r.length);
        assertEquals(512, er.length());
        assertEquals(0, er.data().length);
        byte[] r2 = FakeCdevKernel.request2Event(3, 4, 0x1_0000_0000L, 0xFFC1, 0xFFC0, 0, 8, 9, 4, new byte[4]);
        assertEquals(4, ((CdevEvent.Request) CdevEvent.parse(r2, r2.length)).length());
        // a write request that declares more than was read is malformed
        byte[] w = FakeCdevKernel.request2Event(3, 1, 0x1_0000_0000L, 0xFFC1, 0xFFC0, 0, 8, 9, 64, new byte[8]);
        assertThrows(IllegalArgumentException.class, () -> CdevEvent.parse(w, w.length));
    }

    @Test
    void theOldRequestEventHasNoSource() {
        byte[] b = new byte[36];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 4).putInt(8, 2).putInt(12, 0).putLong(16, 0x2000)
                .putInt(24, 66).putInt(28, 4).putInt(32, 0x0A0B0C0D);
        CdevEvent.Request e = (CdevEvent.Request) CdevEvent.parse(b, b.length);
        assertEquals(-1, e.sourceNodeId());
        assertEquals(66, e.handle());
        assertArrayEquals(new byte[] {0x0D, 0x0C, 0x0B, 0x0A}, e.data());
    }

    @Test
    void otherTypesAndMalformedEvents() {
        byte[] iso = new byte[24];
        ByteBuffer.wrap(iso).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1).putInt(8, 3);
        assertEquals(new CdevEvent.Other(1, 3), CdevEvent.parse(iso, iso.length));
        assertThrows(IllegalArgumentException.class, () -> CdevEvent.parse(new byte[8], 8));
        byte[] shortReset = FakeCdevKernel.busResetEvent(0, 0, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> CdevEvent.parse(shortReset, 30));
        byte[] liar = FakeCdevKernel.responseEvent(1, 0, new byte[4]);
        ByteBuffer.wrap(liar).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 4096);   // declares more than was read
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> CdevEvent.parse(liar, liar.length));
        assertTrue(x.getMessage().contains("4096"), x.getMessage());
        byte[] negative = FakeCdevKernel.request2Event(1, 1, 0, 0, 0, 0, 0, 0, 4, new byte[4]);
        ByteBuffer.wrap(negative).order(ByteOrder.LITTLE_ENDIAN).putInt(44, -4);
        assertThrows(IllegalArgumentException.class, () -> CdevEvent.parse(negative, negative.length));
    }
}
