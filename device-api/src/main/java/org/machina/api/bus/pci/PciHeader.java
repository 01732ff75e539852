package org.machina.api.bus.pci;

/**
 * The read-only identity of a PCI function (type 0 header).
 *
 * @param vendor vendor id
 * @param device device id
 * @param revision revision id
 * @param classCode class, subclass and programming interface as 0xCCSSPP
 * @param subsystemVendor subsystem vendor id
 * @param subsystem subsystem id
 * @param interruptPin 0 for none, 1..4 for INTA..INTD
 */
public record PciHeader(int vendor, int device, int revision, int classCode, int subsystemVendor, int subsystem,
        int interruptPin) {
    public PciHeader {
        if (interruptPin < 0 || interruptPin > 4) {
            throw new IllegalArgumentException("interrupt pin must be 0 (none) or 1..4 (INTA..INTD), not " + interruptPin);
        }
    }
}
