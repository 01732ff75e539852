package org.machina.devices.usb.storage;

import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbSpeed;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;

/** USB devices for tests. */
public final class TestFunctions {
    private TestFunctions() {
    }

    /** A high-speed device that stalls everything. */
    public static final class Silent implements UsbDevice {
        @Override
        public UsbSpeed speed() {
            return UsbSpeed.HIGH;
        }

        @Override
        public void busReset() {
        }

        @Override
        public void handle(UsbTransfer transfer) {
            transfer.complete(UsbStatus.STALL, 0);
        }
    }
}
