package org.machina.devices.firewire;

/**
 * What the isochronous transmit ({@link ItContext}) and receive ({@link IrContext}) DMA contexts
 * share (OHCI 1.1 chapters 9 and 10): ContextControl and CommandPtr, the last descriptor a wake
 * re-reads, the wake itself, and how a context dies.
 */
abstract class IsoContext {
    static final int EVT_DESCRIPTOR_READ = 0x06;

    /** The controller side of a context. */
    interface Link {
        /** A descriptor with i = 3 completed: isoXmitIntEvent or isoRecvIntEvent. */
        void interrupt();

        void dead(String why);
    }

    final String name;
    final GuestDma dma;
    private final Link link;
    int control;
    int commandPtr;
    /** The last descriptor of the program so far (a wake re-reads its branch), or -1. */
    long lastDescriptor = -1;

    IsoContext(String name, GuestDma dma, Link link) {
        this.name = name;
        this.dma = dma;
        this.link = link;
    }

    /** ContextControl as the driver reads it. */
    int readControl() {
        return control;
    }

    void writeCommandPtr(int v) {
        if ((readControl() & (AtContext.RUN | AtContext.ACTIVE)) == 0) {
            commandPtr = v;
        }
    }

    /** A wake while running, idle and alive: the branch of the last descriptor is read again. */
    final void wake() {
        if ((control & AtContext.RUN) == 0 || (control & (AtContext.ACTIVE | AtContext.DEAD)) != 0 || lastDescriptor < 0) {
            return;
        }
        Integer branch = dma.readLe(lastDescriptor + 8);
        if (branch == null) {
            die(EVT_DESCRIPTOR_READ, "descriptor at 0x" + Long.toHexString(lastDescriptor) + " is outside RAM");
        } else if ((branch & 0xF) != 0) {
            commandPtr = branch;
            control |= AtContext.ACTIVE;
        }
    }

    final void die(int evt, String why) {
        control = control & ~(AtContext.ACTIVE | 0x1F) | AtContext.DEAD | evt;
        link.dead(name + ": " + why);
    }

    final void interrupt() {
        link.interrupt();
    }
}
