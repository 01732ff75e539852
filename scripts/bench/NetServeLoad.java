import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Map;
import org.machina.net.user.StreamServer;
import org.machina.net.user.api.NetStandalone;

/**
 * The CPU that {@code machina net serve} spends per MiB, without a guest: this program starts the
 * server in its own JVM and plays a minimal guest on its stream socket (QEMU's framing): a
 * receiver that acknowledges every second segment (as Linux) for host->guest through a hostfwd
 * port, and a window-limited sender of 1460-byte segments for guest->host to a listener on
 * 127.0.0.1. Prints MB/s and the CPU time of the server's threads (names starting "net-") per MiB.
 * Everything stays on 127.0.0.1.
 *
 * <pre>java -cp NET_USER_JAR:DEVICE_API_JAR:SLF4J_API_JAR scripts/bench/NetServeLoad.java [MIB]</pre>
 * (scripts/bench/net-serve-load.sh builds the class path.)
 */
public class NetServeLoad {
    static final byte[] GUEST_MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    static final byte[] GW_MAC = {0x52, 0x55, 10, 0, 2, 2};
    static final int GUEST = 0x0a00020f, GW = 0x0a000202;

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        long bytes = (long) mib << 20;
        try (StreamServer s = StreamServer.start(new NetStandalone.Options(Map.of("hostfwd", "tcp:127.0.0.1:0-:5001"),
                new InetSocketAddress("127.0.0.1", 0)))) {
            for (int round = 0; round < 2; round++) { // the first round warms the JIT up
                hostToGuest(s, round == 0 ? Math.min(bytes, 16L << 20) : bytes, round == 1);
                guestToHost(s, round == 0 ? Math.min(bytes, 16L << 20) : bytes, round == 1);
            }
        }
    }

    static long serverCpu() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("net-")) {
                long c = mx.getThreadCpuTime(t.threadId());
                n += Math.max(0, c);
            }
        }
        return n;
    }

    static void report(String what, long bytes, long nanos, long cpu) {
        System.out.printf("%-12s %6.1f MB/s   server CPU %6.2f ms/MiB   (%d MiB)%n", what, bytes / (nanos / 1e9) / 1e6,
                cpu / 1e6 / (bytes >> 20), bytes >> 20);
    }

    // ---- host -> guest: the host writes into the hostfwd port, the guest acknowledges every second segment

    static void hostToGuest(StreamServer s, long bytes, boolean print) throws Exception {
        SocketAddress fwd = s.tcpForwards().get(0);
        try (Socket client = new Socket()) {
            client.connect(s.address());
            client.setTcpNoDelay(true);
            DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(client.getOutputStream(), 65536));
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(client.getInputStream(), 65536));
            send(out, arp());
            out.flush();
            long cpu0 = serverCpu();
            long t0 = System.nanoTime();
            Thread host = Thread.ofPlatform().start(() -> {
                try (Socket h = new Socket()) {
                    h.connect(fwd);
                    byte[] chunk = new byte[65536];
                    for (long left = bytes; left > 0; left -= chunk.length) {
                        h.getOutputStream().write(chunk, 0, (int) Math.min(chunk.length, left));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            int rcvNxt = 0;
            int myIss = 77_000;
            int peerPort = 0;
            long got = 0;
            int segs = 0;
            int gaps = 0;
            while (true) {
                byte[] f = read(in);
                if (!isTcp(f)) {
                    continue;
                }
                int l4 = 34;
                int flags = f[l4 + 13] & 0xff;
                if (u16(f, l4 + 2) != 5001 || peerPort != 0 && u16(f, l4) != peerPort || peerPort == 0 && (flags & 0x02) == 0) {
                    continue; // another connection's segment (an earlier round's)
                }
                int seq = i32(f, l4 + 4);
                int hlen = ((f[l4 + 12] & 0xff) >> 4) * 4;
                int len = u16(f, 16) - 20 - hlen;
                if ((flags & 0x02) != 0) { // SYN
                    peerPort = u16(f, l4);
                    rcvNxt = seq + 1;
                    send(out, tcp(5001, peerPort, myIss, rcvNxt, 0x12, 65535, new byte[] {2, 4, 5, (byte) 0xb4, 1, 3, 3, 7}, 0));
                    out.flush();
                    continue;
                }
                boolean fin = (flags & 0x01) != 0;
                if (seq == rcvNxt && len > 0) {
                    rcvNxt += len;
                    got += len;
                    segs++;
                }
                if (fin && seq + len == rcvNxt) {
                    rcvNxt++;
                }
                if (segs % 2 == 0 || fin || (flags & 0x08) != 0 || seq != rcvNxt - len) {
                    send(out, tcp(5001, peerPort, myIss + 1, rcvNxt, fin ? 0x11 : 0x10, 65535, null, 0));
                }
                if (in.available() < 4) {
                    out.flush();
                }
                if (seq - rcvNxt > 0) {
                    gaps++;
                }
                if (fin && seq + len + 1 == rcvNxt) {
                    out.flush();
                    break;
                }
            }
            long t1 = System.nanoTime();
            host.join();
            if (got != bytes) {
                throw new IllegalStateException("host->guest: got " + got + " of " + bytes + ", " + gaps + " segments after a gap");
            }
            if (print) {
                report("host->guest", bytes, t1 - t0, serverCpu() - cpu0);
                if (gaps > 0) {
                    System.out.println("  (" + gaps + " segments came after a gap)");
                }
            }
            // drain the last ACK of our FIN
            Thread.sleep(200);
        }
    }

    // ---- guest -> host: the guest sends 1460-byte segments as its window allows, a host listener reads

    static void guestToHost(StreamServer s, long bytes, boolean print) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()); Socket client = new Socket()) {
            int port = listener.getLocalPort();
            long[] read = new long[1];
            Thread host = Thread.ofPlatform().start(() -> {
                try (Socket h = listener.accept(); InputStream hin = h.getInputStream()) {
                    byte[] b = new byte[65536];
                    int n;
                    while ((n = hin.read(b)) > 0) {
                        read[0] += n;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            client.connect(s.address());
            client.setTcpNoDelay(true);
            DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(client.getOutputStream(), 65536));
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(client.getInputStream(), 65536));
            send(out, arp());
            out.flush();
            int myPort = 40_000 + (int) (System.nanoTime() & 0x3ff);
            int iss = 5_000;
            send(out, tcp(myPort, port, iss, 0, 0x02, 65535, new byte[] {2, 4, 5, (byte) 0xb4, 1, 3, 3, 7}, 0));
            out.flush();
            long cpu0 = serverCpu();
            long t0 = System.nanoTime();
            int sndUna = iss + 1;
            int sndNxt = iss + 1;
            int wnd = 0;
            int shift = 0;
            int peerSeq = 0;
            long sent = 0;
            boolean established = false;
            while (!established || sndUna - (iss + 1) < bytes) {
                if (established) {
                    while (sent < bytes && sndNxt - sndUna + 1460 <= wnd) {
                        int n = (int) Math.min(1460, bytes - sent);
                        send(out, tcp(myPort, port, sndNxt, peerSeq, 0x10, 65535, null, n));
                        sndNxt += n;
                        sent += n;
                    }
                    out.flush();
                }
                byte[] f = read(in);
                if (!isTcp(f)) {
                    continue;
                }
                int l4 = 34;
                int flags = f[l4 + 13] & 0xff;
                if (u16(f, l4 + 2) != myPort) {
                    continue; // another connection's segment
                }
                if (!established && (flags & 0x12) == 0x12) {
                    peerSeq = i32(f, l4 + 4) + 1;
                    shift = 3; // the stack's window scale (it answers a scaled SYN with 3)
                    established = true;
                    wnd = u16(f, l4 + 14);
                    send(out, tcp(myPort, port, sndNxt, peerSeq, 0x10, 65535, null, 0));
                    continue;
                }
                int ack = i32(f, l4 + 8);
                if (ack - sndUna > 0) {
                    sndUna = ack;
                }
                wnd = u16(f, l4 + 14) << shift;
            }
            send(out, tcp(myPort, port, sndNxt, peerSeq, 0x11, 65535, null, 0));
            out.flush();
            host.join();
            long t1 = System.nanoTime();
            if (read[0] != bytes) {
                throw new IllegalStateException("guest->host: the host read " + read[0] + " of " + bytes);
            }
            if (print) {
                report("guest->host", bytes, t1 - t0, serverCpu() - cpu0);
            }
            Thread.sleep(200);
        }
    }

    // ---- frames

    static byte[] read(DataInputStream in) throws Exception {
        byte[] f = new byte[in.readInt()];
        in.readFully(f);
        return f;
    }

    static void send(DataOutputStream out, byte[] f) throws Exception {
        out.writeInt(f.length);
        out.write(f);
    }

    static boolean isTcp(byte[] f) {
        return f.length >= 54 && u16(f, 12) == 0x0800 && f[23] == 6;
    }

    static byte[] arp() {
        byte[] f = new byte[42];
        java.util.Arrays.fill(f, 0, 6, (byte) -1);
        System.arraycopy(GUEST_MAC, 0, f, 6, 6);
        put16(f, 12, 0x0806);
        put16(f, 14, 1);
        put16(f, 16, 0x0800);
        f[18] = 6;
        f[19] = 4;
        put16(f, 20, 1);
        System.arraycopy(GUEST_MAC, 0, f, 22, 6);
        put32(f, 28, GUEST);
        put32(f, 38, GW);
        return f;
    }

    /** A TCP segment from the guest to the gateway with {@code dataLen} zero bytes. */
    static byte[] tcp(int sport, int dport, int seq, int ack, int flags, int window, byte[] options, int dataLen) {
        int ol = options == null ? 0 : options.length;
        int tl = 20 + ol + dataLen;
        byte[] f = new byte[14 + 20 + tl];
        System.arraycopy(GW_MAC, 0, f, 0, 6);
        System.arraycopy(GUEST_MAC, 0, f, 6, 6);
        put16(f, 12, 0x0800);
        f[14] = 0x45;
        put16(f, 16, 20 + tl);
        f[22] = 64;
        f[23] = 6;
        put32(f, 26, GUEST);
        put32(f, 30, GW);
        put16(f, 24, sum(0, f, 14, 20));
        int t = 34;
        put16(f, t, sport);
        put16(f, t + 2, dport);
        put32(f, t + 4, seq);
        put32(f, t + 8, ack);
        f[t + 12] = (byte) ((20 + ol) / 4 << 4);
        f[t + 13] = (byte) flags;
        put16(f, t + 14, window);
        if (ol > 0) {
            System.arraycopy(options, 0, f, t + 20, ol);
        }
        int pseudo = (GUEST >>> 16) + (GUEST & 0xffff) + (GW >>> 16) + (GW & 0xffff) + 6 + tl;
        put16(f, t + 16, sum(pseudo, f, t, tl));
        return f;
    }

    static int sum(int start, byte[] b, int off, int len) {
        long s = start & 0xffffffffL;
        for (int i = 0; i < len; i += 2) {
            s += (b[off + i] & 0xff) << 8 | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
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
        put16(b, o, v >>> 16);
        put16(b, o + 2, v);
    }

    static int u16(byte[] b, int o) {
        return (b[o] & 0xff) << 8 | b[o + 1] & 0xff;
    }

    static int i32(byte[] b, int o) {
        return u16(b, o) << 16 | u16(b, o + 2);
    }
}
