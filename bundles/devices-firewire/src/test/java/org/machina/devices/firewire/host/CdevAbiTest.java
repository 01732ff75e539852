package org.machina.devices.firewire.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The ioctl numbers and struct layouts against the uAPI header's definitions: the numbers as
 * {@code _IOC(dir, '#', nr, sizeof)} of asm-generic/ioctl.h (dir in bits 31:30, size 29:16, type
 * 15:8, nr 7:0) with the struct sizes worked out from the documented field lists on 64-bit Linux
 * (every __u64 8-byte aligned, the struct padded to 8); the literals are those values (the gcc
 * probe of {@link CdevHeaderProbeTest} printed the same on this machine).
 */
class CdevAbiTest {
    private static long ioc(int dir, int nr, int size) {
        return (long) dir << 30 | (long) size << 16 | 0x23L << 8 | nr;   // '#' is 0x23
    }

    @Test
    void ioctlNumbersAreIocOfTheDocumentedStructs() {
        // fw_cdev_get_info: u32 version, u32 rom_length, u64 rom, u64 bus_reset, u64 bus_reset_closure, u32 card -> 40
        assertEquals(ioc(3, 0x00, 40), CdevAbi.IOC_GET_INFO);
        assertEquals(0xC0282300L, CdevAbi.IOC_GET_INFO);
        // fw_cdev_send_request: u32 tcode, u32 length, u64 offset, u64 closure, u64 data, u32 generation -> 40
        assertEquals(ioc(1, 0x01, 40), CdevAbi.IOC_SEND_REQUEST);
        assertEquals(0x40282301L, CdevAbi.IOC_SEND_REQUEST);
        // fw_cdev_allocate: u64 offset, u64 closure, u32 length, u32 handle, u64 region_end -> 32
        assertEquals(0xC0202302L, CdevAbi.IOC_ALLOCATE);
        assertEquals(0x40042303L, CdevAbi.IOC_DEALLOCATE);
        // fw_cdev_send_response: u32 rcode, u32 length, u64 data, u32 handle -> 24
        assertEquals(0x40182304L, CdevAbi.IOC_SEND_RESPONSE);
        assertEquals(0x40042305L, CdevAbi.IOC_INITIATE_BUS_RESET);
        assertEquals(0x2311L, CdevAbi.IOC_GET_SPEED);
    }

    @Test
    void getInfoPutsTheFieldsAtTheirOffsets() {
        byte[] b = CdevAbi.encodeGetInfo(4, 1024, 0x1122_3344_5566_7788L, 0x0102_0304_0506_0708L, 0xCAFEL);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(40, b.length);
        assertEquals(4, bb.getInt(0));
        assertEquals(1024, bb.getInt(4));
        assertEquals(0x1122_3344_5566_7788L, bb.getLong(8));
        assertEquals(0x0102_0304_0506_0708L, bb.getLong(16));
        assertEquals(0xCAFEL, bb.getLong(24));
        bb.putInt(0, 6).putInt(4, 0x54).putInt(32, 2);
        assertEquals(new CdevAbi.GetInfo(6, 0x54, 2), CdevAbi.decodeGetInfo(b));
        // little-endian on the wire of the struct: byte 0 is the low byte of version
        assertEquals(6, b[0]);
    }

    @Test
    void sendRequestResponseAllocateAndResetLayouts() {
        ByteBuffer r = ByteBuffer.wrap(CdevAbi.encodeSendRequest(0x12, 8, 0xFFFF_F000_0220L, 77, 0xABCD_0000L, 9))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(40, r.capacity());
        assertEquals(0x12, r.getInt(0));
        assertEquals(8, r.getInt(4));
        assertEquals(0xFFFF_F000_0220L, r.getLong(8));
        assertEquals(77, r.getLong(16));
        assertEquals(0xABCD_0000L, r.getLong(24));
        assertEquals(9, r.getInt(32));

        ByteBuffer s = ByteBuffer.wrap(CdevAbi.encodeSendResponse(7, 4, 0x1000L, 0x55)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(24, s.capacity());
        assertEquals(7, s.getInt(0));
        assertEquals(4, s.getInt(4));
        assertEquals(0x1000L, s.getLong(8));
        assertEquals(0x55, s.getInt(16));

        byte[] a = CdevAbi.encodeAllocate(0xFFFF_F000_0D00L, 3, 0x200, 0xFFFF_F000_0F00L);
        ByteBuffer ab = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(32, a.length);
        assertEquals(0xFFFF_F000_0D00L, ab.getLong(0));
        assertEquals(3, ab.getLong(8));
        assertEquals(0x200, ab.getInt(16));
        assertEquals(0xFFFF_F000_0F00L, ab.getLong(24));
        ab.putLong(0, 0xFFFF_F000_0D40L).putInt(20, 42);   // the kernel's answer: where it went, the handle
        assertEquals(new CdevAbi.Allocation(0xFFFF_F000_0D40L, 0x200, 42), CdevAbi.decodeAllocate(a));

        assertArrayEquals(new byte[] {1, 0, 0, 0}, CdevAbi.encodeInitiateBusReset(true));
        assertArrayEquals(new byte[] {0, 0, 0, 0}, CdevAbi.encodeInitiateBusReset(false));
        assertArrayEquals(new byte[] {0x34, 0x12, 0, 0}, CdevAbi.encodeDeallocate(0x1234));
    }

    @Test
    void theRomIsReadAsHostOrderQuadlets() {
        byte[] b = new byte[12];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x0404_ABCD).putInt(4, 0x3133_3934).putInt(8, -1);
        assertArrayEquals(new int[] {0x0404_ABCD, 0x3133_3934}, CdevAbi.decodeRom(b, 8));
        assertArrayEquals(new int[] {0x0404_ABCD, 0x3133_3934, -1}, CdevAbi.decodeRom(b, 100));
    }
}
