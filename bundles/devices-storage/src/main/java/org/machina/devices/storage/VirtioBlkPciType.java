package org.machina.devices.storage;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link VirtioBlkPci} as device type {@code virtio-blk-pci}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + VirtioBlkPciType.NAME)
public final class VirtioBlkPciType implements DeviceType {
    static final String NAME = "virtio-blk-pci";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "virtio block device, transitional PCI function 1af4:1001 (legacy I/O BAR interface)";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.blockdev("drive", "the drive (-drive ...,id=ID) the guest sees as its disk"),
                PropertySpec.integer("addr", -1L, "PCI device number 0..31 (-1: the first free slot)"),
                PropertySpec.string("serial", "", "serial number reported to the guest (default: the drive id)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String drive = config.optional("drive").filter(s -> !s.isEmpty()).orElseThrow(() ->
                new IllegalArgumentException("device '" + config.id() + "' (" + NAME + ") needs drive=ID"));
        String serial = config.string("serial");
        return new VirtioBlkPci(context, context.blockdev(drive), config.int32("addr"),
                serial.isEmpty() ? drive : serial);
    }
}
