package org.machina.devices.pc;

/**
 * One counter of the 8254 interval timer, computed lazily from input-clock ticks: nothing counts
 * per tick; the counter value and the OUT pin are functions of the tick number since the count
 * was loaded. {@link I8254} converts virtual nanoseconds into ticks and owns the ports.
 *
 * <pre>
 * mode  name                      OUT                                        gate
 *  0    interrupt on terminal cnt low after load, high after N ticks           low pauses
 *  1    hardware one-shot         low for N ticks after a gate rising edge    rising edge triggers
 *  2    rate generator            low for 1 tick every N ticks                 low stops, rise restarts
 *  3    square wave               high ceil(N/2), low floor(N/2) ticks         low stops, rise restarts
 *  4    software strobe           low for 1 tick N ticks after load            low pauses
 *  5    hardware strobe           low for 1 tick N ticks after gate edge       rising edge triggers
 * </pre>
 * A count of 0 means 65536 (10000 in BCD mode). A count of 1, illegal in modes 2 and 3, gives no
 * edges (rather than one interrupt per input-clock tick).
 */
final class Pit8254Channel {
    /** No next edge. */
    static final long NEVER = Long.MAX_VALUE;

    /**
     * Saved state of one counter.
     *
     * @param mode counting mode 0-5
     * @param access 1 = LSB only, 2 = MSB only, 3 = LSB then MSB
     * @param bcd BCD counting
     * @param reload the loaded count N (1..65536, or 1..10000 in BCD)
     * @param loaded a count has been written since the control word
     * @param counting the counter is running from {@code loadTick}
     * @param loadTick input-clock tick at which counting started
     * @param frozen counter value while not counting
     * @param frozenOut OUT while not counting
     * @param gate GATE input level
     * @param nullCount status bit 6
     * @param latchedCount latched counter value, or -1
     * @param latchedHigh next read of the latched count returns its MSB
     * @param status latched status byte, or -1
     * @param readHigh next live read (access 3) returns the MSB
     * @param writeHigh next write (access 3) is the MSB
     * @param writeLow the LSB written first (access 3)
     */
    public record State(int mode, int access, boolean bcd, int reload, boolean loaded, boolean counting,
            long loadTick, int frozen, boolean frozenOut, boolean gate, boolean nullCount, int latchedCount,
            boolean latchedHigh, int status, boolean readHigh, boolean writeHigh, int writeLow) {
    }

    int mode;
    int access = 3;
    boolean bcd;
    int reload = 65536;
    boolean loaded;
    boolean counting;
    long loadTick;
    int frozen;
    boolean frozenOut;
    boolean gate;
    boolean nullCount = true;
    int latchedCount = -1;
    boolean latchedHigh;
    int status = -1;
    boolean readHigh;
    boolean writeHigh;
    int writeLow;

    Pit8254Channel(boolean gate) {
        this.gate = gate;
    }

    void reset(boolean gateLevel) {
        load(new State(0, 3, false, 65536, false, false, 0, 0, false, gateLevel, true, -1, false, -1, false, false, 0));
    }

    private int modulus() {
        return bcd ? 10000 : 65536;
    }

    /** Counter value (binary, 0..65535 or 0..9999) at {@code tick}. */
    int value(long tick) {
        if (!counting) {
            return frozen;
        }
        long d = tick - loadTick;
        long n = reload;
        long v = switch (mode) {
            case 2 -> {
                long p = d % n;
                yield p == 0 ? n : n - p;
            }
            case 3 -> {
                long p = d % n;
                long high = (n + 1) / 2;
                yield (p < high ? n - 2 * p : n - 2 * (p - high)) & ~1L;
            }
            default -> n - d;
        };
        return (int) Math.floorMod(v, modulus());
    }

    /** OUT at {@code tick}. */
    boolean out(long tick) {
        if (!counting) {
            return frozenOut;
        }
        long d = tick - loadTick;
        long n = reload;
        return switch (mode) {
            case 0, 1 -> d >= n;
            case 2 -> n < 2 || d % n != n - 1;
            case 3 -> d % n < (n + 1) / 2;
            default -> d != n;
        };
    }

