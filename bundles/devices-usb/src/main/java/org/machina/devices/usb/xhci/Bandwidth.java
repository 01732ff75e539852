package org.machina.devices.usb.xhci;

/**
 * Periodic bandwidth of the root ports (xHCI 1.2 section 4.6.6: a Configure Endpoint command
 * whose periodic endpoints do not fit completes with Bandwidth Error and changes nothing).
 * Every root port is a bus of its own; its periodic (isochronous and interrupt) endpoints
 * reserve bus time there while they are configured.
 *
 * <p>The budgets are those of the USB specifications for periodic transfers: at high speed
 * 80 % of a 125 us microframe (7500 byte times at 480 Mb/s: 6000), at full speed 90 % of a
 * 1 ms frame (1500 byte times at 12 Mb/s: 1350; a low-speed byte costs 8 full-speed byte
 * times), at SuperSpeed 90 % of a 125 us bus interval (62500 byte times at 5 Gb/s with 8b/10b:
 * 56250; not checked against the USB 3.x specification). A transaction costs its payload plus the protocol overhead of USB 2.0 tables 5-4 to
 * 5-8 (high-speed isochronous 38 bytes, interrupt 55; full-speed isochronous 9, interrupt 13;
 * low-speed interrupt 13 low-speed bytes); at SuperSpeed, an estimate of 32 bytes of header,
 * CRC and framing a packet. Bit stuffing is not counted.
 *
 * <p>The schedule is one 1 ms frame of 8 microframes. A high-speed or SuperSpeed endpoint with
 * a service interval of p &lt; 8 microframes occupies every p-th microframe from the phase
 * where the busiest microframe it lands in is least busy; one with an interval of 8
 * microframes or more is counted in one microframe of every frame (a longer interval reserves
 * as much as 1 ms: conservative). A full- or low-speed endpoint is counted in every frame.
 */
final class Bandwidth {
    static final int SLOTS = 8;
    static final int ALL = (1 << SLOTS) - 1;

    /** The reservations a Configure Endpoint would make, by DCI; null from {@link #plan} when they do not fit. */
    static final class Plan {
        final int[] mask = new int[32];
        final int[] cost = new int[32];
    }

    private Bandwidth() {
    }

    /** Periodic byte times available in each microframe of the schedule, by PORTSC speed code. */
    static int budget(int speed) {
        return switch (speed) {
            case 1, 2 -> 1350;
            case 4 -> 56250;
            default -> 6000;
        };
    }

    /** The byte times one service interval of a bus of speed {@code speed} lasts (the 100 %). */
    static int total(int speed) {
        return switch (speed) {
            case 1, 2 -> 1500;
            case 4 -> 62500;
            default -> 7500;
        };
    }

    static boolean periodic(int type) {
        return type == Endpoint.ISOCH_IN || type == Endpoint.ISOCH_OUT || type == Endpoint.INTERRUPT_IN
                || type == Endpoint.INTERRUPT_OUT;
    }

    /**
     * The byte times an endpoint context (its dwords 0, 1 and 4) needs in each service interval
     * on a bus of speed {@code speed}, or 0 for a non-periodic endpoint.
     */
    static int cost(int speed, int dw0, int dw1, int dw4) {
        int type = dw1 >>> 3 & 7;
        if (!periodic(type)) {
            return 0;
        }
        boolean isoch = type == Endpoint.ISOCH_IN || type == Endpoint.ISOCH_OUT;
        int maxPacket = dw1 >>> 16 & 0xFFFF;
        int burst = dw1 >>> 8 & 0xFF;
        int mult = dw0 >>> 8 & 3;
        int esit = (dw0 >>> 24 & 0xFF) << 16 | dw4 >>> 16 & 0xFFFF;     // Max ESIT Payload (Hi, Lo)
        int transactions = switch (speed) {
            case 3 -> Math.min(3, burst + 1);
            case 4 -> (burst + 1) * (isoch ? mult + 1 : 1);
            default -> 1;
        };
        int payload = esit != 0 ? Math.min(esit, maxPacket * transactions) : maxPacket * transactions;
        int overhead = switch (speed) {
            case 1 -> isoch ? 9 : 13;
            case 2 -> 13;
            case 4 -> 32;
            default -> isoch ? 38 : 55;
        };
        int c = payload + transactions * overhead;
        return speed == 2 ? 8 * c : c;
    }

    /** The service interval of an endpoint context in microframes (2^Interval, at most 2^15). */
    static int interval(int dw0) {
        return 1 << Math.min(15, dw0 >>> 16 & 0xFF);
    }

    /** The root port's speed code (PORTSC), else the slot context's, else high speed. */
    static int speed(Xhci hc, Slot s) {
        int sp = s.port >= 1 && s.port <= hc.ports.length
                ? hc.ports[s.port - 1].portsc >>> RootPort.SPEED_SHIFT & 0xF : 0;
        if (sp == 0 && s.context != 0 && hc.mem.isRam(s.context, 4)) {
            sp = hc.mem.dword(s.context) >>> 20 & 0xF;
        }
        return sp >= 1 && sp <= 4 ? sp : 3;
    }

