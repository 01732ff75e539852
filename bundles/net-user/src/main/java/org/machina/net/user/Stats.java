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
    /** Guest SACK blocks outside the data sent, or SACK options of a bad length: ignored. */
    public volatile long tcpBogusSack;
    /** Guest timestamp echoes of values we never sent (from our future, or older than the longest RTO): no RTT sample taken. */
    public volatile long tcpBogusTimestamps;
    /** Guest segments dropped by PAWS (RFC 7323: older timestamp than the last one), or without timestamps once negotiated. */
    public volatile long tcpPawsDropped;
    /** Fast retransmits (three duplicate ACKs, or SACKs showing a loss) and retransmission timeouts of data. */
    public volatile long tcpFastRetransmits;
    public volatile long tcpTimeouts;
    /** Writes of guest data to host TCP sockets (one per push, full batch or flush timer: {@link TcpConnection#HOST_WRITE_BATCH}). */
    public volatile long tcpHostWrites;
    /** Guest echo requests to outside hosts sent from a host ICMP socket, and the replies that went back. */
    public volatile long icmpEchoSent;
    public volatile long icmpEchoReplies;
    /** Outside echo requests dropped: no host ICMP socket allowed (logged once), the host refused the send, {@link IcmpEcho#MAX_PENDING} outstanding. */
    public volatile long icmpEchoNoSocket;
    public volatile long icmpEchoSendFailed;
    public volatile long icmpEchoTableFull;
    /** Outside echo requests answered by an ICMP error the host got (raw socket), relayed to the guest. */
    public volatile long icmpEchoErrors;
    /** Outside echo requests that got no reply in time (the entry was freed). */
    public volatile long icmpEchoTimedOut;
    /** ICMP destination-unreachable errors sent to the guest, and those the rate limit dropped ({@link IcmpError}). */
    public volatile long icmpErrorsSent;
    public volatile long icmpErrorsLimited;
    /** The host's ICMP (ICMPv6) errors about NATed UDP datagrams relayed to the guest ({@link UdpFlow#error}). */
    public volatile long udpErrorsRelayed;
    /** Routed guest packets (UDP, TCP SYNs, echo requests to outside hosts) with a TTL or hop limit of 1 or less: not forwarded, time exceeded sent. */
    public volatile long ttlExpired;
    /** DHCPv6 messages answered (Reply to Information-request, Advertise with NoAddrsAvail to Solicit) and those ignored ({@link Dhcp6}). */
    public volatile long dhcp6Answered;
    public volatile long dhcp6Ignored;

    @Override
    public String toString() {
        return "fromGuest=" + framesFromGuest + " toGuest=" + framesToGuest + " toGuestDropped=" + toGuestDropped
                + " fromGuestRefused=" + fromGuestRefused + " malformed=" + malformed + " unsupported=" + unsupported
                + " noGuestMac=" + noGuestMac + " fragEvicted=" + fragmentsEvicted + " fragTimedOut=" + fragmentsTimedOut
                + " fragOverlap=" + fragmentsOverlapping + " restricted=" + restricted + " udpEvicted=" + udpFlowsEvicted
                + " dnsDropped=" + dnsDropped + " synDropped=" + synDropped + " tcpResets=" + tcpResets + " tcpOooDropped=" + tcpOutOfOrderDropped
                + " tooBig=" + tooBig + " tcpBogusSack=" + tcpBogusSack + " tcpBogusTs=" + tcpBogusTimestamps + " tcpPaws="
                + tcpPawsDropped + " tcpFastRetransmits=" + tcpFastRetransmits + " tcpTimeouts=" + tcpTimeouts + " tcpHostWrites=" + tcpHostWrites
                + " icmpEchoSent=" + icmpEchoSent + " icmpEchoReplies=" + icmpEchoReplies + " icmpEchoNoSocket=" + icmpEchoNoSocket
                + " icmpEchoSendFailed=" + icmpEchoSendFailed + " icmpEchoTableFull=" + icmpEchoTableFull
                + " icmpEchoTimedOut=" + icmpEchoTimedOut + " icmpEchoErrors=" + icmpEchoErrors + " icmpErrorsSent=" + icmpErrorsSent
                + " icmpErrorsLimited=" + icmpErrorsLimited + " udpErrorsRelayed=" + udpErrorsRelayed + " ttlExpired=" + ttlExpired + " dhcp6Answered=" + dhcp6Answered
                + " dhcp6Ignored=" + dhcp6Ignored;
    }
}
