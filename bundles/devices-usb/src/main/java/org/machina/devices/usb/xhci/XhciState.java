package org.machina.devices.usb.xhci;

import java.util.List;

/**
 * Version 1 of the controller's state: registers, the command ring and event ring positions,
 * the root ports' PORTSC, the slots with their endpoints' ring positions, and the PCI
 * configuration space. Transfers a device held are not saved: after loading, each running
 * endpoint runs its ring again from its dequeue pointer, which still points at the TD in flight.
 */
record XhciState(int usbcmd, int usbsts, int dnctrl, long dcbaap, int config, long commandDequeue,
        boolean commandCycle, int iman, int imod, int erstsz, long erstba, long erdp, long[] eventProducer,
        int[] portsc, List<SlotState> slots, byte[] pciConfig) {

    record SlotState(int id, int state, int port, long context, List<EndpointState> endpoints) {
    }

    record EndpointState(int dci, int state, int type, long dequeue, boolean cycle) {
    }
}
