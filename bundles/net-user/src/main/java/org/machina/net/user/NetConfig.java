package org.machina.net.user;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of {@code -netdev user}, in QEMU's spelling and with its defaults: network
 * 10.0.2.0/24, gateway (host) .2, DNS .3, first DHCP address .15; IPv6 prefix fec0::/64, gateway
 * fec0::2, DNS fec0::3; both families on ({@code ipv4=}, {@code ipv6=}).
 *
 * <p>Machina's extensions: {@code dns-upstream=IP[:PORT]} (where the DNS forwarder sends queries;
 * default the first {@code nameserver} of the host's /etc/resolv.conf), and {@code hostfwd} binds
 * 127.0.0.1 when no host address is given (QEMU binds every address).
 */
public final class NetConfig {
    /** Options QEMU has that this stack does not implement yet: refused by name, not ignored. */
    /** Whether {@code tcp-timestamps} is on when not given. */
    static final boolean TS_DEFAULT = true;
    static final Set<String> NOT_YET = Set.of("smb", "smbserver", "tftp-server-name",
            "dnssearch", "domainname6");
    static final Set<String> KNOWN = Set.of("net", "host", "dns", "dhcpstart", "hostfwd", "restrict", "hostname",
            "domainname", "ipv4", "ipv6", "dns-upstream", "mtu", "guestfwd", "tftp", "bootfile", "ipv6-net", "ipv6-host",
            "ipv6-dns", "ipv6-prefix", "ipv6-prefixlen", "tcp-timestamps", "dhcpv6", "outside");

    public final int net;
    public final int mask;
    public final int host;
    public final int dns;
    public final int dhcpStart;
    public final boolean restrict;
    /**
     * {@code tcp-timestamps=on|off} (Machina's extension, default TS_DEFAULT): whether the stack
     * offers and answers RFC 7323 timestamps on the guest side of TCP connections.
     */
    public final boolean tcpTimestamps;
    public final String hostname;
    public final String domainname;
    public final List<HostFwd> hostfwds;
    public final List<GuestFwd> guestfwds;
    /** Null: the host's resolver, read from /etc/resolv.conf when the first query comes. */
    public final InetSocketAddress dnsUpstream;
    public final int mtu;
    /** The TFTP server's directory, or null (no TFTP). */
    public final java.nio.file.Path tftpRoot;
    /** DHCP's boot file name (option 67 and the {@code file} field), or null. */
    public final String bootfile;
    /** {@code ipv4=on|off} (default on): ARP, IPv4 and everything over it. */
    public final boolean ipv4;
    /** {@code ipv6=on|off} (default on): NDP, router advertisements, ICMPv6, UDP and TCP over IPv6. */
    public final boolean ipv6;
    /** {@code ipv6-net=fec0::/64} (or {@code ipv6-prefix=} and {@code ipv6-prefixlen=}): the guest's prefix, advertised for SLAAC. */
    final IpAddr.V6 ipv6Prefix;
    public final int ipv6PrefixLen;
    /** {@code ipv6-host=} (default PREFIX::2): the gateway's IPv6 address, the host's ::1 to the guest. */
    final IpAddr.V6 ipv6Host;
    /** {@code ipv6-dns=} (default PREFIX::3): the DNS forwarder's IPv6 address. */
    final IpAddr.V6 ipv6Dns;
    /**
     * {@code dhcpv6=stateless|stateful} (Machina's extension, default stateless as QEMU's slirp, which
     * has no stateful DHCPv6): stateful gives addresses by DHCPv6 (IA_NA, from PREFIX::100) and sets the
     * RA's M flag.
     */
    public final boolean dhcpv6Stateful;
    /**
     * {@code outside=host|loopback} (Machina's extension, default host): with loopback, every outside
     * destination of the guest's NATed TCP, UDP and ICMP echo goes to the host's 127.0.0.1 (IPv6: ::1)
     * instead of itself: a sandbox in which the guest can reach "the Internet" and nothing leaves
     * this machine (tests of routed traffic: TTL, traceroute, outside pings).
     */
    public final boolean outsideToLoopback;

