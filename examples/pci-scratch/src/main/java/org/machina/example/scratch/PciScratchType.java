package org.machina.example.scratch;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** The {@code pci-scratch} device type. */
@Component(service = DeviceType.class, property = "machina.name=pci-scratch")
public final class PciScratchType implements DeviceType {
    @Override
    public String name() {
        return "pci-scratch";
    }

    @Override
    public String description() {
        return "example PCI function (1234:4d01) with a 16-byte I/O BAR: ID, a scratch register, a write counter";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(PropertySpec.integer("addr", -1L, "PCI device number 0..31 (-1: the first free slot)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new PciScratch(context, config.int32("addr"));
    }
}
