package org.machina.devices.storage;

import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathRead;

/**
 * The hot registers of an {@link IdeChannel} on the CPU's fast path ({@link org.machina.api.fastpath}):
 *
 * <ul>
 *   <li>{@link #data}: the PIO data port (command block +0), 16- and 32-bit reads and writes, so
 *       REP INSW/INSD/OUTSW/OUTSD move a sector without leaving the CPU for all words but the
 *       last; the CPU hands a REP INS over as a string ({@code readString}: the words up to the
 *       block's last in one move of the position and one copy), OUTS element by element. A word that ends the block (the
 *       drive then offers the next sector, raises an interrupt or ends the command) and any
 *       access while no block is offered in that direction decline: the normal path does it.</li>
 *   <li>{@link #status}: the status register (command block +7), served while the selected
 *       device has no interrupt pending; with one pending the read clears it, so it declines.</li>
 *   <li>{@link #altStatus}: the alternate status register (control block +0), no side effect.</li>
 * </ul>
 *
 * All three read only volatile state: the channel's PIO block ({@link IdeDataPort#block}, whose
 * position the data port moves by compare and set, see {@link PioBlock}), the selected device
 * number, the drives present and a drive's status and interrupt flag. Writes other than data words
 * (command, device control) decline.
 */
final class IdeFastPath {
    private final IdeChannel channel;

    IdeFastPath(IdeChannel channel) {
        this.channel = channel;
        this.data = channel.dataPort;
    }

    /** Offsets 0-3 of the command block; serves 2- and 4-byte accesses at offset 0 ({@link IdeDataPort}). */
    final FastPathHandler data;

    /** Offset 7 of the command block: the status register. */
    final FastPathHandler status = new FastPathHandler() {
        @Override
        public boolean read(long offset, int size, FastPathRead result) {
            return statusRead(result, false);
        }
    };

    /** Offset 0 of the control block: the alternate status register. */
    final FastPathHandler altStatus = new FastPathHandler() {
        @Override
        public boolean read(long offset, int size, FastPathRead result) {
            return statusRead(result, true);
        }
    };

    /**
     * What {@link IdeChannel#readCommandBlock}(7) and {@link IdeChannel#readAltStatus} return: 0xFF
     * with no device on the channel, 0 when only the other device is there, else the selected
     * device's status. The status is read before the interrupt flag: a drive sets its status
     * before it raises INTRQ, so a status seen with no interrupt pending is one the normal path
     * could have returned at that moment.
     */
    private boolean statusRead(FastPathRead result, boolean alternate) {
        IdeDrive[] present = channel.present;
        if (present[0] == null && present[1] == null) {
            result.set(0xFF);
            return true;
        }
        IdeDrive d = present[(channel.device & IdeChannel.DEV_DEVICE1) != 0 ? 1 : 0];
        if (d == null) {
            result.set(0);
            return true;
        }
        int s = d.status;
        if (!alternate && d.intrq) {
            return false;
        }
        result.set(s);
        return true;
    }
}
