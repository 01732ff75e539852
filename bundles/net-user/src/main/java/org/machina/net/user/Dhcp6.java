package org.machina.net.user;

import java.nio.charset.StandardCharsets;
import org.machina.net.user.IpAddr.V6;

/**
 * Stateless DHCPv6 (RFC 8415 section 6.1): the guest learns its address by SLAAC from the router
 * advertisement, whose O flag ({@link Ndp#advertisement}) tells it to ask here for the rest. An
 * Information-request to All_DHCP_Relay_Agents_and_Servers (ff02::1:2, port 547) is answered with a
 * Reply from the router's link-local address carrying our Server Identifier (a DUID-LL of the
 * router's MAC), the client's Client Identifier if it sent one, the DNS recursive name server
 * ({@code ipv6-dns}, option 23, RFC 3646) and, when {@code domainname=} is set, the domain search
 * list (option 24, in DNS wire format).
 *
 * <p>No addresses are assigned. A Solicit (a client configured for stateful DHCPv6 whatever the
 * RA's M flag says) is answered with an Advertise holding only our Server Identifier, its Client
 * Identifier and a Status Code NoAddrsAvail with a message (RFC 8415 section 18.3.9: a server that
 * will assign no addresses sends that Advertise): the client then knows at once that this link has
 * no DHCPv6 addresses (and may say why) instead of retransmitting into silence. Every other message
 * type (Request, Renew, Rebind, Confirm, Release, Decline, relay messages), a message to another
 * address, and the messages RFC 8415 sections 16.2 and 16.12 say to discard (a Solicit without a
 * Client Identifier or with a Server Identifier, an Information-request with another server's
 * identifier or with an IA option) are counted ({@link Stats#dhcp6Ignored}) and dropped; a message
 * whose options run past its end is malformed. One answer per message at most, so a flood costs
 * one frame per frame.
 */
final class Dhcp6 {
    static final int CLIENT_PORT = 546;
    static final int SERVER_PORT = 547;
    /** ff02::1:2, All_DHCP_Relay_Agents_and_Servers. */
    static final V6 ALL_SERVERS = new V6(0xff02L << 48, 0x10002L);
    static final int SOLICIT = 1;
    static final int ADVERTISE = 2;
    static final int REPLY = 7;
    static final int INFORMATION_REQUEST = 11;
    static final int OPT_CLIENTID = 1;
    static final int OPT_SERVERID = 2;
    static final int OPT_IA_NA = 3;
    static final int OPT_IA_TA = 4;
    static final int OPT_STATUS_CODE = 13;
    static final int OPT_DNS_SERVERS = 23;
    static final int OPT_DOMAIN_LIST = 24;
    static final int OPT_IA_PD = 25;
    static final int STATUS_NO_ADDRS_AVAIL = 2;
    /** The longest DUID (RFC 8415 section 11.1: 128 bytes after the 2-byte type); a longer Client Identifier is not echoed. */
    static final int MAX_DUID = 130;
    static final String NO_ADDRESSES = "no DHCPv6 addresses here: use SLAAC (the router advertisement's prefix)";

    private final Stack stack;
    /** DUID-LL (RFC 8415 section 11.4): type 3, hardware type 1 (Ethernet), the router's MAC. */
    private final byte[] duid;
    /** The domain search list option's value (DNS wire format), or null without {@code domainname=}. */
    private final byte[] domainList;

    Dhcp6(Stack stack) {
        this.stack = stack;
        duid = new byte[10];
        Bytes.put16(duid, 0, 3);
        Bytes.put16(duid, 2, 1);
        System.arraycopy(Ethernet.virtualMac(stack.ndp.routerLinkLocal), 0, duid, 4, 6);
        domainList = stack.cfg.domainname == null ? null : encodeName(stack.cfg.domainname, stack.id);
    }

