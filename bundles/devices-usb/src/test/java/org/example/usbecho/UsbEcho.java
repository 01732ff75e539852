package org.example.usbecho;

import org.machina.api.bus.usb.UsbBus;
import org.machina.api.bus.usb.UsbDescriptors;
import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbPort;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbSpeed;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;

/** The example of docs/device-bundles.md: a vendor-class device that echoes bulk OUT data on bulk IN. */
public final class UsbEcho implements Device, UsbDevice {
    private final DeviceContext ctx;
    private final String bus;
    private final int portNumber;
    private UsbPort port;
    private int configuration;
    private byte[] echo = new byte[0];

    public UsbEcho(DeviceContext ctx, String bus, int portNumber) {
        this.ctx = ctx;
        this.bus = bus;
        this.portNumber = portNumber;
    }

    // ---- Device: attach in realize, detach in unrealize (the context would release it anyway) ----
    public void realize() {
        port = ctx.bus(bus, UsbBus.class).attach(ctx, this, portNumber);
    }

    public void reset() {
        busReset();
    }

    public void unrealize() {
        port.detach();
    }

    // ---- UsbDevice ----
    public UsbSpeed speed() {
        return UsbSpeed.HIGH;
    }

    public void busReset() {
        configuration = 0;
        echo = new byte[0];
    }

    public void handle(UsbTransfer t) {
        if (t.endpoint() == 0) {
            control(t, t.setup());
        } else if (configuration == 0) {
            t.complete(UsbStatus.STALL, 0);
        } else if (t.endpoint() == 1 && !t.in()) {            // bulk OUT 0x01: keep the data
            echo = t.buffer().clone();
            t.complete(UsbStatus.OK, echo.length);
        } else if (t.endpoint() == 1) {                       // bulk IN 0x81: give it back
            int n = Math.min(echo.length, t.buffer().length);
            System.arraycopy(echo, 0, t.buffer(), 0, n);
            echo = new byte[0];
            t.complete(UsbStatus.OK, n);
        } else {
            t.complete(UsbStatus.STALL, 0);
        }
    }

    private void control(UsbTransfer t, UsbSetup s) {
        if (s.type() != UsbSetup.TYPE_STANDARD) {
            t.complete(UsbStatus.STALL, 0);                   // no class or vendor requests
            return;
        }
        switch (s.request()) {
            case UsbSetup.GET_DESCRIPTOR -> {
                byte[] device = UsbDescriptors.device(0x0200, 0xFF0000, 64, 0x1209, 0x0002, 0x0100, 0, 1, 0, 1);
                byte[] d = switch (s.value() >> 8) {
                    case UsbDescriptors.DEVICE -> device;
                    case UsbDescriptors.CONFIGURATION -> UsbDescriptors.configuration(1, 0, 0x40, 0,
                            UsbDescriptors.iface(0, 0, 2, 0xFF0000, 0),
                            UsbDescriptors.endpoint(0x01, UsbEndpointType.BULK, 512, 0),
                            UsbDescriptors.endpoint(0x81, UsbEndpointType.BULK, 512, 0));
                    case UsbDescriptors.DEVICE_QUALIFIER -> UsbDescriptors.deviceQualifier(device);
                    case UsbDescriptors.STRING -> (s.value() & 0xFF) == 0 ? UsbDescriptors.languages()
                            : UsbDescriptors.string("USB echo");
                    default -> null;
                };
                if (d == null) {
                    t.complete(UsbStatus.STALL, 0);
                } else {
                    int n = Math.min(d.length, t.buffer().length);
                    System.arraycopy(d, 0, t.buffer(), 0, n);
                    t.complete(UsbStatus.OK, n);
                }
            }
            case UsbSetup.SET_ADDRESS -> t.complete(UsbStatus.OK, 0);
            case UsbSetup.SET_CONFIGURATION -> {
                configuration = s.value() & 0xFF;
                t.complete(UsbStatus.OK, 0);
            }
            case UsbSetup.GET_CONFIGURATION -> {
                t.buffer()[0] = (byte) configuration;
                t.complete(UsbStatus.OK, Math.min(1, t.buffer().length));
            }
            case UsbSetup.GET_STATUS -> t.complete(UsbStatus.OK, Math.min(2, t.buffer().length));   // zeros
            case UsbSetup.CLEAR_FEATURE, UsbSetup.SET_INTERFACE -> t.complete(UsbStatus.OK, 0);
            default -> t.complete(UsbStatus.STALL, 0);
        }
    }
}
