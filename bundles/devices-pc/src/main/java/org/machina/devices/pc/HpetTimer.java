package org.machina.devices.pc;

import org.machina.api.time.Timer;

/**
 * One HPET comparator (IA-PC HPET 1.0a, section 2.3.8): configuration, comparator and, for
 * periodic mode, the period last written. Matching is computed from the main counter: the
 * comparator's {@link Timer} is armed for the virtual-clock time at which the counter reaches
 * the next match.
 */
final class HpetTimer {
    static final long INT_TYPE_LEVEL = 1 << 1;
    static final long INT_ENB = 1 << 2;
    static final long TYPE_PERIODIC = 1 << 3;
    static final long PER_INT_CAP = 1 << 4;
    static final long SIZE_CAP = 1 << 5;
    static final long VAL_SET = 1 << 6;
    static final long MODE_32 = 1 << 8;
    static final int ROUTE_SHIFT = 9;
    static final long ROUTE_MASK = 0x1FL << ROUTE_SHIFT;
    /** Bits the guest may write. */
    static final long WRITABLE = INT_TYPE_LEVEL | INT_ENB | TYPE_PERIODIC | VAL_SET | MODE_32 | ROUTE_MASK;
    static final long MASK_32 = 0xFFFF_FFFFL;

    final int index;
    final long routeCapability;
    Timer timer;
    long config;
    long comparator;
    long period;
    /** The counter value the timer is armed for, or -1. */
    long armedMatch = -1;

    HpetTimer(int index, long routeCapability) {
        this.index = index;
        this.routeCapability = routeCapability;
    }

    /** Tn_CONF_CAP as read: capabilities, configuration, route capability in bits 32-63. */
    long confCap() {
        return config | PER_INT_CAP | SIZE_CAP | routeCapability << 32;
    }

    boolean mode32() {
        return (config & MODE_32) != 0;
    }

    boolean periodic() {
        return (config & TYPE_PERIODIC) != 0;
    }

    boolean level() {
        return (config & INT_TYPE_LEVEL) != 0;
    }

    boolean interruptEnabled() {
        return (config & INT_ENB) != 0;
    }

    int route() {
        return (int) ((config & ROUTE_MASK) >>> ROUTE_SHIFT);
    }

    void reset() {
        config = 0;
        comparator = -1L; // all ones: no match for 2^64 ticks
        period = 0;
    }

    /** Writes Tn_CONF_CAP; returns the route the guest asked for when the capability lacks it, else -1. */
    int writeConfig(long value) {
        config = value & WRITABLE;
        if (mode32()) {
            comparator &= MASK_32;
            period &= MASK_32;
        }
        int route = route();
        return (routeCapability >>> route & 1) == 0 && route != 0 ? route : -1;
    }

    long readComparator() {
        return mode32() ? comparator & MASK_32 : comparator;
    }

    /**
     * Writes Tn_COMPARATOR: in periodic mode the value is the period, and also the comparator
     * when VAL_SET is set (which then clears); otherwise it is the comparator.
     */
    void writeComparator(long value) {
        long v = mode32() ? value & MASK_32 : value;
        if (periodic()) {
            if ((config & VAL_SET) != 0) {
                comparator = v;
                config &= ~VAL_SET;
            }
            period = v;
        } else {
            comparator = v;
        }
    }

    /**
     * The counter value of the next match strictly after {@code counter}, or -1 when there is
     * none: in 32-bit mode the low 32 bits are compared (a match every 2^32 ticks), in 64-bit
     * mode the comparator must lie ahead.
     */
    long nextMatch(long counter) {
        if (mode32()) {
            long diff = (comparator - counter) & MASK_32;
            return counter + (diff == 0 ? 1L << 32 : diff);
        }
        return Long.compareUnsigned(comparator, counter) > 0 ? comparator : -1;
    }

    /** After a match at {@code match} with the counter now at {@code counter}: periodic timers move on. */
    void advanceAfterMatch(long match, long counter) {
        if (!periodic() || period == 0) {
            return;
        }
        long behind = counter - match;
        long steps = Long.divideUnsigned(behind, period) + 1;
        comparator = match + steps * period;
        if (mode32()) {
            comparator &= MASK_32;
        }
    }
}
