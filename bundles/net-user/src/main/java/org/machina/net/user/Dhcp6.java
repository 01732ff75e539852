package org.machina.net.user;

import java.nio.charset.StandardCharsets;
import org.machina.net.user.IpAddr.V6;

/**
 * DHCPv6 (RFC 8415), stateless by default (section 6.1), as QEMU's slirp: the guest learns its
 * address by SLAAC from the router advertisement, whose O flag ({@link Ndp#advertisement}) tells it
 * to ask here for the rest. An Information-request to All_DHCP_Relay_Agents_and_Servers (ff02::1:2,
 * port 547) is answered with a Reply from the router's link-local address carrying our Server
 * Identifier (a DUID-LL of the router's MAC), the client's Client Identifier if it sent one, the DNS
 * recursive name server ({@code ipv6-dns}, option 23, RFC 3646) and, when {@code domainname=} is
 * set, the domain search list (option 24, in DNS wire format).
 *
 * <p>Stateless, no addresses are assigned: a Solicit is answered with an Advertise holding only the
 * identifiers and a Status Code NoAddrsAvail with a message (section 18.3.9), so the client knows at
 * once instead of retransmitting into silence; Request, Renew, Rebind, Confirm, Release and Decline
 * are ignored.
 *
 * <p>With {@code dhcpv6=stateful} (Machina's extension; the RA then also sets M) IA_NA addresses
 * are given from {@link Dhcp6Leases} (section 18.3): a Solicit gets an Advertise offering an address
 * per IA_NA (or, with Rapid Commit, section 21.14, a Reply that binds them at once, carrying the
 * Rapid Commit option), a Request a Reply binding them, Renew extends a binding (NoBinding in the IA
 * when there is none), Rebind extends or makes one, Release frees and Decline removes the address
 * from the pool (both answered with Success, NoBinding for an IA without a binding), Confirm is
 * answered Success or NotOnLink by whether the addresses are in the prefix (nothing when it names
 * none). Addresses of the client's other than its binding's come back from a Renew or Rebind with
 * lifetimes 0. IA_TA and IA_PD get NoAddrsAvail / NoPrefixAvail in the IA. A pool with nothing free
 * gives an IA NoAddrsAvail (an Advertise with nothing to offer holds only that status). Answers to
 * Solicit, Request, Renew, Rebind and Confirm carry the DNS options too.
 *
 * <p>Discarded and counted ({@link Stats#dhcp6Ignored}): a message to another address, the
 * messages sections 16.2 to 16.12 say to discard (Solicit, Confirm or Rebind without a Client
 * Identifier or with a Server Identifier; Request, Renew, Release or Decline without both or with
 * another server's; an Information-request with another server's identifier or an IA option),
 * relay messages; a message whose options run past its end is malformed. At most {@link #MAX_IAS}
 * IAs per message are answered. One answer per message at most, so a flood costs one frame per
 * frame and at most the pool's {@link Dhcp6Leases#POOL} bindings.
 */
final class Dhcp6 {
    static final int CLIENT_PORT = 546;
    static final int SERVER_PORT = 547;
    /** ff02::1:2, All_DHCP_Relay_Agents_and_Servers. */
    static final V6 ALL_SERVERS = new V6(0xff02L << 48, 0x10002L);
    static final int SOLICIT = 1;
    static final int ADVERTISE = 2;
    static final int REQUEST = 3;
    static final int CONFIRM = 4;
    static final int RENEW = 5;
    static final int REBIND = 6;
    static final int REPLY = 7;
    static final int RELEASE = 8;
    static final int DECLINE = 9;
    static final int INFORMATION_REQUEST = 11;
    static final int OPT_CLIENTID = 1;
    static final int OPT_SERVERID = 2;
    static final int OPT_IA_NA = 3;
    static final int OPT_IA_TA = 4;
    static final int OPT_IAADDR = 5;
    static final int OPT_STATUS_CODE = 13;
    static final int OPT_RAPID_COMMIT = 14;
    static final int OPT_DNS_SERVERS = 23;
    static final int OPT_DOMAIN_LIST = 24;
    static final int OPT_IA_PD = 25;
    static final int STATUS_SUCCESS = 0;
    static final int STATUS_NO_ADDRS_AVAIL = 2;
    static final int STATUS_NO_BINDING = 3;
    static final int STATUS_NOT_ON_LINK = 4;
    static final int STATUS_NO_PREFIX_AVAIL = 6;
    /** IA options looked at per message (more are left unanswered), and a Renew's or Rebind's stale addresses answered per IA: the answer stays under 1280 bytes. */
    static final int MAX_IAS = 4;
    static final int MAX_STALE = 2;
    static final int ANSWER_MAX = 1200;
    /** The longest DUID (RFC 8415 section 11.1: 128 bytes after the 2-byte type); a longer Client Identifier is not echoed. */
    static final int MAX_DUID = 130;
    static final String NO_ADDRESSES = "no DHCPv6 addresses here: use SLAAC (the router advertisement's prefix)";
    static final String POOL_EXHAUSTED = "the DHCPv6 address pool is exhausted";

