package org.machina.net.socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.machina.api.net.Netdev;

/** QEMU's stream framing: 4-byte big-endian length, then the frame. */
class FramingTest {
    /** Hands out one byte per read, as a peer whose frames arrive in the smallest pieces. */
    private static InputStream dribble(byte[] b) {
        return new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < b.length ? b[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] dst, int off, int len) {
                if (pos >= b.length) {
                    return -1;
                }
                if (len == 0) {
                    return 0;
                }
                dst[off] = b[pos++];
                return 1;
            }
        };
    }

    private static byte[] wire(int len, byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(len).put(body).array();
    }

    @Test
    void writesTheLengthBigEndianThenTheFrame() throws Exception {
        byte[] frame = TestPort.frame(300, 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Framing.write(Channels.newChannel(out), ByteBuffer.allocate(4), frame);
        byte[] b = out.toByteArray();
        assertArrayEquals(new byte[] {0, 0, 1, 44}, Arrays.copyOf(b, 4));
        assertArrayEquals(frame, Arrays.copyOfRange(b, 4, b.length));
    }

    @Test
    void readsFramesThatArriveOneByteAtATime() throws Exception {
        byte[] a = TestPort.frame(60, 1);
        byte[] c = TestPort.frame(1514, 2);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(wire(a.length, a));
        all.write(wire(c.length, c));
        DataInputStream in = new DataInputStream(dribble(all.toByteArray()));
        byte[] buf = new byte[Netdev.MAX_FRAME];
        assertEquals(60, Framing.read(in, buf));
        assertArrayEquals(a, Arrays.copyOf(buf, 60));
        assertEquals(1514, Framing.read(in, buf));
        assertArrayEquals(c, Arrays.copyOf(buf, 1514));
        assertEquals(-1, Framing.read(in, buf), "a clean end between frames");
    }

    @Test
    void theLargestFrameIsAccepted() throws Exception {
        byte[] big = TestPort.frame(Netdev.MAX_FRAME, 3);
        byte[] buf = new byte[Netdev.MAX_FRAME];
        assertEquals(Netdev.MAX_FRAME, Framing.read(new DataInputStream(new ByteArrayInputStream(wire(big.length, big))), buf));
    }

    @Test
    void impossibleLengthsAreRefusedBeforeAnyAllocation() {
        byte[] buf = new byte[Netdev.MAX_FRAME];
        for (int len : new int[] {Netdev.MAX_FRAME + 1, 0x7fffffff, -1, 0x80000000}) {
            Framing.BadLength e = assertThrows(Framing.BadLength.class,
                    () -> Framing.read(new DataInputStream(new ByteArrayInputStream(wire(len, new byte[16]))), buf));
            assertEquals(Integer.toUnsignedLong(len), e.length);
        }
    }

    @Test
    void runtsAreConsumedAndReportedAsEmpty() throws Exception {
        byte[] after = TestPort.frame(64, 4);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(wire(0, new byte[0]));
        all.write(wire(5, new byte[5]));
        all.write(wire(after.length, after));
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(all.toByteArray()));
        byte[] buf = new byte[Netdev.MAX_FRAME];
        assertEquals(0, Framing.read(in, buf));
        assertEquals(0, Framing.read(in, buf));
        assertEquals(64, Framing.read(in, buf), "the stream stays in step after runts");
        assertArrayEquals(after, Arrays.copyOf(buf, 64));
    }

    @Test
    void anEndInsideAFrameIsAnError() {
        byte[] buf = new byte[Netdev.MAX_FRAME];
        assertThrows(EOFException.class, () -> Framing.read(new DataInputStream(new ByteArrayInputStream(new byte[] {0, 0})), buf));
        assertThrows(EOFException.class,
                () -> Framing.read(new DataInputStream(new ByteArrayInputStream(wire(100, new byte[40]))), buf));
    }
}