    /** {@code guestfwd=[tcp]:server:port-tcp:HOST:PORT}: guest connections to server:port go to HOST:PORT. */
    public record GuestFwd(int server, int port, String targetHost, int targetPort) {
    }

    /** {@code hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport}. */
    public record HostFwd(boolean udp, String hostAddr, int hostPort, int guestAddr, int guestPort) {
    }

    private NetConfig(Map<String, String> o) {
        for (String k : o.keySet()) {
            if (NOT_YET.contains(k)) {
                throw new IllegalArgumentException("-netdev user: option '" + k + "' is not implemented yet");
            }
            if (!KNOWN.contains(k)) {
                throw new IllegalArgumentException("-netdev user has no option '" + k + "'; accepted: "
                        + String.join(", ", KNOWN.stream().sorted().toList()));
            }
        }
        ipv4 = !o.containsKey("ipv4") || flag(o, "ipv4");
        ipv6 = !o.containsKey("ipv6") || flag(o, "ipv6");
        if (!ipv4 && !ipv6) {
            throw new IllegalArgumentException("-netdev user: ipv4=off and ipv6=off leave the guest no network");
        }
        if (!ipv4 && (o.containsKey("hostfwd") || o.containsKey("guestfwd"))) {
            throw new IllegalArgumentException("-netdev user: hostfwd and guestfwd are IPv4 only (as in QEMU) and need ipv4=on");
        }
        String v6net = o.get("ipv6-net");
        if (v6net != null && (o.containsKey("ipv6-prefix") || o.containsKey("ipv6-prefixlen"))) {
            throw new IllegalArgumentException("-netdev user: give ipv6-net= or ipv6-prefix=/ipv6-prefixlen=, not both");
        }
        String v6prefix = v6net != null ? v6net.split("/", 2)[0] : o.getOrDefault("ipv6-prefix", "fec0::");
        String v6len = v6net != null ? (v6net.contains("/") ? v6net.split("/", 2)[1] : "64") : o.getOrDefault("ipv6-prefixlen", "64");
        ipv6PrefixLen = parseInt("ipv6 prefix length", v6len, 1, 126);
        ipv6Prefix = IpAddr.V6.parse(v6prefix).prefix(ipv6PrefixLen);
        ipv6Host = o.containsKey("ipv6-host") ? IpAddr.V6.parse(o.get("ipv6-host")) : new IpAddr.V6(ipv6Prefix.hi(), ipv6Prefix.lo() | 2);
        ipv6Dns = o.containsKey("ipv6-dns") ? IpAddr.V6.parse(o.get("ipv6-dns")) : new IpAddr.V6(ipv6Prefix.hi(), ipv6Prefix.lo() | 3);
        for (var e : Map.of("ipv6-host", ipv6Host, "ipv6-dns", ipv6Dns).entrySet()) {
            if (!e.getValue().inPrefix(ipv6Prefix, ipv6PrefixLen)) {
                throw new IllegalArgumentException("-netdev user: " + e.getKey() + "=" + e.getValue() + " is not in ipv6-net "
                        + ipv6Prefix + "/" + ipv6PrefixLen);
            }
        }
        String d6 = o.getOrDefault("dhcpv6", "stateless");
        if (!d6.equals("stateless") && !d6.equals("stateful")) {
            throw new IllegalArgumentException("-netdev user: dhcpv6=" + d6 + ": expected stateless or stateful");
        }
        dhcpv6Stateful = d6.equals("stateful");
        String outside = o.getOrDefault("outside", "host");
        if (!outside.equals("host") && !outside.equals("loopback")) {
            throw new IllegalArgumentException("-netdev user: outside=" + outside + ": expected host or loopback");
        }
        outsideToLoopback = outside.equals("loopback");
        if (dhcpv6Stateful && ipv6PrefixLen > 128 - 9) {
            throw new IllegalArgumentException("-netdev user: dhcpv6=stateful gives addresses from PREFIX::" + Integer.toHexString(Dhcp6Leases.FIRST)
                    + " and needs an ipv6-net of /119 or shorter, not /" + ipv6PrefixLen);
        }
        if (ipv6Host.equals(ipv6Dns)) {
            throw new IllegalArgumentException("-netdev user: ipv6-host and ipv6-dns must differ");
        }
        int n = Bytes.parseIp("10.0.2.0");
        int m = 0xffffff00;
        String netOpt = o.get("net");
        if (netOpt != null) {
            int slash = netOpt.indexOf('/');
            n = Bytes.parseIp(slash < 0 ? netOpt : netOpt.substring(0, slash));
            if (slash >= 0) {
                String ms = netOpt.substring(slash + 1);
                if (ms.contains(".")) {
                    m = Bytes.parseIp(ms);
                    if (Integer.bitCount(m) != Integer.numberOfLeadingZeros(~m)) {
                        throw new IllegalArgumentException("net=" + netOpt + ": not a contiguous netmask");
                    }
                } else {
                    int bits = parseInt("net", ms, 1, 30);
                    m = (int) (0xffffffffL << (32 - bits));
                }
            }
            n &= m;
        }
        net = n;
        mask = m;
        host = addr(o, "host", n | 2);
        dns = addr(o, "dns", n | 3);
        dhcpStart = addr(o, "dhcpstart", n | 15);
        for (var e : Map.of("host", host, "dns", dns, "dhcpstart", dhcpStart).entrySet()) {
            if ((e.getValue() & mask) != net) {
                throw new IllegalArgumentException("-netdev user: " + e.getKey() + "=" + Bytes.ip(e.getValue())
                        + " is not in net " + Bytes.ip(net) + "/" + Integer.bitCount(mask));
            }
        }
        if (host == dns) {
            throw new IllegalArgumentException("-netdev user: host and dns must differ");
        }
        restrict = flag(o, "restrict");
        tcpTimestamps = o.containsKey("tcp-timestamps") ? flag(o, "tcp-timestamps") : TS_DEFAULT;
        hostname = o.get("hostname");
        domainname = o.get("domainname");
        mtu = o.containsKey("mtu") ? parseInt("mtu", o.get("mtu"), 576, 65521) : 1500;
        List<HostFwd> fw = new ArrayList<>();
        String hf = o.get("hostfwd");
        if (hf != null) {
            for (String rule : hf.split("\n")) {
                fw.add(parseHostFwd(rule, dhcpStart));
            }
        }
        hostfwds = List.copyOf(fw);
        List<GuestFwd> gf = new ArrayList<>();
        String g = o.get("guestfwd");
        if (g != null) {
            for (String rule : g.split("\n")) {
                GuestFwd r = parseGuestFwd(rule);
                if (!inNet(r.server()) || r.server() == host || r.server() == dns) {
                    throw new IllegalArgumentException("guestfwd=" + rule + ": the server address must be in the virtual network"
                            + " and not the gateway or DNS address");
                }
                gf.add(r);
            }
        }
        guestfwds = List.copyOf(gf);
        if (o.containsKey("tftp")) {
            tftpRoot = java.nio.file.Path.of(o.get("tftp")).toAbsolutePath();
            if (!java.nio.file.Files.isDirectory(tftpRoot)) {
                throw new IllegalArgumentException("-netdev user: tftp=" + o.get("tftp") + " is not a directory");
            }
        } else {
            tftpRoot = null;
        }
        bootfile = o.get("bootfile");
        String up = o.get("dns-upstream");
        dnsUpstream = up == null ? null : parseUpstream(up);
    }

