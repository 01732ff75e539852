/**
 * The IEEE 1394 (FireWire) serial bus contract between the bundle that owns a bus (an OHCI 1394
 * controller registers its {@link org.machina.api.bus.ieee1394.Ieee1394Bus} under
 * {@value org.machina.api.bus.ieee1394.Ieee1394Bus#NAME} with
 * {@link org.machina.api.device.DeviceContext#registerBus}) and the nodes on it (an SBP-2 disk,
 * the controller's own link). A node {@link org.machina.api.bus.ieee1394.Ieee1394Bus#attach attaches}
 * and gets a {@link org.machina.api.bus.ieee1394.Ieee1394Port}: its PHY ID after each bus reset,
 * the self-ID packets of everyone, split asynchronous transactions (quadlet and block read and
 * write, lock), PHY packets and isochronous packets. Every call is made on the machine thread.
 * Unplugging a node detaches its port, which resets the bus; unplugging the controller
 * unregisters the bus with its device context.
 */
@Version("1.0.0")
@Export
package org.machina.api.bus.ieee1394;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