    private final Stack stack;
    /** DUID-LL (RFC 8415 section 11.4): type 3, hardware type 1 (Ethernet), the router's MAC. */
    private final byte[] duid;
    /** The domain search list option's value (DNS wire format), or null without {@code domainname=}. */
    private final byte[] domainList;
    /** {@code dhcpv6=stateful}: addresses are given (IA_NA) from {@link #leases}. */
    private final boolean stateful;
    final Dhcp6Leases leases;

    Dhcp6(Stack stack) {
        this.stack = stack;
        stateful = stack.cfg.dhcpv6Stateful;
        leases = new Dhcp6Leases(stack.cfg);
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
        boolean rapidCommit = false;
        int[] ias = new int[MAX_IAS];
        int nIas = 0;
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
                case OPT_RAPID_COMMIT -> rapidCommit = true;
                case OPT_IA_NA, OPT_IA_TA, OPT_IA_PD -> {
                    ia = true;
                    if (nIas < MAX_IAS && Bytes.u16(b, i + 2) >= (code == OPT_IA_TA ? 4 : 12)) {
                        ias[nIas++] = i;
                    }
                }
                default -> {
                    // options the answer does not depend on (ORO, elapsed time, ...)
                }
            }
            i += 4 + Bytes.u16(b, i + 2);
        }
        boolean ours = serverId >= 0 && isOurs(b, serverId);
        boolean answer = switch (type) {
            case SOLICIT -> clientId >= 0 && serverId < 0;
            case INFORMATION_REQUEST -> !ia && (serverId < 0 || ours);
            case CONFIRM, REBIND -> stateful && clientId >= 0 && serverId < 0;
            case REQUEST, RENEW, RELEASE, DECLINE -> stateful && clientId >= 0 && ours;
            default -> false;
        };
        if (!answer || src.isUnspecified() || clientId >= 0 && Bytes.u16(b, clientId + 2) > MAX_DUID) {
            stack.stats.dhcp6Ignored++;
            return;
        }
        byte[] m = new byte[ANSWER_MAX];
        m[0] = (byte) (type == SOLICIT && !(rapidCommit && stateful) ? ADVERTISE : REPLY);
        System.arraycopy(b, off + 1, m, 1, 3); // transaction-id
        int i = option(m, 4, OPT_SERVERID, duid, 0, duid.length);
        if (clientId >= 0) {
            i = option(m, i, OPT_CLIENTID, b, clientId + 4, Bytes.u16(b, clientId + 2));
        }
        if (type == INFORMATION_REQUEST) {
            i = configuration(m, i);
        } else if (!stateful) {
            i = status(m, i, STATUS_NO_ADDRS_AVAIL, NO_ADDRESSES);
        } else {
            i = stateful(type, rapidCommit, b, clientId, ias, nIas, m, i);
            if (i < 0) {
                stack.stats.dhcp6Ignored++;                // a Confirm without addresses (RFC 8415 section 18.3.3)
                return;
            }
        }
        stack.stats.dhcp6Answered++;
        stack.udp.output(stack.ndp.routerLinkLocal, SERVER_PORT, src, sport, m, 0, i);
    }

    /** The DNS server and search list options at {@code i}; returns the end. */
    private int configuration(byte[] m, int i) {
        i = option(m, i, OPT_DNS_SERVERS, stack.cfg.ipv6Dns.bytes(), 0, 16);
        return domainList == null ? i : option(m, i, OPT_DOMAIN_LIST, domainList, 0, domainList.length);
    }

    /**
     * The rest of a stateful answer after the identifiers at {@code i} (RFC 8415 section 18.3): the
     * IAs with their addresses or status, and for Solicit, Request, Renew, Rebind and Confirm the
     * DNS options; returns its end, or -1 when the message gets no answer.
     */
    private int stateful(int type, boolean rapidCommit, byte[] b, int clientId, int[] ias, int nIas, byte[] m, int i) {
        int cid = clientId + 4;
        int cn = Bytes.u16(b, clientId + 2);
        if (type == CONFIRM) {
            return confirm(b, ias, nIas, m, i);
        }
        boolean commit = type != SOLICIT || rapidCommit;
        int start = i;
        long taken = 0;
        int given = 0;
        for (int k = 0; k < nIas; k++) {
            int at = ias[k];
            int code = Bytes.u16(b, at);
            if (code != OPT_IA_NA) {                      // temporary addresses, prefixes: none here
                int head = code == OPT_IA_TA ? 4 : 12;
                int status = type == RENEW || type == REBIND || type == RELEASE || type == DECLINE ? STATUS_NO_BINDING
                        : code == OPT_IA_TA ? STATUS_NO_ADDRS_AVAIL : STATUS_NO_PREFIX_AVAIL;
                int iaStart = i;
                i = iaHead(m, i, code, b, at + 4, head);
                i = status(m, i, status, code == OPT_IA_TA ? "no temporary addresses here" : "no prefix delegation here");
                i = iaEnd(m, i, iaStart);
                continue;
            }
            int slot = iaNa(type, commit, b, cid, cn, at, taken);
            if (slot >= 0) {
                taken |= 1L << slot;
                given++;
            }
            i = iaNaAnswer(type, slot, b, at, m, i);
        }
        if (type == SOLICIT && given == 0) {
            m[0] = (byte) ADVERTISE;                      // nothing to commit, even when asked to: an Advertise
            return status(m, start, STATUS_NO_ADDRS_AVAIL, POOL_EXHAUSTED);   // section 18.3.9: only the status
        }
        if (type == RELEASE || type == DECLINE) {
            return status(m, i, STATUS_SUCCESS, type == RELEASE ? "released" : "declined");
        }
        if (type == SOLICIT && rapidCommit) {
            i = option(m, i, OPT_RAPID_COMMIT, m, 0, 0);
        }
        return configuration(m, i);
    }

    /**
     * What {@code type} does to the binding of the IA_NA option at {@code at} (the client's DUID at
     * {@code cid}, {@code cn} bytes): its slot, or -1 when it has none (no address free, no binding).
     * Solicit, Request and Rebind pick an address (the IA's binding, the address it asks for if
     * free, or the first free one not in {@code taken}) and bind it when {@code commit}; Renew
     * extends a binding; Release frees it; Decline takes the address out of the pool.
     */
    private int iaNa(int type, boolean commit, byte[] b, int cid, int cn, int at, long taken) {
        int iaid = Bytes.i32(b, at + 4);
        int slot = switch (type) {
            case SOLICIT, REQUEST, REBIND -> leases.pick(b, cid, cn, iaid, firstAddress(b, at), taken);
            default -> leases.find(b, cid, cn, iaid);
        };
        if (slot < 0) {
            return -1;
        }
        switch (type) {
            case RELEASE -> leases.release(slot);
            case DECLINE -> leases.decline(slot);
            default -> {
                if (commit) {
                    leases.bind(slot, b, cid, cn, iaid);
                }
            }
        }
        return slot;
    }

    /**
     * The answer's IA_NA for the client's at {@code at}: with the address of {@code slot} and its
     * lifetimes; without one, the status NoAddrsAvail (Solicit, Request, Rebind: the pool is
     * exhausted) or NoBinding (Renew, Release, Decline); nothing for a Release or Decline done. The
     * client's other addresses in a Renew or Rebind come back with lifetimes 0 (section 18.3.4).
     */
    private int iaNaAnswer(int type, int slot, byte[] b, int at, byte[] m, int i) {
        boolean done = slot >= 0 && (type == RELEASE || type == DECLINE);
        if (done) {
            return i;
        }
        int ia = i;
        i = iaHead(m, i, OPT_IA_NA, b, at + 4, 12);
        if (slot < 0) {
            boolean assigns = type == SOLICIT || type == REQUEST || type == REBIND;
            return iaEnd(m, status(m, i, assigns ? STATUS_NO_ADDRS_AVAIL : STATUS_NO_BINDING,
                    assigns ? POOL_EXHAUSTED : "no binding for this IA"), ia);
        }
        Bytes.put32(m, ia + 8, Dhcp6Leases.T1_S);
        Bytes.put32(m, ia + 12, Dhcp6Leases.T2_S);
        V6 a = leases.address(slot);
        i = iaAddress(m, i, a, Dhcp6Leases.PREFERRED_S, Dhcp6Leases.VALID_S);
        if (type == RENEW || type == REBIND) {
            int others = 0;
            int end = at + 4 + Bytes.u16(b, at + 2);
            for (int s = nextAddress(b, at + 16, end); s >= 0 && others < MAX_STALE; s = addressAfter(b, s, end)) {
                if (!V6.of(b, s + 4).equals(a)) {
                    i = iaAddress(m, i, V6.of(b, s + 4), 0, 0);
                    others++;
                }
            }
        }
        return iaEnd(m, i, ia);
    }

    /**
     * Confirm (section 18.3.3): Success when every address in the client's IAs is in the prefix,
     * NotOnLink otherwise; -1 (no answer) when the IAs hold no address.
     */
    private int confirm(byte[] b, int[] ias, int nIas, byte[] m, int i) {
        boolean any = false;
        boolean onLink = true;
        for (int k = 0; k < nIas; k++) {
            int at = ias[k];
            int end = at + 4 + Bytes.u16(b, at + 2);
            for (int s = nextAddress(b, at + (Bytes.u16(b, at) == OPT_IA_TA ? 8 : 16), end); s >= 0; s = addressAfter(b, s, end)) {
                any = true;
                onLink &= stack.cfg.inPrefix(V6.of(b, s + 4));
            }
        }
        if (!any) {
            return -1;
        }
        i = onLink ? status(m, i, STATUS_SUCCESS, "on link") : status(m, i, STATUS_NOT_ON_LINK, "not on this link");
        return configuration(m, i);
    }

    /** The first IA Address in the IA_NA option at {@code at} (the client's hint), or null. */
    private static V6 firstAddress(byte[] b, int at) {
        int s = nextAddress(b, at + 16, at + 4 + Bytes.u16(b, at + 2));
        return s < 0 ? null : V6.of(b, s + 4);
    }

    /**
     * The offset of the first IA Address option (with its 24 bytes) among the options from
     * {@code s} to {@code end} (an IA's), or -1; the walk stops at an option that runs past the end.
     * An IA Address's own options (after its 24 bytes) are skipped with it, by its length.
     */
    private static int nextAddress(byte[] b, int s, int end) {
        while (s + 4 <= end && s + 4 + Bytes.u16(b, s + 2) <= end) {
            if (Bytes.u16(b, s) == OPT_IAADDR && Bytes.u16(b, s + 2) >= 24) {
                return s;
            }
            s += 4 + Bytes.u16(b, s + 2);
        }
        return -1;
    }

    /** The IA Address option after the one at {@code s} (with its own options), or -1 ({@link #nextAddress}). */
    private static int addressAfter(byte[] b, int s, int end) {
        return nextAddress(b, s + 4 + Bytes.u16(b, s + 2), end);
    }

    /** An IA option's header: {@code code}, a length filled in by {@link #iaEnd}, the client's IAID and (IA_NA, IA_PD) T1 and T2 as 0. */
    private static int iaHead(byte[] m, int i, int code, byte[] b, int iaid, int head) {
        Bytes.put16(m, i, code);
        System.arraycopy(b, iaid, m, i + 4, 4);
        java.util.Arrays.fill(m, i + 8, i + 4 + head, (byte) 0);
        return i + 4 + head;
    }

    /** Sets the length of the IA option started at {@code ia}, ending at {@code i}; returns {@code i}. */
    private static int iaEnd(byte[] m, int i, int ia) {
        Bytes.put16(m, ia + 2, i - ia - 4);
        return i;
    }

    private static int iaAddress(byte[] m, int i, V6 a, int preferred, int valid) {
        Bytes.put16(m, i, OPT_IAADDR);
        Bytes.put16(m, i + 2, 24);
        a.put(m, i + 4);
        Bytes.put32(m, i + 20, preferred);
        Bytes.put32(m, i + 24, valid);
        return i + 28;
    }

    /** A Status Code option (section 21.13): the code and a UTF-8 message. */
    private static int status(byte[] m, int i, int code, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        Bytes.put16(m, i, OPT_STATUS_CODE);
        Bytes.put16(m, i + 2, 2 + t.length);
        Bytes.put16(m, i + 4, code);
        System.arraycopy(t, 0, m, i + 6, t.length);
        return i + 6 + t.length;
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
