package org.machina.net.socket;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.machina.api.net.Netdev;

/**
 * QEMU's stream framing ({@code -netdev stream}, {@code -netdev socket,listen=|connect=}): every
 * Ethernet frame, both ways, is preceded by its length as a 4-byte big-endian number. Nothing else
 * is on the wire (no handshake, no virtio-net header).
 *
 * <p>The peer is not trusted: a length above {@link Netdev#MAX_FRAME} (or negative as a signed
 * number) cannot be skipped safely, so it is a {@link BadLength} and the caller drops the
 * connection; a frame shorter than an Ethernet header is read and reported as a runt (length 0).
 */
final class Framing {
    /** Shorter than this is not an Ethernet frame (two MAC addresses and the EtherType). */
    static final int MIN_FRAME = 14;

    private Framing() {
    }

    /** A length prefix no frame can have: the stream cannot be trusted after it. */
    static final class BadLength extends IOException {
        final long length;

        BadLength(long length) {
            super("frame length " + length + " is outside 0.." + Netdev.MAX_FRAME);
            this.length = length;
        }
    }

    /**
     * Reads one frame into {@code buf} (at least {@link Netdev#MAX_FRAME} bytes), however the bytes
     * arrive (partial reads are completed).
     *
     * @return the frame's length; 0 for a runt (shorter than {@link #MIN_FRAME}, its bytes consumed);
     *     -1 at a clean end of stream (between frames)
     * @throws BadLength for an impossible length prefix
     * @throws EOFException if the stream ends inside a frame
     */
    static int read(DataInputStream in, byte[] buf) throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return -1;
        }
        long len = ((long) b0 << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        if (len > Netdev.MAX_FRAME) {
            throw new BadLength(len);
        }
        in.readFully(buf, 0, (int) len);
        return len < MIN_FRAME ? 0 : (int) len;
    }

    /** Writes the length prefix and the frame (all of it: a blocking channel, or one that loops). */
    static void write(WritableByteChannel out, ByteBuffer header, byte[] frame) throws IOException {
        header.clear();
        header.putInt(frame.length).flip();
        ByteBuffer body = ByteBuffer.wrap(frame);
        if (out instanceof java.nio.channels.GatheringByteChannel g) {
            ByteBuffer[] both = {header, body};
            while (body.hasRemaining()) {
                g.write(both);
            }
        } else {
            while (header.hasRemaining()) {
                out.write(header);
            }
            while (body.hasRemaining()) {
                out.write(body);
            }
        }
    }
}