    /** The periodic load of a root port by microframe, leaving out slot {@code except}'s endpoints in {@code exceptDcis}. */
    static int[] load(Xhci hc, int port, Slot except, int exceptDcis) {
        int[] load = new int[SLOTS];
        for (Slot s : hc.slots) {
            if (s == null || s.port != port || hc.slots[s.id] != s) {
                continue;
            }
            for (Endpoint ep : s.endpoints) {
                if (ep == null || ep.bwMask == 0 || s == except && (exceptDcis & 1 << ep.dci) != 0) {
                    continue;
                }
                for (int i = 0; i < SLOTS; i++) {
                    if ((ep.bwMask & 1 << i) != 0) {
                        load[i] += ep.bwCost;
                    }
                }
            }
        }
        return load;
    }

    /**
     * Places an endpoint of {@code cost} byte times every {@code interval} microframes into
     * {@code load}: returns the microframes it takes (and adds it to {@code load}), or 0 when it
     * does not fit and {@code force} is false.
     */
    static int place(int[] load, int speed, int interval, int cost, boolean force) {
        int best = 0;
        int bestPeak = Integer.MAX_VALUE;
        if (speed == 1 || speed == 2) {
            best = ALL;
            bestPeak = peak(load, ALL, cost);
        } else {
            int period = Math.min(SLOTS, interval);
            for (int phase = 0; phase < period; phase++) {
                int mask = 0;
                for (int i = phase; i < SLOTS; i += period) {
                    mask |= 1 << i;
                }
                int p = peak(load, mask, cost);
                if (p < bestPeak) {
                    bestPeak = p;
                    best = mask;
                }
            }
        }
        if (bestPeak > budget(speed) && !force) {
            return 0;
        }
        for (int i = 0; i < SLOTS; i++) {
            if ((best & 1 << i) != 0) {
                load[i] += cost;
            }
        }
        return best;
    }

    private static int peak(int[] load, int mask, int cost) {
        int p = 0;
        for (int i = 0; i < SLOTS; i++) {
            if ((mask & 1 << i) != 0) {
                p = Math.max(p, load[i] + cost);
            }
        }
        return p;
    }

    /**
     * The reservations of a Configure Endpoint command's added endpoints (their contexts in the
     * input context at {@code input}), with the dropped and re-added ones released first; null
     * when the port's periodic budget does not hold them.
     */
    static Plan plan(Xhci hc, Slot s, long input, int drop, int add) {
        int speed = speed(hc, s);
        int[] load = load(hc, s.port, s, (drop | add) & ~3);
        Plan plan = new Plan();
        for (int dci = 2; dci < 32; dci++) {
            if ((add & 1 << dci) == 0) {
                continue;
            }
            long at = input + CommandRing.CTX * (dci + 1L);
            int dw0 = hc.mem.dword(at);
            int cost = cost(speed, dw0, hc.mem.dword(at + 4), hc.mem.dword(at + 16));
            if (cost == 0) {
                continue;
            }
            int mask = place(load, speed, interval(dw0), cost, false);
            if (mask == 0) {
                return null;
            }
            plan.mask[dci] = mask;
            plan.cost[dci] = cost;
        }
        return plan;
    }

    /** Reserves again for every configured periodic endpoint from its output context (after a state load). */
    static void restore(Xhci hc) {
        for (Slot s : hc.slots) {
            if (s == null || s.context == 0) {
                continue;
            }
            int speed = speed(hc, s);
            for (Endpoint ep : s.endpoints) {
                long at = ep == null ? 0 : s.context + (long) CommandRing.CTX * ep.dci;
                if (ep == null || ep.dci < 2 || !hc.mem.isRam(at, CommandRing.CTX)) {
                    continue;
                }
                int dw0 = hc.mem.dword(at);
                int cost = cost(speed, dw0, hc.mem.dword(at + 4), hc.mem.dword(at + 16));
                if (cost > 0) {
                    ep.bwMask = place(load(hc, s.port, null, 0), speed, interval(dw0), cost, true);
                    ep.bwCost = cost;
                }
            }
        }
    }

    /** Frees the reservations of the slots on a root port whose device went away. */
    static void release(Xhci hc, int port) {
        for (Slot s : hc.slots) {
            if (s != null && s.port == port) {
                for (Endpoint ep : s.endpoints) {
                    if (ep != null) {
                        ep.bwMask = 0;
                        ep.bwCost = 0;
                    }
                }
            }
        }
    }

    /** The periodic byte times a port has left in its busiest microframe (for tests and Get Port Bandwidth). */
    static int available(Xhci hc, int port, int speed) {
        int max = 0;
        for (int l : load(hc, port, null, 0)) {
            max = Math.max(max, l);
        }
        return Math.max(0, budget(speed) - max);
    }
}
