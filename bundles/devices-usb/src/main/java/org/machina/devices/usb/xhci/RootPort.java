package org.machina.devices.usb.xhci;

import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbSpeed;

/**
 * One root hub port and its PORTSC register (xHCI 1.2 section 5.4.8).
 *
 * <pre>
 * bit 0 CCS current connect status   bit 1 PED port enabled (write 1 disables)
 * bit 4 PR port reset                bits 8:5 PLS link state (U0 0, U3 3, Disabled 4, RxDetect 5, Polling 7)
 * bit 9 PP port power                bits 13:10 speed (1 full, 2 low, 3 high, 4 super)
 * bit 16 LWS link state write strobe
 * bits 23:17 change bits, write 1 to clear: CSC PEC WRC OCC PRC PLC CEC
 * bits 27:25 wake enables WCE WDE WOE  bit 30 DR device removable (0)  bit 31 WPR warm reset (USB3)
 * </pre>
 */
final class RootPort {
    static final int CCS = 1;
    static final int PED = 1 << 1;
    static final int PR = 1 << 4;
    static final int PLS_SHIFT = 5;
    static final int PLS_MASK = 0xF << PLS_SHIFT;
    static final int PP = 1 << 9;
    static final int SPEED_SHIFT = 10;
    static final int LWS = 1 << 16;
    static final int CSC = 1 << 17;
    static final int PEC = 1 << 18;
    static final int WRC = 1 << 19;
    static final int OCC = 1 << 20;
    static final int PRC = 1 << 21;
    static final int PLC = 1 << 22;
    static final int CEC = 1 << 23;
    static final int CHANGE_BITS = CSC | PEC | WRC | OCC | PRC | PLC | CEC;
    static final int WAKE_BITS = 7 << 25;
    static final int WPR = 1 << 31;

    static final int PLS_U0 = 0;
    static final int PLS_U3 = 3;
    static final int PLS_DISABLED = 4;
    static final int PLS_RX_DETECT = 5;
    static final int PLS_POLLING = 7;
    static final int PLS_RESUME = 15;

    /** 1-based xHCI port number (the Port ID of events and the slot context's root hub port). */
    final int id;
    final boolean usb3;
    /** The user's port=N this root port serves (USB2 and USB3 ports share the numbers). */
    final int userPort;
    UsbDevice device;
    int portsc;

    RootPort(int id, boolean usb3, int userPort) {
        this.id = id;
        this.usb3 = usb3;
        this.userPort = userPort;
    }

    static int speedCode(UsbSpeed s) {
        return switch (s) {
            case FULL -> 1;
            case LOW -> 2;
            case HIGH -> 3;
            case SUPER -> 4;
        };
    }

    boolean carries(UsbSpeed s) {
        return usb3 == (s == UsbSpeed.SUPER);
    }

    /** Power-on value: powered, nothing connected, or a connected device waiting for a reset. */
    void reset() {
        portsc = PP | PLS_RX_DETECT << PLS_SHIFT;
        if (device != null) {
            connect();
        }
    }

    void connect() {
        int pls = usb3 ? PLS_U0 : PLS_POLLING;
        portsc = PP | CCS | CSC | portsc & CHANGE_BITS | pls << PLS_SHIFT | speedCode(device.speed()) << SPEED_SHIFT
                | (usb3 ? PED : 0) | portsc & WAKE_BITS;
    }

    void disconnect() {
        device = null;
        portsc = PP | CSC | PLS_RX_DETECT << PLS_SHIFT | portsc & (WAKE_BITS | CHANGE_BITS);
    }

    int pls() {
        return (portsc & PLS_MASK) >>> PLS_SHIFT;
    }

    void setPls(int pls) {
        portsc = portsc & ~PLS_MASK | pls << PLS_SHIFT;
    }

    boolean enabled() {
        return (portsc & PED) != 0 && device != null;
    }

    /**
     * The guest wrote PORTSC. Returns true when a change bit was set (the caller posts a Port
     * Status Change Event); a reset also resets the device.
     */
    boolean write(int value) {
        portsc &= ~(value & CHANGE_BITS);
        portsc = portsc & ~WAKE_BITS | value & WAKE_BITS;
        if ((value & PED) != 0 && !usb3) {
            portsc &= ~PED;
        }
        // PP stays 1: PPC is 0 in HCCPARAMS1, so ports are always powered
        boolean changed = false;
        if ((value & PR) != 0 || usb3 && (value & WPR) != 0) {
            if (device != null) {
                device.busReset();
                portsc = portsc & ~PLS_MASK | PED | PLS_U0 << PLS_SHIFT;
            }
            portsc |= PRC | ((value & WPR) != 0 ? WRC : 0);
            changed = true;
        } else if ((value & LWS) != 0 && device != null) {
            int target = (value & PLS_MASK) >>> PLS_SHIFT;
            if (target == PLS_U3 && pls() == PLS_U0) {
                setPls(PLS_U3);                 // suspend: no change event on entering U3
            } else if ((target == PLS_U0 || target == PLS_RESUME) && pls() == PLS_U3) {
                setPls(PLS_U0);                 // resume completes at once
                portsc |= PLC;
                changed = true;
            } else if (target == PLS_U0 || target == PLS_U3) {
                setPls(target);
            }
        }
        return changed;
    }

    /** The register as the guest reads it. */
    int read() {
        return portsc;
    }
}
