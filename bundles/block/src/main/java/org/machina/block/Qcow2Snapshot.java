package org.machina.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of a qcow2 internal snapshot table (read-only listing).
 *
 * <pre>
 * offset size field
 *      0    8 l1_table_offset
 *      8    4 l1_size
 *     12    2 id_str_size
 *     14    2 name_size
 *     16    4 date_sec
 *     20    4 date_nsec
 *     24    8 vm_clock_nsec
 *     32    4 vm_state_size
 *     36    4 extra_data_size
 *     40    - extra data, id string, name string, padding to 8 bytes
 * </pre>
 *
 * @param id snapshot id string
 * @param name snapshot name
 * @param l1TableOffset the snapshot's L1 table
 * @param l1Size entries in that L1 table
 * @param dateSeconds creation time (seconds since the epoch)
 * @param vmStateSize saved VM state size (0 for disk-only snapshots)
 */
public record Qcow2Snapshot(String id, String name, long l1TableOffset, int l1Size, long dateSeconds, long vmStateSize) {
    /** Largest snapshot table accepted (64 MiB, as QEMU). */
    static final long MAX_TABLE = 64L << 20;

    static List<Qcow2Snapshot> readTable(Qcow2Header h, FileChannel ch) throws IOException {
        List<Qcow2Snapshot> list = new ArrayList<>();
        long pos = h.snapshotsOffset;
        long fileSize = ch.size();
        ByteBuffer fixed = ByteBuffer.allocate(40);
        for (int i = 0; i < h.nbSnapshots; i++) {
            if (pos - h.snapshotsOffset > MAX_TABLE || pos + 40 > fileSize) {
                throw h.err("snapshot table entry " + i, pos, "entry beyond the end of the file or the table size limit");
            }
            fixed.clear();
            Qcow2Node.readFully(ch, fixed, pos);
            long l1Off = fixed.getLong(0);
            int l1Size = fixed.getInt(8);
            int idLen = fixed.getShort(12) & 0xffff;
            int nameLen = fixed.getShort(14) & 0xffff;
            long date = fixed.getInt(16) & 0xffffffffL;
            long vmState = fixed.getInt(32) & 0xffffffffL;
            long extra = fixed.getInt(36) & 0xffffffffL;
            if (extra > 1024) {
                throw h.err("snapshot table entry " + i, pos + 36, "extra_data_size " + extra + " too large (max 1024)");
            }
            if (l1Size < 0 || l1Size > Qcow2Header.MAX_L1_ENTRIES || (l1Off & (h.clusterSize - 1)) != 0
                    || l1Off + l1Size * 8L > fileSize) {
                throw h.err("snapshot table entry " + i, pos, "snapshot L1 table at 0x" + Long.toHexString(l1Off) + " ("
                        + l1Size + " entries) invalid or beyond the end of the file");
            }
            long strings = pos + 40 + extra;
            if (strings + idLen + nameLen > fileSize) {
                throw h.err("snapshot table entry " + i, strings, "id/name strings beyond the end of the file");
            }
            ByteBuffer s = ByteBuffer.allocate(idLen + nameLen);
            Qcow2Node.readFully(ch, s, strings);
            String id = new String(s.array(), 0, idLen, StandardCharsets.UTF_8);
            String name = new String(s.array(), idLen, nameLen, StandardCharsets.UTF_8);
            list.add(new Qcow2Snapshot(id, name, l1Off, l1Size, date, vmState));
            pos = (strings + idLen + nameLen + 7) & ~7L;
        }
        return List.copyOf(list);
    }
}
