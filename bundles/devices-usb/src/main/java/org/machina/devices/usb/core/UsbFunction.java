package org.machina.devices.usb.core;

import java.util.Arrays;
import org.machina.api.bus.usb.UsbDescriptors;
import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbSpeed;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;

/**
 * The chapter 9 part of a USB device (USB 2.0 sections 9.1 and 9.4): the Default, Address and
 * Configured states, the standard requests (GET_DESCRIPTOR for device, configuration, string and
 * device qualifier; SET_ADDRESS; GET/SET_CONFIGURATION; GET/SET_INTERFACE; GET_STATUS;
 * CLEAR/SET_FEATURE with ENDPOINT_HALT), and endpoint halt. One configuration (value 1).
 * Subclasses give the descriptors and handle class requests and the data endpoints. A SuperSpeed
 * device ({@link #speed()} {@code SUPER}) also answers GET_DESCRIPTOR(BOS) and accepts SET_SEL
 * and SET_ISOCH_DELAY (USB 3.2 sections 9.4.12 and 9.4.11; the values are not used).
 */
public abstract class UsbFunction implements UsbDevice {
    /** The feature selector of ENDPOINT_HALT (USB 2.0 table 9-6). */
    public static final int ENDPOINT_HALT = 0;
    /** Descriptor type BOS (USB 3.2 table 9-6). */
    public static final int BOS = 15;
    /** SuperSpeed requests SET_SEL and SET_ISOCH_DELAY (USB 3.2 table 9-4). */
    static final int SET_SEL = 48;
    static final int SET_ISOCH_DELAY = 49;

    private int address;
    private int configuration;
    private final int[] alternate = new int[16];
    /** Halted endpoints: bit n for OUT endpoint n, bit 16+n for IN endpoint n. */
    private int halted;

    /** The device descriptor (18 bytes). */
    protected abstract byte[] deviceDescriptor();

    /** Configuration descriptor 0 with everything under it. */
    protected abstract byte[] configurationDescriptor();

    /** The Binary device Object Store (a SuperSpeed device's), or null: GET_DESCRIPTOR(BOS) stalls. */
    protected byte[] bosDescriptor() {
        return null;
    }

    /** String {@code index} (1-based), or null when there is none. */
    protected abstract String string(int index);

    /** A class or vendor request on endpoint 0; the default stalls it. */
    protected void classRequest(UsbTransfer t) {
        t.complete(UsbStatus.STALL, 0);
    }

    /** A transfer on endpoint 1..15 of the current configuration (the endpoint is not halted). */
    protected abstract void dataTransfer(UsbTransfer t);

    /** Called after SET_CONFIGURATION (0 = back to the Address state) and after a bus reset (0). */
    protected void configured(int value) {
    }

    /** Called after SET_INTERFACE. */
    protected void alternateSelected(int iface, int alt) {
    }

    /** Called when the host clears ENDPOINT_HALT on an endpoint (even one that was not halted). */
    protected void haltCleared(int endpoint, boolean in) {
    }

    /** Interfaces whose alternate settings are checked by SET_INTERFACE: the highest alternate of each. */
    protected int maxAlternate(int iface) {
        return 0;
    }

    public final int address() {
        return address;
    }

    public final int configuration() {
        return configuration;
    }

    public final int alternate(int iface) {
        return iface >= 0 && iface < alternate.length ? alternate[iface] : 0;
    }

    /** Restores the address and configuration saved from an earlier instance (state loading). */
    protected final void restore(int savedAddress, int savedConfiguration) {
        address = savedAddress & 0x7F;
        configuration = savedConfiguration == 1 ? 1 : 0;
    }

    /** The halted endpoints (bit n: OUT endpoint n, bit 16+n: IN endpoint n), for state records. */
    protected final int haltedMask() {
        return halted;
    }

    protected final void restoreHalted(int mask) {
        halted = mask;
    }

    /** Halts an endpoint: transfers to it stall until the host clears the halt. */
    public final void halt(int endpoint, boolean in) {
        halted |= 1 << (endpoint + (in ? 16 : 0));
    }

    public final boolean isHalted(int endpoint, boolean in) {
        return (halted & 1 << (endpoint + (in ? 16 : 0))) != 0;
    }

    @Override
    public void busReset() {
        address = 0;
        configuration = 0;
        halted = 0;
        Arrays.fill(alternate, 0);
        configured(0);
    }

