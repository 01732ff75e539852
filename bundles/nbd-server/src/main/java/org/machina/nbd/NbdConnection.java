package org.machina.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.machina.api.block.BlockNode;
import org.machina.api.block.BlockStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client: the fixed newstyle handshake with option haggling, then the transmission phase. Any
 * protocol violation that would desynchronise the stream (bad magic, oversized option or write)
 * closes this connection only.
 */
final class NbdConnection implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdConnection.class);

    private final NbdServer server;
    private final SocketChannel ch;
    private final ByteBuffer hdr = ByteBuffer.allocate(32);
    private final ByteBuffer reply = ByteBuffer.allocate(32);
    private ByteBuffer data = ByteBuffer.allocateDirect(64 * 1024);
    private boolean noZeroes;
    private boolean structured;
    private boolean baseAllocation;
    private boolean allocationDepth;
    private volatile NbdExport export;
    private final String remote;

    NbdConnection(NbdServer server, SocketChannel ch) {
        this.server = server;
        this.ch = ch;
        this.remote = NbdServer.remoteOf(ch);
    }

    NbdExport export() {
        return export;
    }

    /** Handshake deadline: disconnects a client still negotiating. */
    void closeIfNegotiating() {
        if (export == null && ch.isOpen()) {
            LOG.info("NBD client {}: handshake not finished in time; closing", remote());
            close();
        }
    }

    void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void run() {
        try {
            NbdExport e = handshake();
            if (e != null) {
                export = e;
                if (!ch.isOpen()) {
                    return;
                }
                if (server.isExported(e)) {
                    transmission(e);
                }
            }
        } catch (EOFException | java.nio.channels.ClosedChannelException e) {
            // client went away
        } catch (ProtocolException e) {
            LOG.info("NBD client {}: {}; closing the connection", remote(), e.getMessage());
        } catch (IOException e) {
            LOG.debug("NBD client {}: {}", remote(), e.toString());
        } finally {
            close();
            server.connectionClosed(this, remote, export != null);
        }
    }

    private String remote() {
        return remote;
    }

    /** A violation after which the stream cannot be trusted. */
    static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        ProtocolException(String m) {
            super(m);
        }
    }

    // ------------------------------------------------------------------ handshake

    private NbdExport handshake() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(18).putLong(Nbd.NBDMAGIC).putLong(Nbd.IHAVEOPT)
                .putShort((short) (Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES));
        writeAll(b.flip());
        int clientFlags = readInt();
        if ((clientFlags & ~(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES)) != 0) {
            throw new ProtocolException("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        noZeroes = (clientFlags & Nbd.FLAG_NO_ZEROES) != 0;
        for (int count = 0; count < 10_000; count++) {
            readFully(hdr.clear().limit(16));
            if (hdr.getLong(0) != Nbd.IHAVEOPT) {
                throw new ProtocolException("bad option magic 0x" + Long.toHexString(hdr.getLong(0)));
            }
            int opt = hdr.getInt(8);
            int len = hdr.getInt(12);
            if (len < 0 || len > Nbd.MAX_OPTION) {
                throw new ProtocolException("option " + opt + " length " + Integer.toUnsignedString(len) + " exceeds "
                        + Nbd.MAX_OPTION);
            }
            ByteBuffer payload = ByteBuffer.allocate(len);
            readFully(payload);
            payload.flip();
            NbdExport e = option(opt, payload);
            if (e != null) {
                return e;
            }
        }
        throw new ProtocolException("too many options");
    }

    /** Handles one option; returns the export when the transmission phase starts, null to continue. */
    private NbdExport option(int opt, ByteBuffer p) throws IOException {
        switch (opt) {
            case Nbd.OPT_EXPORT_NAME -> {
                NbdExport e = server.find(string(p, p.remaining()));
                if (e == null) {
                    throw new ProtocolException("NBD_OPT_EXPORT_NAME for an unknown export");
                }
                ByteBuffer b = ByteBuffer.allocate(noZeroes ? 10 : 134);
                b.putLong(e.node().size()).putShort((short) flags(e));
                writeAll(b.clear());
                return e;
            }
            case Nbd.OPT_ABORT -> {
                optReply(opt, Nbd.REP_ACK, ByteBuffer.allocate(0));
                throw new EOFException();
            }
            case Nbd.OPT_LIST -> {
                if (p.hasRemaining()) {
                    return optError(opt, Nbd.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
                }
                for (NbdExport e : server.exportList()) {
                    byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
                    byte[] d = e.description().getBytes(StandardCharsets.UTF_8);
                    optReply(opt, Nbd.REP_SERVER, ByteBuffer.allocate(4 + n.length + d.length).putInt(n.length).put(n).put(d).flip());
                }
                optReply(opt, Nbd.REP_ACK, ByteBuffer.allocate(0));
            }
            case Nbd.OPT_STRUCTURED_REPLY -> {
                if (p.hasRemaining()) {
                    return optError(opt, Nbd.REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
                }
                structured = true;
                optReply(opt, Nbd.REP_ACK, ByteBuffer.allocate(0));
            }
            case Nbd.OPT_INFO, Nbd.OPT_GO -> {
                return infoOrGo(opt, p);
            }
            case Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT -> metaContext(opt, p);
            case Nbd.OPT_STARTTLS -> optError(opt, Nbd.REP_ERR_POLICY, "TLS is not supported by this server");
            default -> optError(opt, Nbd.REP_ERR_UNSUP, "option " + opt + " not supported");
        }
        return null;
    }

    private NbdExport infoOrGo(int opt, ByteBuffer p) throws IOException {
        if (p.remaining() < 4) {
            return optError(opt, Nbd.REP_ERR_INVALID, "truncated NBD_OPT_INFO/GO");
        }
        int nameLen = p.getInt();
        if (nameLen < 0 || nameLen > p.remaining() - 2) {
            return optError(opt, Nbd.REP_ERR_INVALID, "export name length " + nameLen + " exceeds the option");
        }
        String name = string(p, nameLen);
        int n = p.getShort() & 0xffff;
        if (p.remaining() != n * 2) {
            return optError(opt, Nbd.REP_ERR_INVALID, "information request count " + n + " does not match the option length");
        }
        boolean wantName = false;
        boolean wantDescription = false;
        boolean wantBlockSize = false;
        for (int i = 0; i < n; i++) {
            switch (p.getShort()) {
                case Nbd.INFO_NAME -> wantName = true;
                case Nbd.INFO_DESCRIPTION -> wantDescription = true;
                case Nbd.INFO_BLOCK_SIZE -> wantBlockSize = true;
                default -> {
                    // unknown requests are ignored
                }
            }
        }
        NbdExport e = server.find(name);
        if (e == null) {
            return optError(opt, Nbd.REP_ERR_UNKNOWN, "no export named '" + name + "'");
        }
        optReply(opt, Nbd.REP_INFO, ByteBuffer.allocate(12).putShort((short) Nbd.INFO_EXPORT).putLong(e.node().size())
                .putShort((short) flags(e)).flip());
        if (wantName) {
            byte[] b = e.name().getBytes(StandardCharsets.UTF_8);
            optReply(opt, Nbd.REP_INFO, ByteBuffer.allocate(2 + b.length).putShort((short) Nbd.INFO_NAME).put(b).flip());
        }
        if (wantDescription && !e.description().isEmpty()) {
            byte[] b = e.description().getBytes(StandardCharsets.UTF_8);
            optReply(opt, Nbd.REP_INFO, ByteBuffer.allocate(2 + b.length).putShort((short) Nbd.INFO_DESCRIPTION).put(b).flip());
        }
        if (wantBlockSize) {
            optReply(opt, Nbd.REP_INFO, ByteBuffer.allocate(14).putShort((short) Nbd.INFO_BLOCK_SIZE).putInt(1).putInt(4096)
                    .putInt(Nbd.MAX_PAYLOAD).flip());
        }
        optReply(opt, Nbd.REP_ACK, ByteBuffer.allocate(0));
        return opt == Nbd.OPT_GO ? e : null;
    }

    private void metaContext(int opt, ByteBuffer p) throws IOException {
        if (opt == Nbd.OPT_SET_META_CONTEXT && !structured) {
            optError(opt, Nbd.REP_ERR_INVALID, "NBD_OPT_SET_META_CONTEXT needs structured replies first");
            return;
        }
        if (p.remaining() < 8) {
            optError(opt, Nbd.REP_ERR_INVALID, "truncated meta context option");
            return;
        }
        int nameLen = p.getInt();
        if (nameLen < 0 || nameLen > p.remaining() - 4) {
            optError(opt, Nbd.REP_ERR_INVALID, "export name length " + nameLen + " exceeds the option");
            return;
        }
        String name = string(p, nameLen);
        int queries = p.getInt();
        List<String> qs = new ArrayList<>();
        for (int i = 0; i < queries; i++) {
            if (p.remaining() < 4) {
                optError(opt, Nbd.REP_ERR_INVALID, "truncated meta context query");
                return;
            }
            int l = p.getInt();
            if (l < 0 || l > p.remaining()) {
                optError(opt, Nbd.REP_ERR_INVALID, "meta context query length " + l + " exceeds the option");
                return;
            }
            qs.add(string(p, l));
        }
        NbdExport e = server.find(name);
        if (e == null) {
            optError(opt, Nbd.REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return;
        }
        boolean list = opt == Nbd.OPT_LIST_META_CONTEXT;
        boolean base = list && qs.isEmpty();
        boolean depth = list && qs.isEmpty() && e.allocationDepth();
        for (String q : qs) {
            base |= q.equals(Nbd.BASE_ALLOCATION) || list && q.equals("base:");
            depth |= e.allocationDepth() && (q.equals(Nbd.ALLOCATION_DEPTH) || list && q.equals("qemu:"));
        }
        if (!list) {
            baseAllocation = base;
            allocationDepth = depth;
        }
        if (base) {
            metaContextReply(opt, Nbd.META_ID_BASE_ALLOCATION, Nbd.BASE_ALLOCATION);
        }
        if (depth) {
            metaContextReply(opt, Nbd.META_ID_ALLOCATION_DEPTH, Nbd.ALLOCATION_DEPTH);
        }
        optReply(opt, Nbd.REP_ACK, ByteBuffer.allocate(0));
    }

    private void metaContextReply(int opt, int id, String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        optReply(opt, Nbd.REP_META_CONTEXT, ByteBuffer.allocate(4 + n.length).putInt(id).put(n).flip());
    }

    private int flags(NbdExport e) {
        // reads are always answered in one chunk, so DF (don't fragment) costs nothing with structured replies
        int f = Nbd.TF_HAS_FLAGS | Nbd.TF_SEND_FLUSH | Nbd.TF_SEND_FUA | Nbd.TF_SEND_CACHE
                | (server.maxConnections() > 1 ? Nbd.TF_CAN_MULTI_CONN : 0) | (structured ? Nbd.TF_SEND_DF : 0);
        if (e.readOnly()) {
            f |= Nbd.TF_READ_ONLY;
        } else {
            f |= Nbd.TF_SEND_TRIM | Nbd.TF_SEND_WRITE_ZEROES | Nbd.TF_SEND_FAST_ZERO;
        }
        return f;
    }

    private String string(ByteBuffer p, int len) throws ProtocolException {
        if (len > Nbd.MAX_STRING) {
            throw new ProtocolException("string of " + len + " bytes exceeds " + Nbd.MAX_STRING);
        }
        byte[] b = new byte[len];
        p.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private NbdExport optError(int opt, int type, String message) throws IOException {
        optReply(opt, type, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)));
        return null;
    }

    private void optReply(int opt, int type, ByteBuffer payload) throws IOException {
        reply.clear().putLong(Nbd.REPLY_MAGIC).putInt(opt).putInt(type).putInt(payload.remaining()).flip();
        ch.write(new ByteBuffer[] {reply, payload});
        while (reply.hasRemaining() || payload.hasRemaining()) {
            ch.write(new ByteBuffer[] {reply, payload});
        }
    }

    // ------------------------------------------------------------------ transmission

    private void transmission(NbdExport e) throws IOException {
        BlockNode node = e.node();
        long size = node.size();
        while (true) {
            readFully(hdr.clear().limit(28));
            if (hdr.getInt(0) != Nbd.REQUEST_MAGIC) {
                throw new ProtocolException("bad request magic 0x" + Integer.toHexString(hdr.getInt(0)));
            }
            int cmdFlags = hdr.getShort(4) & 0xffff;
            int type = hdr.getShort(6) & 0xffff;
            long handle = hdr.getLong(8);
            long offset = hdr.getLong(16);
            long length = hdr.getInt(24) & 0xffffffffL;
            boolean inRange = offset >= 0 && offset <= size && length <= size - offset;
            switch (type) {
                case Nbd.CMD_READ -> read(node, handle, offset, length, inRange);
                case Nbd.CMD_WRITE -> {
                    if (length > Nbd.MAX_PAYLOAD) {
                        throw new ProtocolException("write of " + length + " bytes exceeds " + Nbd.MAX_PAYLOAD);
                    }
                    ByteBuffer buf = buffer((int) length);
                    readFully(buf);
                    buf.flip();
                    if (e.readOnly()) {
                        simple(handle, Nbd.EPERM);
                    } else if (!inRange) {
                        simple(handle, Nbd.ENOSPC);
                    } else {
                        int err = io(() -> {
                            node.write(offset, buf);
                            if ((cmdFlags & Nbd.CMD_FLAG_FUA) != 0) {
                                node.flush();
                            }
                        });
                        simple(handle, err);
                    }
                }
                case Nbd.CMD_DISC -> {
                    return;
                }
                case Nbd.CMD_FLUSH -> simple(handle, e.readOnly() ? 0 : io(node::flush));
                case Nbd.CMD_TRIM, Nbd.CMD_WRITE_ZEROES -> {
                    if (e.readOnly()) {
                        simple(handle, Nbd.EPERM);
                    } else if (!inRange) {
                        simple(handle, Nbd.ENOSPC);
                    } else if (type == Nbd.CMD_WRITE_ZEROES && (cmdFlags & Nbd.CMD_FLAG_FAST_ZERO) != 0) {
                        simple(handle, alreadyZero(node, offset, length) ? 0 : Nbd.ENOTSUP);
                    } else {
                        simple(handle, io(() -> {
                            if (type == Nbd.CMD_TRIM) {
                                node.discard(offset, length);
                            } else {
                                node.writeZeroes(offset, length);
                            }
                            if ((cmdFlags & Nbd.CMD_FLAG_FUA) != 0) {
                                node.flush();
                            }
                        }));
                    }
                }
                case Nbd.CMD_CACHE -> simple(handle, inRange ? 0 : Nbd.EINVAL);
                case Nbd.CMD_BLOCK_STATUS -> blockStatus(node, handle, offset, length, inRange, (cmdFlags & Nbd.CMD_FLAG_REQ_ONE) != 0);
                default -> simple(handle, Nbd.EINVAL);
            }
        }
    }

    /**
     * A fast write-zeroes ({@code NBD_CMD_FLAG_FAST_ZERO}) succeeds only where there is nothing to do: the
     * range already reads as zeros. Anything else would be a slow write, so it fails at once with
     * {@code ENOTSUP}, as the protocol asks, and the client falls back to writing (or skips zeroing).
     */
    private boolean alreadyZero(BlockNode node, long offset, long length) {
        try {
            for (long pos = offset, end = offset + length; pos < end; ) {
                BlockStatus s = node.blockStatus(pos, end - pos);
                if (!s.zero() || s.length() <= 0) {
                    return false;
                }
                pos += s.length();
            }
            return true;
        } catch (IOException | RuntimeException ex) {
            return false;
        }
    }

    private ByteBuffer buffer(int len) {
        if (data.capacity() < len) {
            data = ByteBuffer.allocateDirect(Math.max(len, Math.min(Nbd.MAX_PAYLOAD, data.capacity() * 2)));
        }
        return data.clear().limit(len);
    }

    private void read(BlockNode node, long handle, long offset, long length, boolean inRange) throws IOException {
        int err = !inRange || length > Nbd.MAX_PAYLOAD ? Nbd.EINVAL : 0;
        ByteBuffer buf = null;
        if (err == 0) {
            buf = buffer((int) length);
            ByteBuffer b = buf;
            err = io(() -> node.read(offset, b));
            buf.flip();
        }
        if (err != 0) {
            error(handle, err, err == Nbd.EINVAL ? "read of " + length + " bytes at " + offset + " is out of range" : "I/O error");
        } else if (structured) {
            reply.clear().putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) Nbd.REPLY_FLAG_DONE)
                    .putShort((short) Nbd.REPLY_TYPE_OFFSET_DATA).putLong(handle).putInt((int) length + 8).putLong(offset).flip();
            writeAll(reply, buf);
        } else {
            reply.clear().putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(0).putLong(handle).flip();
            writeAll(reply, buf);
        }
    }

    private void blockStatus(BlockNode node, long handle, long offset, long length, boolean inRange, boolean one)
            throws IOException {
        if (!structured || !(baseAllocation || allocationDepth) || !inRange || length == 0) {
            error(handle, Nbd.EINVAL, !(baseAllocation || allocationDepth) ? "no metadata context negotiated"
                    : "block status range invalid");
            return;
        }
        ByteBuffer base = null;
        ByteBuffer depth = null;
        try {
            base = baseAllocation ? extents(Nbd.META_ID_BASE_ALLOCATION, node, offset, length, one) : null;
            depth = allocationDepth ? extents(Nbd.META_ID_ALLOCATION_DEPTH, node, offset, length, one) : null;
        } catch (IOException ex) {
            LOG.warn("NBD block status on {} at {}: {}", node.name(), offset, ex.getMessage());
            error(handle, Nbd.EIO, "I/O error");
            return;
        }
        if (base != null) {
            blockStatusChunk(handle, base, depth == null);
        }
        if (depth != null) {
            blockStatusChunk(handle, depth, true);
        }
    }

    /** One context's extents for the range: {@code base:allocation} flags or {@code qemu:allocation-depth} depths. */
    private static ByteBuffer extents(int context, BlockNode node, long offset, long length, boolean one) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 * 256);
        b.putInt(context);
        long pos = offset;
        long end = offset + length;
        while (pos < end && b.remaining() >= 8) {
            long n;
            int value;
            if (context == Nbd.META_ID_BASE_ALLOCATION) {
                BlockStatus s = node.blockStatus(pos, end - pos);
                n = s.length();
                value = (s.hole() ? Nbd.STATE_HOLE : 0) | (s.zero() ? Nbd.STATE_ZERO : 0);
            } else {
                long[] d = AllocationDepth.at(node, pos, end - pos);
                n = d[0];
                value = (int) d[1];
            }
            n = Math.max(1, Math.min(n, end - pos));
            b.putInt((int) n).putInt(value);
            pos += n;
            if (one) {
                break;
            }
        }
        return b.flip();
    }

    private void blockStatusChunk(long handle, ByteBuffer b, boolean last) throws IOException {
        reply.clear().putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) (last ? Nbd.REPLY_FLAG_DONE : 0))
                .putShort((short) Nbd.REPLY_TYPE_BLOCK_STATUS).putLong(handle).putInt(b.remaining()).flip();
        writeAll(reply, b);
    }

    private void simple(long handle, int err) throws IOException {
        reply.clear().putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(err).putLong(handle).flip();
        writeAll(reply);
    }

    /** An error reply to a command that may need a structured one. */
    private void error(long handle, int err, String msg) throws IOException {
        if (!structured) {
            simple(handle, err);
            return;
        }
        byte[] m = msg.getBytes(StandardCharsets.UTF_8);
        ByteBuffer p = ByteBuffer.allocate(6 + m.length).putInt(err).putShort((short) m.length).put(m).flip();
        reply.clear().putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) Nbd.REPLY_FLAG_DONE)
                .putShort((short) Nbd.REPLY_TYPE_ERROR).putLong(handle).putInt(p.remaining()).flip();
        writeAll(reply, p);
    }

    private interface Io {
        void run() throws IOException;
    }

    private int io(Io op) {
        try {
            op.run();
            return 0;
        } catch (IOException ex) {
            LOG.warn("NBD export {}: {}", export == null ? "?" : export.name(), ex.getMessage());
            return Nbd.EIO;
        } catch (RuntimeException ex) {
            LOG.warn("NBD export {}: {}", export == null ? "?" : export.name(), ex.toString());
            return Nbd.EIO;
        }
    }

    // ------------------------------------------------------------------ raw I/O

    private int readInt() throws IOException {
        readFully(hdr.clear().limit(4));
        return hdr.getInt(0);
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException();
            }
        }
    }

    private void writeAll(ByteBuffer... bs) throws IOException {
        ByteBuffer last = bs[bs.length - 1];
        while (last.hasRemaining() || bs[0].hasRemaining()) {
            ch.write(bs);
        }
    }
}
