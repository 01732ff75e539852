/**
 * The PCI bus contract between a board (which owns the host bridge, configuration mechanism,
 * BAR decoding and interrupt routing) and a PCI function in a device bundle. A board registers
 * its {@link org.machina.api.bus.pci.PciBus} with
 * {@link org.machina.api.device.DeviceContext#registerBus}; a device finds it with
 * {@link org.machina.api.device.DeviceContext#bus} and plugs a {@link org.machina.api.bus.pci.PciEndpoint}
 * into it in {@code realize()}.
 */
@Version("1.1.0")
@Export
package org.machina.api.bus.pci;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
