package org.machina.devices.net;

/** Internet checksum arithmetic (RFC 1071) over byte arrays. */
final class Checksums {
    private Checksums() {
    }

    /** The 32-bit one's complement partial sum of {@code data[from, to)} added to {@code sum}. */
    static long add(long sum, byte[] data, int from, int to) {
        int i = from;
        for (; i + 1 < to; i += 2) {
            sum += (data[i] & 0xFF) << 8 | (data[i + 1] & 0xFF);
        }
        if (i < to) {
            sum += (data[i] & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a partial sum to 16 bits and complements it. */
    static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) ~sum & 0xFFFF;
    }

    static void put16(byte[] data, int at, int value) {
        data[at] = (byte) (value >>> 8);
        data[at + 1] = (byte) value;
    }

    static int get16(byte[] data, int at) {
        return (data[at] & 0xFF) << 8 | data[at + 1] & 0xFF;
    }
}