    /** The first tick after {@code tick} at which OUT rises, or {@link #NEVER}. */
    long nextRise(long tick) {
        if (!counting) {
            return NEVER;
        }
        long d = tick - loadTick;
        long n = reload;
        return switch (mode) {
            case 0, 1 -> d < n ? loadTick + n : NEVER;
            case 2, 3 -> n < 2 ? NEVER : loadTick + (d / n + 1) * n;
            default -> d < n + 1 ? loadTick + n + 1 : NEVER;
        };
    }

    /** A control word selecting this counter (bits 5-0: access, mode, BCD); access 0 is a latch. */
    void control(int value, long tick) {
        int acc = (value >> 4) & 3;
        if (acc == 0) {
            latchCount(tick);
            return;
        }
        frozen = value(tick);
        access = acc;
        int m = (value >> 1) & 7;
        mode = m > 5 ? m - 4 : m;
        bcd = (value & 1) != 0;
        loaded = false;
        counting = false;
        frozenOut = mode != 0;
        nullCount = true;
        latchedCount = -1;
        status = -1;
        readHigh = false;
        writeHigh = false;
    }

    void latchCount(long tick) {
        if (latchedCount < 0) {
            latchedCount = value(tick);
            latchedHigh = access == 2;
        }
    }

    void latchStatus(long tick) {
        if (status < 0) {
            status = (out(tick) ? 0x80 : 0) | (nullCount ? 0x40 : 0) | access << 4 | mode << 1 | (bcd ? 1 : 0);
        }
    }

    int read(long tick) {
        if (status >= 0) {
            int s = status;
            status = -1;
            return s;
        }
        int v;
        boolean high;
        if (latchedCount >= 0) {
            v = latchedCount;
            high = latchedHigh;
            if (access == 3 && !high) {
                latchedHigh = true;
            } else {
                latchedCount = -1;
            }
        } else {
            v = value(tick);
            high = access == 2 || (access == 3 && readHigh);
            if (access == 3) {
                readHigh = !readHigh;
            }
        }
        if (bcd) {
            v = toBcd(v);
        }
        return high ? (v >> 8) & 0xff : v & 0xff;
    }

    void write(int value, long tick) {
        int count;
        switch (access) {
            case 1 -> count = value;
            case 2 -> count = value << 8;
            default -> {
                if (!writeHigh) {
                    writeLow = value;
                    writeHigh = true;
                    if (mode == 0) {
                        frozen = value(tick);
                        counting = false;
                        loaded = false;
                        frozenOut = false;
                    }
                    return;
                }
                writeHigh = false;
                count = writeLow | value << 8;
            }
        }
        if (bcd) {
            count = fromBcd(count);
        }
        if (count == 0) {
            count = modulus();
        }
        reload = count;
        loaded = true;
        nullCount = false;
        boolean retrigger = mode == 1 || mode == 5;
        frozen = count;
        frozenOut = mode != 0;
        counting = gate && !retrigger;
        loadTick = tick;
    }

    void setGate(boolean level, long tick) {
        if (level == gate) {
            return;
        }
        gate = level;
        if (!loaded) {
            return;
        }
        if (level) {
            if (mode == 0 || mode == 4) {
                if (!counting) {
                    counting = true;
                    loadTick = tick - Math.floorMod(reload - frozen, modulus());
                }
            } else {
                counting = true;
                loadTick = tick;
            }
        } else if (counting && mode != 1 && mode != 5) {
            frozen = value(tick);
            frozenOut = mode == 2 || mode == 3 || out(tick);
            counting = false;
        }
    }

    static int toBcd(int v) {
        return (v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
    }

    static int fromBcd(int v) {
        return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
    }

    State save() {
        return new State(mode, access, bcd, reload, loaded, counting, loadTick, frozen, frozenOut, gate, nullCount,
                latchedCount, latchedHigh, status, readHigh, writeHigh, writeLow);
    }

    void load(State s) {
        mode = Math.clamp(s.mode(), 0, 5);
        access = Math.clamp(s.access(), 1, 3);
        bcd = s.bcd();
        reload = Math.clamp(s.reload(), 1, 65536);
        loaded = s.loaded();
        counting = s.counting();
        loadTick = s.loadTick();
        frozen = s.frozen();
        frozenOut = s.frozenOut();
        gate = s.gate();
        nullCount = s.nullCount();
        latchedCount = s.latchedCount();
        latchedHigh = s.latchedHigh();
        status = s.status();
        readHigh = s.readHigh();
        writeHigh = s.writeHigh();
        writeLow = s.writeLow();
    }
}
