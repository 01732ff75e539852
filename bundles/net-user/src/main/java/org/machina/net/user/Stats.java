package org.machina.net.user;

/** Counters of what the stack dropped or refused (loop thread writes, anyone may read a snapshot). */
public final class Stats {
    public volatile long framesFromGuest;
    public volatile long framesToGuest;
    /** Frames for the guest dropped because the to-guest queue was full (ARP, ICMP, UDP, DHCP, DNS only: TCP waits). */
    public volatile long toGuestDropped;
    /** Frames from the guest refused with "queue full" (the NIC kept them). */
    public volatile long fromGuestRefused;
    public volatile long malformed;
    public volatile long unsupported;
    public volatile long noGuestMac;
    public volatile long fragmentsEvicted;
    public volatile long fragmentsTimedOut;
    public volatile long fragmentsOverlapping;
    public volatile long restricted;
    public volatile long udpFlowsEvicted;
    public volatile long dnsDropped;
    public volatile long synDropped;
    public volatile long tcpResets;
    /** Out-of-order guest TCP segments dropped because the connection held its maximum of them already. */
    public volatile long tcpOutOfOrderDropped;
    /** IPv6 packets for the guest larger than the MTU (the stack does not fragment IPv6), dropped. */
    public volatile long tooBig;

    @Override
    public String toString() {
        return "fromGuest=" + framesFromGuest + " toGuest=" + framesToGuest + " toGuestDropped=" + toGuestDropped
                + " fromGuestRefused=" + fromGuestRefused + " malformed=" + malformed + " unsupported=" + unsupported
                + " noGuestMac=" + noGuestMac + " fragEvicted=" + fragmentsEvicted + " fragTimedOut=" + fragmentsTimedOut
                + " fragOverlap=" + fragmentsOverlapping + " restricted=" + restricted + " udpEvicted=" + udpFlowsEvicted
                + " dnsDropped=" + dnsDropped + " synDropped=" + synDropped + " tcpResets=" + tcpResets + " tcpOooDropped=" + tcpOutOfOrderDropped
                + " tooBig=" + tooBig;
    }
}
