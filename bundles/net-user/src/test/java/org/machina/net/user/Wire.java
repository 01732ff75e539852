package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.machina.api.net.Netdev;
import org.machina.host.posix.FfmLibc;

/**
 * The guest's end of a {@link UserNetdev} for tests: builds frames by hand (every header field
 * written here, none by the code under test), sends them, and collects what the stack answers.
 */
final class Wire implements AutoCloseable {
    static final byte[] GUEST_MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    static final int GW = ip("10.0.2.2");
    static final int DNS = ip("10.0.2.3");
    static final int GUEST = ip("10.0.2.15");
    static final long WAIT_S = 10;

    final UserNetdev netdev;
    final ExecutorService nic = Executors.newSingleThreadExecutor();
    final LinkedBlockingQueue<Frame> received = new LinkedBlockingQueue<>();
    volatile boolean canReceive = true;
    final java.util.concurrent.Semaphore sendReady = new java.util.concurrent.Semaphore(0);
    /** How often the netdev said "queue full" (back-pressure seen). */
    volatile int refusals;

    /**
     * A stack with the real C library whose ICMP echo to outside hosts reaches 127.0.0.1 only (for
     * the test address {@link IcmpEchoTest#OUTSIDE}): a test frame pinging any other address,
     * deliberately or by a fuzzer's chance, is never sent off this machine.
     */
    Wire(Map<String, String> options) throws IOException {
        this("t", options, realLibc());
    }

    /** A stack with a chosen C library and echo route (ICMP echo tests). */
    Wire(Map<String, String> options, Stack.Host host) throws IOException {
        this("t", options, host);
    }

    /** A stack of id {@code id} (its threads are {@code net-user-ID...}). */
    Wire(String id, Map<String, String> options, Stack.Host host) throws IOException {
        netdev = new UserNetdev(id, NetConfig.parse(options), nic, host);
        netdev.attach(new Netdev.Port() {
            @Override
            public boolean canReceive() {
                return canReceive;
            }

            @Override
            public boolean receive(ByteBuffer frame) {
                byte[] f = new byte[frame.remaining()];
                frame.get(f);
                received.add(new Frame(f));
                return true;
            }

            @Override
            public void sendReady() {
                sendReady.release();
            }
        });
    }

    /** The real C library, outside echo routed as {@link IcmpEchoTest#route} says (loopback only). */
    static Stack.Host realLibc() {
        return new Stack.Host(FfmLibc::get, IcmpEchoTest::route, 10_000);
    }

    static int ip(String s) {
        return Bytes.parseIp(s);
    }

