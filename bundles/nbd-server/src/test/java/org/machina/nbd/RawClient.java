package org.machina.nbd;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.io.DataInputStream;
import java.io.InputStream;

/** A minimal hand-driven NBD client for protocol and hostile-client tests. */
final class RawClient implements AutoCloseable {
    final java.net.Socket socket;
    final DataInputStream in;
    final java.io.OutputStream out;

    RawClient(SocketAddress addr) throws IOException {
        socket = new java.net.Socket();
        socket.connect(addr, 5000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Reads the server greeting and sends client flags (fixed newstyle, no zeroes). */
    RawClient greet() throws IOException {
        if (in.readLong() != Nbd.NBDMAGIC || in.readLong() != Nbd.IHAVEOPT) {
            throw new IOException("bad greeting");
        }
        in.readShort();
        out.write(ByteBuffer.allocate(4).putInt(3).array());
        return this;
    }

    void option(int opt, byte[] data) throws IOException {
        out.write(ByteBuffer.allocate(16 + data.length).putLong(Nbd.IHAVEOPT).putInt(opt).putInt(data.length).put(data).array());
    }

    /** Reads one option reply: returns {type, length} and the payload in {@code last}. */
    byte[] last;

    int optionReply() throws IOException {
        long magic = in.readLong();
        if (magic != Nbd.REPLY_MAGIC) {
            throw new IOException("bad reply magic " + Long.toHexString(magic));
        }
        in.readInt();
        int type = in.readInt();
        last = new byte[in.readInt()];
        in.readFully(last);
        return type;
    }

    /** NBD_OPT_GO for an export; returns the final reply type (ACK on success). */
    int go(String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        option(Nbd.OPT_GO, ByteBuffer.allocate(6 + n.length).putInt(n.length).put(n).putShort((short) 0).array());
        int t;
        while ((t = optionReply()) == Nbd.REP_INFO) {
            if (last.length == 12 && ByteBuffer.wrap(last).getShort(0) == Nbd.INFO_EXPORT) {
                exportFlags = ByteBuffer.wrap(last).getShort(10) & 0xffff;
            }
        }
        return t;
    }

    void request(int type, long handle, long offset, int length) throws IOException {
        request(type, 0, handle, offset, length);
    }

    void request(int type, int flags, long handle, long offset, int length) throws IOException {
        out.write(ByteBuffer.allocate(28).putInt(Nbd.REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(handle).putLong(offset).putInt(length).array());
    }

    /** Transmission flags of the last NBD_OPT_GO ({@link #go}), from its NBD_INFO_EXPORT reply. */
    int exportFlags;

    /** Reads a simple reply; returns the error; checks the handle. */
    int simpleReply(long handle) throws IOException {
        if (in.readInt() != Nbd.SIMPLE_REPLY_MAGIC) {
            throw new IOException("not a simple reply");
        }
        int err = in.readInt();
        if (in.readLong() != handle) {
            throw new IOException("wrong handle");
        }
        return err;
    }

    /** True if the server closed the connection (EOF) within the socket timeout. */
    boolean closedByServer() throws IOException {
        try {
            InputStream s = in;
            while (s.read() >= 0) {
                // drain whatever was still sent
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

}
