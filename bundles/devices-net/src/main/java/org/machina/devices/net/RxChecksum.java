package org.machina.devices.net;

/**
 * Receive checksum offload: checks the IPv4 header checksum and the TCP or UDP checksum of a
 * frame for the guest, so a NIC can tell its driver the checksums were verified (e1000 IPCS and
 * TCPCS, virtio-net DATA_VALID) and the guest does not compute them again.
 */
final class RxChecksum {
    enum Result {
        /** Not an unfragmented IPv4 TCP/UDP packet: nothing was checked. */
        NOT_CHECKED,
        VALID,
        BAD_IP,
        BAD_L4
    }

    private RxChecksum() {
    }

    static Result check(byte[] f, int length) {
        if (length < 34 || f[12] != 0x08 || f[13] != 0x00 || (f[14] & 0xF0) != 0x40) {
            return Result.NOT_CHECKED;
        }
        int ihl = (f[14] & 0x0F) * 4;
        int total = Checksums.get16(f, 16);
        if (ihl < 20 || 14 + ihl > length || total < ihl || 14 + total > length) {
            return Result.NOT_CHECKED;
        }
        if (Checksums.finish(Checksums.add(0, f, 14, 14 + ihl)) != 0) {
            return Result.BAD_IP;
        }
        if ((Checksums.get16(f, 20) & 0x3FFF) != 0) {
            return Result.NOT_CHECKED;                  // a fragment
        }
        int proto = f[23] & 0xFF;
        int l4 = 14 + ihl;
        int l4Length = total - ihl;
        if (proto == 6 ? l4Length < 20 : proto != 17 || l4Length < 8) {
            return Result.NOT_CHECKED;
        }
        if (proto == 17 && Checksums.get16(f, l4 + 6) == 0) {
            return Result.VALID;                        // UDP without a checksum
        }
        long sum = Checksums.add(0, f, 26, 34) + proto + l4Length;
        return Checksums.finish(Checksums.add(sum, f, l4, l4 + l4Length)) == 0 ? Result.VALID : Result.BAD_L4;
    }
}
