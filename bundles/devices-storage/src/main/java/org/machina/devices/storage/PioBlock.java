package org.machina.devices.storage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One PIO block a drive offers on its channel's data port: {@code data[pos..end)} still to be
 * read by the host ({@code toHost}) or written by it. The channel publishes it through a volatile
 * field after filling {@code data}, so the fast path ({@link IdeFastPath}) may move words on the
 * thread that runs the CPU.
 *
 * <p>The position is the one piece of state the two paths share. Both move it by compare and
 * set, the normal path (on the machine thread) for any word and the fast path only for a word
 * that does not end the block: the word that ends it runs {@link IdeDrive#pioDone()} (the next
 * sector, an interrupt, the end of the command), which is the normal path's. A fast-path write
 * stores its bytes before it moves the position (a volatile write), so the normal path, which
 * reads the position first, sees them.
 */
final class PioBlock {
    private static final VarHandle POS;
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    static {
        try {
            POS = MethodHandles.lookup().findVarHandle(PioBlock.class, "pos", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final IdeDrive drive;
    final byte[] data;
    final int end;
    final boolean toHost;
    @SuppressWarnings("unused") // through POS
    private volatile int pos;

    PioBlock(IdeDrive drive, byte[] data, int offset, int length, boolean toHost) {
        this.drive = drive;
        this.data = data;
        this.pos = offset;
        this.end = offset + length;
        this.toHost = toHost;
    }

    int pos() {
        return pos;
    }

    /** Moves the position from {@code from} to {@code to}; false when another access moved it first. */
    boolean advance(int from, int to) {
        return POS.compareAndSet(this, from, to);
    }

    /** The little-endian 16-bit word at {@code at}: one load, whatever the alignment. */
    int word(int at) {
        return (short) SHORT.get(data, at) & 0xFFFF;
    }

    /** The little-endian 32-bit value at {@code at} (two words), zero-extended. */
    long dword(int at) {
        return (int) INT.get(data, at) & 0xFFFFFFFFL;
    }

    void putWord(int at, int value) {
        data[at] = (byte) value;
        data[at + 1] = (byte) (value >>> 8);
    }
}
