package org.machina.net.user;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A read-only TFTP server (RFC 1350, options RFC 2347 with {@code blksize} RFC 2348 and
 * {@code tsize} RFC 2349) on the gateway address, serving files under {@code tftp=DIR}. Each
 * transfer answers from a port of its own (its TID) and keeps one block in flight: the block is
 * sent again after {@link #RETRANSMIT_MS} without its ACK (a deadline), and the transfer is
 * dropped after {@link #MAX_RETRIES}. At most {@link #MAX_SESSIONS} transfers run at once; write
 * requests and names outside the directory get an ERROR.
 */
final class Tftp {
    static final int PORT = 69;
    static final int MAX_SESSIONS = 16;
    static final long RETRANSMIT_MS = 1_000;
    static final int MAX_RETRIES = 5;
    static final int RRQ = 1, WRQ = 2, DATA = 3, ACK = 4, ERROR = 5, OACK = 6;

    private record Key(int guestIp, int guestPort) {
    }

    private final class Session {
        final Key key;
        final int tid;
        final FileChannel file;
        final int blockSize;
        int block; // the block in flight (0: the OACK)
        byte[] inFlight;
        int retries;
        boolean last;
        EventLoop.Deadline timer;

        Session(Key key, int tid, FileChannel file, int blockSize) {
            this.key = key;
            this.tid = tid;
            this.file = file;
            this.blockSize = blockSize;
        }

        void send(byte[] packet) {
            inFlight = packet;
            retries = 0;
            transmit();
        }

        void transmit() {
            stack.udp.output(stack.cfg.host, tid, key.guestIp, key.guestPort, inFlight, 0, inFlight.length);
            if (timer != null) {
                timer.cancel();
            }
            timer = stack.loop.afterMillis(RETRANSMIT_MS, () -> {
                if (++retries > MAX_RETRIES) {
                    Stack.LOG.debug("net '{}': TFTP transfer to {} timed out", stack.id, key);
                    end();
                } else {
                    transmit();
                }
            });
        }

        void sendBlock(int n) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(4 + blockSize);
            b.putShort((short) DATA).putShort((short) n);
            long pos = (long) (n - 1) * blockSize;
            while (b.hasRemaining()) {
                int r = file.read(b, pos + b.position() - 4);
                if (r <= 0) {
                    break;
                }
            }
            block = n;
            last = b.position() - 4 < blockSize;
            byte[] p = new byte[b.position()];
            System.arraycopy(b.array(), 0, p, 0, p.length);
            send(p);
        }

        void ack(int n) throws IOException {
            if (n != (block & 0xffff)) {
                return; // a duplicate ACK: the timer resends if needed (no sorcerer's apprentice)
            }
            if (block > 0 && last) {
                end();
            } else {
                sendBlock(block + 1);
            }
        }

        void end() {
            sessions.remove(key, this);
            byTid.remove(tid, this);
            if (timer != null) {
                timer.cancel();
            }
            try {
                file.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private final Stack stack;
    private final Path root;
    private final Map<Key, Session> sessions = new HashMap<>();
    private final Map<Integer, Session> byTid = new HashMap<>();
    private int nextTid = 20000;

    Tftp(Stack stack) {
        this.stack = stack;
        this.root = stack.cfg.tftpRoot;
    }

    int sessionCount() {
        return sessions.size();
    }

    /** Whether a datagram to the gateway's {@code port} is TFTP's (the well-known port or a transfer's TID). */
    boolean owns(int dst, int port) {
        return root != null && dst == stack.cfg.host && (port == PORT || byTid.containsKey(port));
    }

    void input(int src, int sport, int dport, byte[] b, int off, int len) {
        if (len < 4) {
            stack.stats.malformed++;
            return;
        }
        int op = Bytes.u16(b, off);
        Key key = new Key(src, sport);
        if (dport != PORT) {
            Session s = byTid.get(dport);
            if (s == null || !s.key.equals(key)) {
                error(src, sport, dport, 5, "unknown transfer ID");
                return;
            }
            try {
                if (op == ACK) {
                    s.ack(Bytes.u16(b, off + 2));
                } else if (op == ERROR) {
                    s.end();
                }
            } catch (IOException e) {
                error(src, sport, dport, 0, "read error");
                s.end();
            }
            return;
        }
        if (op == WRQ) {
            error(src, sport, PORT, 2, "read-only server");
            return;
        }
        if (op != RRQ) {
            error(src, sport, PORT, 4, "illegal operation");
            return;
        }
        String[] f = strings(b, off + 2, len - 2);
        if (f.length < 2) {
            error(src, sport, PORT, 4, "malformed request");
            return;
        }
        Session old = sessions.get(key);
        if (old != null) {
            old.end();
        }
        if (sessions.size() >= MAX_SESSIONS) {
            error(src, sport, PORT, 0, "too many transfers");
            return;
        }
        Path file = resolve(f[0]);
        if (file == null) {
            error(src, sport, PORT, 1, "file not found");
            return;
        }
        int blockSize = 512;
        boolean wantTsize = false;
        StringBuilder oack = new StringBuilder();
        for (int i = 2; i + 1 < f.length; i += 2) {
            String name = f[i].toLowerCase(java.util.Locale.ROOT);
            if (name.equals("blksize")) {
                try {
                    blockSize = Math.clamp(Integer.parseInt(f[i + 1]), 8, stack.cfg.mtu - 20 - 8 - 4);
                    oack.append("blksize\0").append(blockSize).append('\0');
                } catch (NumberFormatException e) {
                    // ignored option
                }
            } else if (name.equals("tsize")) {
                wantTsize = true;
            }
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file);
            if (wantTsize) {
                oack.append("tsize\0").append(ch.size()).append('\0');
            }
        } catch (IOException e) {
            error(src, sport, PORT, 2, "access violation");
            return;
        }
        int tid = allocateTid();
        Session s = new Session(key, tid, ch, blockSize);
        sessions.put(key, s);
        byTid.put(tid, s);
        try {
            if (oack.isEmpty()) {
                s.sendBlock(1);
            } else {
                byte[] o = oack.toString().getBytes(StandardCharsets.US_ASCII);
                byte[] p = new byte[2 + o.length];
                Bytes.put16(p, 0, OACK);
                System.arraycopy(o, 0, p, 2, o.length);
                s.block = 0;
                s.send(p);
            }
        } catch (IOException e) {
            error(src, sport, tid, 0, "read error");
            s.end();
        }
    }

    private int allocateTid() {
        do {
            nextTid = nextTid >= 60000 ? 20000 : nextTid + 1;
        } while (byTid.containsKey(nextTid));
        return nextTid;
    }

    /** The file under the root, or null if it is outside it, missing or not a regular file. */
    private Path resolve(String name) {
        try {
            Path r = root.toRealPath();
            Path p = r.resolve(name.startsWith("/") ? name.substring(1) : name).normalize();
            if (!p.startsWith(r) || !Files.isRegularFile(p)) {
                return null;
            }
            Path real = p.toRealPath();
            return real.startsWith(r) ? real : null;
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private static String[] strings(byte[] b, int off, int len) {
        java.util.List<String> l = new java.util.ArrayList<>();
        int start = off;
        for (int i = off; i < off + len; i++) {
            if (b[i] == 0) {
                l.add(new String(b, start, i - start, StandardCharsets.US_ASCII));
                start = i + 1;
            }
        }
        return l.toArray(String[]::new);
    }

    private void error(int dst, int dport, int sport, int code, String msg) {
        byte[] m = msg.getBytes(StandardCharsets.US_ASCII);
        byte[] p = new byte[4 + m.length + 1];
        Bytes.put16(p, 0, ERROR);
        Bytes.put16(p, 2, code);
        System.arraycopy(m, 0, p, 4, m.length);
        stack.udp.output(stack.cfg.host, sport, dst, dport, p, 0, p.length);
    }

    void close() {
        for (Session s : sessions.values().toArray(Session[]::new)) {
            s.end();
        }
    }
}
