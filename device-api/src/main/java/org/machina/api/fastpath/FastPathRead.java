package org.machina.api.fastpath;

/**
 * Where a {@link FastPathHandler} puts the value of a read it serves. The caller (the CPU) owns
 * one and reuses it for every access; a handler only calls {@link #set}.
 */
public final class FastPathRead {
    private long value;

    public void set(long value) {
        this.value = value;
    }

    public long value() {
        return value;
    }
}
