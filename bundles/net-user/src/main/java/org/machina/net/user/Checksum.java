package org.machina.net.user;

/** The Internet checksum (RFC 1071): one's-complement sum of 16-bit words. */
final class Checksum {
    private Checksum() {
    }

    /** Adds {@code len} bytes at {@code off} to a running 32-bit sum. */
    static int add(int sum, byte[] b, int off, int len) {
        int end = off + len - 1;
        int i = off;
        long s = sum & 0xffffffffL;
        for (; i < end; i += 2) {
            s += (b[i] & 0xff) << 8 | b[i + 1] & 0xff;
        }
        if (i == end) {
            s += (b[i] & 0xff) << 8;
        }
        while (s >>> 32 != 0) {
            s = (s & 0xffffffffL) + (s >>> 32);
        }
        return (int) s;
    }

    /** The TCP/UDP pseudo-header sum (RFC 793 section 3.1, RFC 768). */
    static int pseudo(int src, int dst, int proto, int length) {
        long s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + length;
        return (int) s;
    }

    /** Folds a running sum to the 16-bit checksum field value. */
    static int finish(int sum) {
        long s = sum & 0xffffffffL;
        while (s >>> 16 != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    static int of(byte[] b, int off, int len) {
        return finish(add(0, b, off, len));
    }
}
