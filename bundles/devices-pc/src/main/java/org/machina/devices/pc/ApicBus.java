package org.machina.devices.pc;

/**
 * The APIC bus between the I/O APIC and the local APIC of this bundle: interrupt messages one
 * way, EOI broadcasts for level-triggered vectors the other way. Each end offers its side through
 * the machine's bus registry ({@code registerBus}) and looks the other up at each message, so
 * either can be hot-swapped or absent (a message to nobody is not accepted).
 */
final class ApicBus {
    /** The local APIC's side, registered as bus {@value #LOCAL}. */
    static final String LOCAL = "apic-local";
    /** The I/O APIC's side, registered as bus {@value #IO}. */
    static final String IO = "apic-io";

    /** Delivery modes (ICR, LVT and redirection entry bits 8-10). */
    static final int FIXED = 0, LOWEST = 1, SMI = 2, NMI = 4, INIT = 5, STARTUP = 6, EXTINT = 7;

    private ApicBus() {
    }

    /** A local APIC receiving interrupt messages. */
    interface Receiver {
        /**
         * An interrupt message. Returns whether a local APIC accepted it (it matched the
         * destination and could take it).
         *
         * @param vector the vector (fixed and lowest-priority modes)
         * @param mode the delivery mode
         * @param logical logical (true) or physical destination mode
         * @param destination the destination field (8 bits)
         * @param level level-triggered: the vector's EOI is broadcast back
         */
        boolean deliver(int vector, int mode, boolean logical, int destination, boolean level);
    }

    /** An I/O APIC receiving EOI broadcasts. */
    interface EoiListener {
        /** The local APIC ended a level-triggered interrupt with {@code vector}. */
        void eoi(int vector);
    }
}