    @Override
    public final void handle(UsbTransfer t) {
        if (t.endpoint() == 0) {
            UsbSetup s = t.setup();
            if (s == null) {
                t.complete(UsbStatus.STALL, 0);
            } else if (s.type() == UsbSetup.TYPE_STANDARD) {
                standard(t, s);
            } else {
                classRequest(t);
            }
            return;
        }
        if (configuration == 0 || isHalted(t.endpoint(), t.in())) {
            t.complete(UsbStatus.STALL, 0);
            return;
        }
        dataTransfer(t);
    }

    private void standard(UsbTransfer t, UsbSetup s) {
        switch (s.request()) {
            case UsbSetup.GET_DESCRIPTOR -> {
                byte[] d = descriptor(s.value() >> 8, s.value() & 0xFF);
                if (d == null) {
                    t.complete(UsbStatus.STALL, 0);
                } else {
                    reply(t, d);
                }
            }
            case UsbSetup.SET_ADDRESS -> {
                address = s.value() & 0x7F;
                t.complete(UsbStatus.OK, 0);
            }
            case UsbSetup.GET_CONFIGURATION -> reply(t, new byte[] {(byte) configuration});
            case UsbSetup.SET_CONFIGURATION -> {
                int v = s.value() & 0xFF;
                if (v > 1) {
                    t.complete(UsbStatus.STALL, 0);
                    return;
                }
                configuration = v;
                halted = 0;
                Arrays.fill(alternate, 0);
                configured(v);
                t.complete(UsbStatus.OK, 0);
            }
            case UsbSetup.GET_INTERFACE -> reply(t, new byte[] {(byte) alternate(s.index())});
            case UsbSetup.SET_INTERFACE -> {
                int iface = s.index() & 0xFF;
                if (configuration == 0 || iface >= alternate.length || s.value() > maxAlternate(iface)) {
                    t.complete(UsbStatus.STALL, 0);
                    return;
                }
                alternate[iface] = s.value();
                alternateSelected(iface, s.value());
                t.complete(UsbStatus.OK, 0);
            }
            case UsbSetup.GET_STATUS -> {
                int v = 0;
                if (s.recipient() == UsbSetup.RECIPIENT_ENDPOINT) {
                    v = isHalted(s.index() & 0xF, (s.index() & 0x80) != 0) ? 1 : 0;
                }
                reply(t, new byte[] {(byte) v, 0});
            }
            case UsbSetup.CLEAR_FEATURE, UsbSetup.SET_FEATURE -> {
                if (s.recipient() == UsbSetup.RECIPIENT_ENDPOINT && s.value() == ENDPOINT_HALT) {
                    int ep = s.index() & 0xF;
                    boolean in = (s.index() & 0x80) != 0;
                    if (s.request() == UsbSetup.SET_FEATURE) {
                        halt(ep, in);
                    } else {
                        halted &= ~(1 << (ep + (in ? 16 : 0)));
                        haltCleared(ep, in);
                    }
                }
                t.complete(UsbStatus.OK, 0);   // remote wakeup and test modes are accepted and ignored
            }
            case SET_SEL, SET_ISOCH_DELAY -> t.complete(speed() == UsbSpeed.SUPER ? UsbStatus.OK : UsbStatus.STALL,
                    speed() == UsbSpeed.SUPER ? t.buffer().length : 0);
            default -> t.complete(UsbStatus.STALL, 0);
        }
    }

    private byte[] descriptor(int type, int index) {
        return switch (type) {
            case UsbDescriptors.DEVICE -> deviceDescriptor();
            case UsbDescriptors.CONFIGURATION -> index == 0 ? configurationDescriptor() : null;
            case UsbDescriptors.DEVICE_QUALIFIER -> speed() == UsbSpeed.SUPER ? null
                    : UsbDescriptors.deviceQualifier(deviceDescriptor());
            case BOS -> bosDescriptor();
            case UsbDescriptors.STRING -> {
                if (index == 0) {
                    yield UsbDescriptors.languages();
                }
                String s = string(index);
                yield s == null ? null : UsbDescriptors.string(s);
            }
            default -> null;
        };
    }

    /** Completes an IN control transfer with {@code data}, cut to what the host asked for. */
    protected static void reply(UsbTransfer t, byte[] data) {
        int n = Math.min(data.length, t.buffer().length);
        System.arraycopy(data, 0, t.buffer(), 0, n);
        t.complete(UsbStatus.OK, n);
    }
}