    /** Parses the options (without {@code id}); a repeated option's values are joined with '\n'. */
    public static NetConfig parse(Map<String, String> options) {
        return new NetConfig(options);
    }

    private static int addr(Map<String, String> o, String key, int dflt) {
        String v = o.get(key);
        return v == null ? dflt : Bytes.parseIp(v);
    }

    private static boolean flag(Map<String, String> o, String key) {
        String v = o.get(key);
        if (v == null) {
            return false;
        }
        return switch (v) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new IllegalArgumentException("-netdev user: " + key + "=" + v + ": expected on or off");
        };
    }

    private static int parseInt(String what, String s, int min, int max) {
        try {
            int v = Integer.parseInt(s);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // falls through
        }
        throw new IllegalArgumentException("-netdev user: " + what + ": '" + s + "' is not a number from " + min + " to " + max);
    }

    static HostFwd parseHostFwd(String rule, int defaultGuest) {
        String r = rule;
        boolean udp = false;
        if (r.startsWith("tcp:")) {
            r = r.substring(4);
        } else if (r.startsWith("udp:")) {
            udp = true;
            r = r.substring(4);
        } else if (r.startsWith(":")) {
            r = r.substring(1);
        } else {
            throw new IllegalArgumentException("hostfwd=" + rule + ": expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport");
        }
        int dash = r.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("hostfwd=" + rule + ": no '-' between the host and the guest side");
        }
        String hostSide = r.substring(0, dash);
        String guestSide = r.substring(dash + 1);
        int hc = hostSide.lastIndexOf(':');
        int gc = guestSide.lastIndexOf(':');
        if (hc < 0 || gc < 0) {
            throw new IllegalArgumentException("hostfwd=" + rule + ": expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport");
        }
        String ha = hostSide.substring(0, hc);
        int hp = parseInt("hostfwd host port", hostSide.substring(hc + 1), 0, 65535);
        String ga = guestSide.substring(0, gc);
        int gp = parseInt("hostfwd guest port", guestSide.substring(gc + 1), 1, 65535);
        return new HostFwd(udp, ha.isEmpty() ? "127.0.0.1" : ha, hp, ga.isEmpty() ? defaultGuest : Bytes.parseIp(ga), gp);
    }

    static GuestFwd parseGuestFwd(String rule) {
        String r = rule.startsWith("tcp:") ? rule.substring(4) : rule.startsWith(":") ? rule.substring(1) : null;
        int dash = r == null ? -1 : r.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("guestfwd=" + rule + ": expected [tcp]:server:port-tcp:HOST:PORT");
        }
        String[] server = r.substring(0, dash).split(":", -1);
        String target = r.substring(dash + 1);
        if (server.length != 2) {
            throw new IllegalArgumentException("guestfwd=" + rule + ": expected [tcp]:server:port-tcp:HOST:PORT");
        }
        if (!target.startsWith("tcp:")) {
            throw new IllegalArgumentException("guestfwd=" + rule + ": only tcp:HOST:PORT targets are implemented (not cmd: or chardevs)");
        }
        String[] t = target.substring(4).split(":", -1);
        if (t.length != 2 || t[0].isEmpty()) {
            throw new IllegalArgumentException("guestfwd=" + rule + ": expected tcp:HOST:PORT after '-'");
        }
        Bytes.parseIp(t[0]); // an IPv4 literal: no name lookups on the stack's thread
        return new GuestFwd(Bytes.parseIp(server[0]), parseInt("guestfwd port", server[1], 1, 65535), t[0],
                parseInt("guestfwd target port", t[1], 1, 65535));
    }

    static InetSocketAddress parseUpstream(String s) {
        int c = s.lastIndexOf(':');
        String ip = c < 0 ? s : s.substring(0, c);
        int port = c < 0 ? 53 : parseInt("dns-upstream port", s.substring(c + 1), 1, 65535);
        Bytes.parseIp(ip);
        return new InetSocketAddress(ip, port);
    }

    /** Whether {@code a} is in the IPv6 prefix. */
    boolean inPrefix(IpAddr.V6 a) {
        return a.inPrefix(ipv6Prefix, ipv6PrefixLen);
    }

    /** Whether {@code a} is in the virtual network. */
    boolean inNet(int a) {
        return (a & mask) == net;
    }

    int broadcast() {
        return net | ~mask;
    }
}
