/**
 * The USB contract between a host controller (which owns the registers, rings, root ports and
 * interrupts) and a USB device in a device bundle (which sees only transfers). A controller
 * registers a {@link org.machina.api.bus.usb.UsbBus} with
 * {@link org.machina.api.device.DeviceContext#registerBus} (as {@code ID.0}, and the first
 * controller of a machine also as {@value org.machina.api.bus.usb.UsbBus#DEFAULT}); a device finds
 * it with {@link org.machina.api.device.DeviceContext#bus} and
 * {@link org.machina.api.bus.usb.UsbBus#attach attaches} a {@link org.machina.api.bus.usb.UsbDevice}
 * in {@code realize()}. The attachment belongs to the device's context: unplugging or swapping the
 * device detaches it even if the device forgets to.
 */
@Version("1.0.0")
@Export
package org.machina.api.bus.usb;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
