package org.machina.devices.pc;

import org.machina.api.state.StateException;

/** A fixed-capacity ring of small ints (FIFO bytes, possibly with flag bits); no allocation after creation. */
final class IntFifo {
    private final int[] data;
    private int head;
    private int count;

    IntFifo(int capacity) {
        data = new int[capacity];
    }

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    void clear() {
        count = 0;
    }

    /** Appends {@code v}; returns false (and drops it) when full. */
    boolean push(int v) {
        if (count == data.length) {
            return false;
        }
        data[(head + count) % data.length] = v;
        count++;
        return true;
    }

    /** The oldest entry; the FIFO must not be empty. */
    int peek() {
        return data[head];
    }

    /** The newest entry; the FIFO must not be empty. */
    int peekLast() {
        return data[(head + count - 1) % data.length];
    }

    /** Replaces the newest entry (an overrun in a one-byte holding register). */
    void replaceLast(int v) {
        data[(head + count - 1) % data.length] = v;
    }

    int pop() {
        int v = data[head];
        head = (head + 1) % data.length;
        count--;
        return v;
    }

    /** The entries, oldest first (for saved state). */
    int[] toArray() {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = data[(head + i) % data.length];
        }
        return out;
    }

    /** Replaces the contents with {@code values} masked by {@code mask} (from saved state). */
    void load(int[] values, int mask, String what) {
        if (values == null || values.length > data.length) {
            throw new StateException(what + " must hold at most " + data.length + " entries");
        }
        head = 0;
        count = values.length;
        for (int i = 0; i < count; i++) {
            data[i] = values[i] & mask;
        }
    }
}