    /** Sends like a NIC: when the netdev says its queue is full, waits for sendReady and offers the frame again. */
    void send(byte[] frame) {
        try {
            for (int tries = 0; !nic.submit(() -> netdev.send(ByteBuffer.wrap(frame))).get(WAIT_S, TimeUnit.SECONDS); tries++) {
                refusals++;
                if (!sendReady.tryAcquire(WAIT_S, TimeUnit.SECONDS) || tries > 100) {
                    fail("the netdev stayed full");
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The next frame matching {@code p} (others are skipped), failing after a while. */
    Frame expect(String what, Predicate<Frame> p) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        try {
            while (true) {
                long left = end - System.nanoTime();
                Frame f = left > 0 ? received.poll(left, TimeUnit.NANOSECONDS) : null;
                if (f == null) {
                    fail("no frame: " + what);
                }
                if (p.test(f)) {
                    return f;
                }
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Frames matching {@code p} that arrive within {@code ms} (for "nothing arrives" checks and counts). */
    List<Frame> collect(long ms, Predicate<Frame> p) throws InterruptedException {
        List<Frame> l = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            Frame f = received.poll(left, TimeUnit.NANOSECONDS);
            if (f != null && p.test(f)) {
                l.add(f);
            }
        }
        return l;
    }

    <T> T onLoop(java.util.function.Supplier<T> q) {
        return netdev.onLoop(q);
    }

    @Override
    public void close() {
        netdev.close();
        nic.shutdownNow();
    }

    // ---- frame builders

    static byte[] eth(byte[] dst, int type, byte[] payload) {
        byte[] f = new byte[14 + payload.length];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(GUEST_MAC, 0, f, 6, 6);
        f[12] = (byte) (type >> 8);
        f[13] = (byte) type;
        System.arraycopy(payload, 0, f, 14, payload.length);
        return f;
    }

    static byte[] gwMac() {
        return new byte[] {0x52, 0x55, 10, 0, 2, 2};
    }

    static byte[] arpRequest(int sender, int target) {
        byte[] a = new byte[28];
        put16(a, 0, 1);
        put16(a, 2, 0x0800);
        a[4] = 6;
        a[5] = 4;
        put16(a, 6, 1);
        System.arraycopy(GUEST_MAC, 0, a, 8, 6);
        put32(a, 14, sender);
        put32(a, 24, target);
        return eth(new byte[] {-1, -1, -1, -1, -1, -1}, 0x0806, a);
    }

    /** An IPv4 packet in a frame to the gateway's MAC; {@code fragField} is the flags+offset word. */
    static byte[] ipFrame(int src, int dst, int proto, int id, int fragField, byte[] payload) {
        byte[] p = new byte[20 + payload.length];
        p[0] = 0x45;
        put16(p, 2, p.length);
        put16(p, 4, id);
        put16(p, 6, fragField);
        p[8] = 64;
        p[9] = (byte) proto;
        put32(p, 12, src);
        put32(p, 16, dst);
        put16(p, 10, sum(0, p, 0, 20));
        System.arraycopy(payload, 0, p, 20, payload.length);
        return eth(gwMac(), 0x0800, p);
    }

    static byte[] ip(int src, int dst, int proto, byte[] payload) {
        return ipFrame(src, dst, proto, 1, 0, payload);
    }

    static byte[] icmpEcho(int id, int seq, byte[] data) {
        byte[] m = new byte[8 + data.length];
        m[0] = 8;
        put16(m, 4, id);
        put16(m, 6, seq);
        System.arraycopy(data, 0, m, 8, data.length);
        put16(m, 2, sum(0, m, 0, m.length));
        return m;
    }

    static byte[] udp(int src, int dst, int sport, int dport, byte[] data) {
        byte[] u = new byte[8 + data.length];
        put16(u, 0, sport);
        put16(u, 2, dport);
        put16(u, 4, u.length);
        System.arraycopy(data, 0, u, 8, data.length);
        int c = sum(pseudo(src, dst, 17, u.length), u, 0, u.length);
        put16(u, 6, c == 0 ? 0xffff : c);
        return u;
    }

    static byte[] tcp(int src, int dst, int sport, int dport, int seq, int ack, int flags, int window, byte[] options, byte[] data) {
        int ol = options == null ? 0 : options.length;
        byte[] t = new byte[20 + ol + data.length];
        put16(t, 0, sport);
        put16(t, 2, dport);
        put32(t, 4, seq);
        put32(t, 8, ack);
        t[12] = (byte) ((20 + ol) / 4 << 4);
        t[13] = (byte) flags;
        put16(t, 14, window);
        if (ol > 0) {
            System.arraycopy(options, 0, t, 20, ol);
        }
        System.arraycopy(data, 0, t, 20 + ol, data.length);
        put16(t, 16, sum(pseudo(src, dst, 6, t.length), t, 0, t.length));
        return t;
    }

    static int pseudo(int src, int dst, int proto, int len) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
    }

    /** Internet checksum written independently of the stack's Checksum class. */
    static int sum(int start, byte[] b, int off, int len) {
        long s = start & 0xffffffffL;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff;
            int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            s += hi << 8 | lo;
        }
        while (s > 0xffff) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) (v >> 8);
        b[o + 1] = (byte) v;
    }

    static void put32(byte[] b, int o, int v) {
        b[o] = (byte) (v >> 24);
        b[o + 1] = (byte) (v >> 16);
        b[o + 2] = (byte) (v >> 8);
        b[o + 3] = (byte) v;
    }

    static int u16(byte[] b, int o) {
        return (b[o] & 0xff) << 8 | b[o + 1] & 0xff;
    }

    static int i32(byte[] b, int o) {
        return (b[o] & 0xff) << 24 | (b[o + 1] & 0xff) << 16 | (b[o + 2] & 0xff) << 8 | b[o + 3] & 0xff;
    }

    /** A frame from the stack, with accessors for the headers the tests look at. */
    record Frame(byte[] b) {
        int type() {
            return u16(b, 12);
        }

        boolean isIp(int proto) {
            return type() == 0x0800 && (b[23] & 0xff) == proto;
        }

        int ihl() {
            return (b[14] & 0xf) * 4;
        }

        int src() {
            return i32(b, 26);
        }

        int dst() {
            return i32(b, 30);
        }

        int l4() {
            return 14 + ihl();
        }

        int ipLen() {
            return u16(b, 16);
        }

        /** Checks the IP header checksum and the TCP/UDP/ICMP checksum. */
        Frame verified() {
            assertEquals(0, sum(0, b, 14, ihl()), "IP header checksum");
            int len = ipLen() - ihl();
            int proto = b[23] & 0xff;
            int start = proto == 1 ? 0 : pseudo(src(), dst(), proto, len);
            assertEquals(0, sum(start, b, l4(), len), "checksum of protocol " + proto);
            return this;
        }

        int sport() {
            return u16(b, l4());
        }

        int dport() {
            return u16(b, l4() + 2);
        }

        int seq() {
            return i32(b, l4() + 4);
        }

        int ack() {
            return i32(b, l4() + 8);
        }

        int flags() {
            return b[l4() + 13] & 0xff;
        }

        int window() {
            return u16(b, l4() + 14);
        }

        int tcpHeader() {
            return ((b[l4() + 12] & 0xff) >> 4) * 4;
        }

        byte[] tcpData() {
            int off = l4() + tcpHeader();
            int len = ipLen() - ihl() - tcpHeader();
            byte[] d = new byte[len];
            System.arraycopy(b, off, d, 0, len);
            return d;
        }

        /** TCP option {@code kind}'s value bytes, or null. */
        byte[] tcpOption(int kind) {
            int o = l4() + 20;
            int end = l4() + tcpHeader();
            while (o < end) {
                int k = b[o] & 0xff;
                if (k == 0) {
                    return null;
                }
                if (k == 1) {
                    o++;
                    continue;
                }
                int l = b[o + 1] & 0xff;
                if (k == kind) {
                    byte[] v = new byte[l - 2];
                    System.arraycopy(b, o + 2, v, 0, l - 2);
                    return v;
                }
                o += l;
            }
            return null;
        }

        byte[] udpData() {
            int len = u16(b, l4() + 4) - 8;
            byte[] d = new byte[len];
            System.arraycopy(b, l4() + 8, d, 0, len);
            return d;
        }

        boolean tcp(int flagsSet) {
            return isIp(6) && (flags() & flagsSet) == flagsSet;
        }
    }
}
