package org.machina.devices.storage;

import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathRead;

/**
 * An {@link IdeChannel}'s PIO data port on the CPU's fast path ({@link IdeFastPath}), and the
 * holder of the channel's PIO block in progress ({@link #block}): the handler reads the block
 * from its own field, so a served word is one load from the handler to the block and one to its
 * position. The channel publishes and clears the block here (its normal path reads it here too).
 *
 * <p>16- and 32-bit reads and writes at offset 0 of the command block are served while a block
 * is offered in their direction, except the word that ends it: the drive then offers the next
 * sector, raises an interrupt or ends the command, which the normal path does. A {@code REP INS}
 * is served as a string ({@link #readString}: the words up to the block's last in one move of the
 * position and one copy); {@code OUTS} element by element.
 */
final class IdeDataPort implements FastPathHandler {
    /** The PIO block in progress, or null; volatile: published to the fast path ({@link PioBlock}). */
    volatile PioBlock block;

    @Override
    public boolean read(long offset, int size, FastPathRead result) {
        if (offset != 0 || size == 1 || size == 8) {
            return false;
        }
        PioBlock p = block;
        if (p == null || !p.toHost) {
            return false;
        }
        int at = p.pos();
        int next = at + size;
        if (next >= p.end || !p.advance(at, next)) {
            return false;
        }
        result.set(size == 2 ? p.word(at) : p.dword(at));
        return true;
    }

    /** A REP INSW/INSD: every element that does not end the block, in one move of the position. */
    @Override
    public int readString(long offset, int size, byte[] into, int count) {
        if (offset != 0 || size != 2 && size != 4) {
            return 0;
        }
        PioBlock p = block;
        if (p == null || !p.toHost) {
            return 0;
        }
        int at = p.pos();
        int n = Math.min(count, (p.end - at - 1) / size);
        if (n <= 0 || !p.advance(at, at + n * size)) {
            return 0;
        }
        System.arraycopy(p.data, at, into, 0, n * size);
        return n;
    }

    @Override
    public boolean write(long offset, int size, long value) {
        if (offset != 0 || size == 1 || size == 8) {
            return false;
        }
        PioBlock p = block;
        if (p == null || p.toHost) {
            return false;
        }
        int at = p.pos();
        int next = at + size;
        if (next >= p.end) {
            return false;
        }
        p.putWord(at, (int) value);
        if (size == 4) {
            p.putWord(at + 2, (int) (value >>> 16));
        }
        return p.advance(at, next); // a lost race leaves words the normal path writes again
    }
}
