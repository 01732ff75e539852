package org.machina.net.user;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP address of either family, as the TCP and UDP layers and their tables hold it: what makes
 * them address-family-agnostic. The only things that differ by family above the IP layer are the
 * pseudo-header of the transport checksum and the IP header's length (for the MSS); both are here.
 */
sealed interface IpAddr permits IpAddr.V4, IpAddr.V6 {
    /** The IP header in front of a transport segment: 20 bytes (IPv4 without options) or 40 (IPv6). */
    int headerLength();

    /**
     * The pseudo-header's running sum for a TCP, UDP or ICMPv6 checksum from this address to
     * {@code dst}: RFC 793 section 3.1 / RFC 768 for IPv4, RFC 8200 section 8.1 for IPv6.
     */
    int pseudoSum(IpAddr dst, int proto, int length);

    /** The address as {@link InetAddress} bytes (4 or 16). */
    byte[] bytes();

    /** An IPv4 address in an int, as the IPv4 layer holds it. */
    record V4(int a) implements IpAddr {
        @Override
        public int headerLength() {
            return Ipv4.HEADER;
        }

        @Override
        public int pseudoSum(IpAddr dst, int proto, int length) {
            return Checksum.pseudo(a, ((V4) dst).a, proto, length);
        }

        @Override
        public byte[] bytes() {
            return Bytes.ipBytes(a);
        }

        @Override
        public String toString() {
            return Bytes.ip(a);
        }
    }

    /** An IPv6 address as two longs (the high and low 64 bits, big-endian). */
    record V6(long hi, long lo) implements IpAddr {
        static final V6 UNSPECIFIED = new V6(0, 0);
        /** ff02::1, all nodes on the link. */
        static final V6 ALL_NODES = new V6(0xff02L << 48, 1);
        static final V6 LOOPBACK = new V6(0, 1);

        static V6 of(byte[] b, int off) {
            return new V6(i64(b, off), i64(b, off + 8));
        }

        /** Parses an IPv6 literal (no name lookup). */
        static V6 parse(String s) {
            InetAddress a;
            try {
                a = s.contains(":") ? InetAddress.ofLiteral(s) : null;
            } catch (IllegalArgumentException e) {
                a = null;
            }
            if (!(a instanceof Inet6Address)) {
                throw new IllegalArgumentException("'" + s + "' is not an IPv6 address");
            }
            return of(a.getAddress(), 0);
        }

        void put(byte[] b, int off) {
            for (int i = 0; i < 8; i++) {
                b[off + i] = (byte) (hi >>> (56 - 8 * i));
                b[off + 8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
        }

        /** Whether the first {@code bits} bits equal those of {@code prefix}. */
        boolean inPrefix(V6 prefix, int bits) {
            return (hi & mask(bits)) == (prefix.hi & mask(bits)) && (lo & mask(bits - 64)) == (prefix.lo & mask(bits - 64));
        }

        /** This address with everything after the first {@code bits} bits cleared. */
        V6 prefix(int bits) {
            return new V6(hi & mask(bits), lo & mask(bits - 64));
        }

        private static long mask(int bits) {
            return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
        }

        boolean isMulticast() {
            return hi >>> 56 == 0xff;
        }

        boolean isLinkLocal() {
            return hi >>> 54 == (0xfe80L >>> 6);
        }

        boolean isUnspecified() {
            return hi == 0 && lo == 0;
        }

        boolean isLoopback() {
            return hi == 0 && lo == 1;
        }

        /** ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2). */
        boolean isV4Mapped() {
            return hi == 0 && lo >>> 32 == 0xffff;
        }

        /** The solicited-node multicast address ff02::1:ffXX:XXXX of this address (RFC 4291 section 2.7.1). */
        V6 solicitedNode() {
            return new V6(0xff02L << 48, 0x1ff000000L | lo & 0xffffff);
        }

        @Override
        public int headerLength() {
            return Ipv6.HEADER;
        }

        @Override
        public int pseudoSum(IpAddr dst, int proto, int length) {
            V6 d = (V6) dst;
            long s = words(hi) + words(lo) + words(d.hi) + words(d.lo) + (length >>> 16) + (length & 0xffff) + proto;
            while (s >>> 32 != 0) {
                s = (s & 0xffffffffL) + (s >>> 32);
            }
            return (int) s;
        }

        private static long words(long v) {
            return (v >>> 48) + (v >>> 32 & 0xffff) + (v >>> 16 & 0xffff) + (v & 0xffff);
        }

        @Override
        public byte[] bytes() {
            byte[] b = new byte[16];
            put(b, 0);
            return b;
        }

        @Override
        public String toString() {
            try {
                return InetAddress.getByAddress(bytes()).getHostAddress();
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }

        private static long i64(byte[] b, int off) {
            return (long) Bytes.i32(b, off) << 32 | Bytes.i32(b, off + 4) & 0xffffffffL;
        }
    }
}
