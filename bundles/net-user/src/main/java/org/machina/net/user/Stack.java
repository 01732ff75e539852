package org.machina.net.user;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol stack of one {@code -netdev user}: owns the per-protocol handlers and the guest's
 * link-layer identity. Runs entirely on its {@link EventLoop}; frames come in through
 * {@link #input} and go out through the {@link Link}.
 */
final class Stack implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger("org.machina.net.user");

    /** Where frames for the guest go (the to-guest queue of {@link UserNetdev}). */
    interface Link {
        /** Whether the to-guest queue has room for {@code frames} more frames. */
        boolean hasRoom(int frames);

        /** Queues a frame for the guest; false if the queue was full (the frame is dropped). */
        boolean offer(byte[] frame);
    }

    final String id;
    final NetConfig cfg;
    final EventLoop loop;
    final Stats stats = new Stats();
    final Link link;
    final Arp arp;
    final Ipv4 ip;
    final Reassembly reassembly;
    final Icmp icmp;
    final Udp udp;
    final Dhcp dhcp;
    final Dns dns;
    final Tftp tftp;
    final Tcp tcp;
    /** The guest's MAC and address, learned from what it sends (ARP, DHCP, any IPv4 frame). */
    private byte[] guestMac;
    private int guestIp;

    Stack(String id, NetConfig cfg, EventLoop loop, Link link) throws IOException {
        this.id = id;
        this.cfg = cfg;
        this.loop = loop;
        this.link = link;
        arp = new Arp(this);
        ip = new Ipv4(this);
        reassembly = new Reassembly(this);
        icmp = new Icmp(this);
        udp = new Udp(this);
        dhcp = new Dhcp(this);
        dns = new Dns(this);
        tftp = new Tftp(this);
        tcp = new Tcp(this);
        try {
            tcp.startForwards();
            udp.startForwards();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** One frame from the guest (loop thread). */
    void input(byte[] f) {
        stats.framesFromGuest++;
        if (f.length < Ethernet.HEADER) {
            stats.malformed++;
            return;
        }
        switch (Ethernet.type(f)) {
            case Ethernet.TYPE_ARP -> arp.input(f);
            case Ethernet.TYPE_IPV4 -> {
                if (f.length >= Ethernet.HEADER + Ipv4.HEADER) {
                    int src = Bytes.i32(f, Ethernet.HEADER + 12);
                    if (cfg.inNet(src) && !isVirtual(src)) {
                        learnGuest(Arrays.copyOfRange(f, 6, 12), src);
                    } else if (src == 0 && guestMac == null) {
                        guestMac = Arrays.copyOfRange(f, 6, 12);
                    }
                }
                ip.input(f);
            }
            default -> stats.unsupported++;
        }
    }

    /** Queues a frame for the guest; counts it dropped when the queue is full. */
    boolean toGuest(byte[] f) {
        if (link.offer(f)) {
            stats.framesToGuest++;
            return true;
        }
        stats.toGuestDropped++;
        return false;
    }

    /** Whether {@code a} is one of the stack's own addresses (gateway, DNS, guestfwd servers). */
    boolean isVirtual(int a) {
        if (a == cfg.host || a == cfg.dns) {
            return true;
        }
        for (NetConfig.GuestFwd g : cfg.guestfwds) {
            if (g.server() == a) {
                return true;
            }
        }
        return false;
    }

    void learnGuest(byte[] mac, int ipAddr) {
        if ((mac[0] & 1) != 0) {
            return;
        }
        if (guestMac == null || !Arrays.equals(guestMac, mac) || guestIp != ipAddr) {
            LOG.debug("net '{}': guest {} is at {}", id, Bytes.ip(ipAddr), Ethernet.mac(mac));
        }
        guestMac = mac;
        if (ipAddr != 0) {
            guestIp = ipAddr;
        }
    }

    /** The MAC to send {@code dst} to: broadcast for the broadcast addresses, else the guest's (asking by ARP if unknown). */
    byte[] guestMacFor(int dst) {
        if (dst == -1 || dst == cfg.broadcast()) {
            return Ethernet.BROADCAST;
        }
        byte[] m = dhcp.macOf(dst);
        if (m != null) {
            return m;
        }
        if (guestMac == null) {
            arp.request(dst);
        }
        return guestMac;
    }

    /**
     * The host address a guest destination maps to: the gateway is the host's loopback (as in
     * QEMU); addresses outside the virtual network are themselves; other virtual addresses map to nothing.
     */
    InetAddress hostAddressFor(int dst) {
        try {
            if (dst == cfg.host) {
                return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
            }
            if (cfg.inNet(dst) || (dst >>> 24) == 127 || dst == 0 || dst == -1 || (dst >>> 28) == 0xe) {
                return null;
            }
            return InetAddress.getByAddress(Bytes.ipBytes(dst));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The address the guest sees for a host peer: loopback appears as the gateway. */
    int guestAddressFor(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != 4 || a.isLoopbackAddress()) {
            return cfg.host;
        }
        return Bytes.ipOf(b);
    }

    /**
     * Whether the to-guest queue has room for {@code frames} more frames. When it has not,
     * {@link #roomWanted} is set (before looking a second time, so a drain on another thread that
     * makes room after the second look sees the flag) and the caller waits for
     * {@link #guestQueueDrained}.
     */
    boolean roomFor(int frames) {
        if (link.hasRoom(frames)) {
            return true;
        }
        roomWanted = true;
        return link.hasRoom(frames);
    }

    /**
     * Set when a sender stopped for lack of to-guest queue room: the link's drainer calls
     * {@link #guestQueueDrained} (on the loop) only then, so a drain costs the loop nothing when no one waits.
     */
    volatile boolean roomWanted;

    /** The to-guest queue drained some: connections that waited for room may send again (loop thread). */
    void guestQueueDrained() {
        roomWanted = false;
        tcp.guestQueueDrained();
    }

    /**
     * The end of a batch of {@link #input} frames (loop thread): TCP writes what the guest sent to
     * the host sockets and sends the acknowledgements it held back during the batch.
     */
    void endOfInput() {
        tcp.endOfInput();
    }

    @Override
    public void close() {
        if (tcp != null) {
            tcp.close();
        }
        if (udp != null) {
            udp.close();
        }
        if (dns != null) {
            dns.close();
        }
        if (tftp != null) {
            tftp.close();
        }
    }
}