    /**
     * A domain name in DNS wire format (RFC 1035 section 3.1: length-prefixed labels, a zero
     * length at the end, uncompressed as RFC 8415 section 10 requires); null (with a warning) for a
     * name that has none: an empty label, a label over 63 bytes, over 255 bytes in all.
     */
    static byte[] encodeName(String name, String id) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        byte[] out = new byte[n.length() + 2];
        int i = 0;
        for (String label : n.split("\\.", -1)) {
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            if (l.length == 0 || l.length > 63) {
                Stack.LOG.warn("net '{}': domainname '{}' is not a DNS name: no DHCPv6 domain search list", id, name);
                return null;
            }
            out[i++] = (byte) l.length;
            System.arraycopy(l, 0, out, i, l.length);
            i += l.length;
        }
        if (i + 1 > 255) {
            Stack.LOG.warn("net '{}': domainname '{}' is longer than 255 bytes: no DHCPv6 domain search list", id, name);
            return null;
        }
        return out;
    }

    /** Whether a UDP datagram to {@code dst} port {@code dport} is for this server. */
    static boolean owns(IpAddr dst, int dport) {
        return dport == SERVER_PORT && ALL_SERVERS.equals(dst);
    }

    /** A DHCPv6 message of {@code len} bytes at {@code off} from the guest's {@code src}, port {@code sport}. */
    void input(V6 src, int sport, byte[] b, int off, int len) {
        if (len < 4) {
            stack.stats.malformed++;
            return;
        }
        int type = Bytes.u8(b, off);
        int clientId = -1;
        int serverId = -1;
        boolean ia = false;
        int end = off + len;
        for (int i = off + 4; i < end; ) {
            if (i + 4 > end || i + 4 + Bytes.u16(b, i + 2) > end) {
                stack.stats.malformed++;
                return;
            }
            int code = Bytes.u16(b, i);
            switch (code) {
                case OPT_CLIENTID -> clientId = i;
                case OPT_SERVERID -> serverId = i;
                case OPT_IA_NA, OPT_IA_TA, OPT_IA_PD -> ia = true;
                default -> {
                    // options the answer does not depend on (ORO, elapsed time, rapid commit, ...)
                }
            }
            i += 4 + Bytes.u16(b, i + 2);
        }
        boolean answer = switch (type) {
            case SOLICIT -> clientId >= 0 && serverId < 0;
            case INFORMATION_REQUEST -> !ia && (serverId < 0 || isOurs(b, serverId));
            default -> false;
        };
        if (!answer || src.isUnspecified() || clientId >= 0 && Bytes.u16(b, clientId + 2) > MAX_DUID) {
            stack.stats.dhcp6Ignored++;
            return;
        }
        byte[] m = new byte[512];
        m[0] = (byte) (type == SOLICIT ? ADVERTISE : REPLY);
        System.arraycopy(b, off + 1, m, 1, 3); // transaction-id
        int i = option(m, 4, OPT_SERVERID, duid, 0, duid.length);
        if (clientId >= 0) {
            i = option(m, i, OPT_CLIENTID, b, clientId + 4, Bytes.u16(b, clientId + 2));
        }
        if (type == SOLICIT) {
            byte[] text = NO_ADDRESSES.getBytes(StandardCharsets.UTF_8);
            byte[] status = new byte[2 + text.length];
            Bytes.put16(status, 0, STATUS_NO_ADDRS_AVAIL);
            System.arraycopy(text, 0, status, 2, text.length);
            i = option(m, i, OPT_STATUS_CODE, status, 0, status.length);
        } else {
            i = option(m, i, OPT_DNS_SERVERS, stack.cfg.ipv6Dns.bytes(), 0, 16);
            if (domainList != null) {
                i = option(m, i, OPT_DOMAIN_LIST, domainList, 0, domainList.length);
            }
        }
        stack.stats.dhcp6Answered++;
        stack.udp.output(stack.ndp.routerLinkLocal, SERVER_PORT, src, sport, m, 0, i);
    }

    private boolean isOurs(byte[] b, int serverId) {
        int n = Bytes.u16(b, serverId + 2);
        return n == duid.length && java.util.Arrays.equals(b, serverId + 4, serverId + 4 + n, duid, 0, n);
    }

    /** Appends option {@code code} with {@code n} bytes of {@code v} from {@code at} to {@code m} at {@code i}; returns the end. */
    private static int option(byte[] m, int i, int code, byte[] v, int at, int n) {
        Bytes.put16(m, i, code);
        Bytes.put16(m, i + 2, n);
        System.arraycopy(v, at, m, i + 4, n);
        return i + 4 + n;
    }
}
