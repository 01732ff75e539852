package org.machina.devices.firewire;

import java.util.List;
import org.machina.api.bus.ieee1394.Ieee1394Bus;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.machina.devices.firewire.host.CdevDevice;
import org.machina.devices.firewire.host.CdevException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link FwHostNode} as device type {@code fw-host}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + FwHostType.NAME)
public final class FwHostType implements DeviceType {
    static final String NAME = "fw-host";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a device on a host FireWire port (Linux firewire-cdev /dev/fwN) as a node on a 1394 bus (needs an "
                + "ohci-1394 before it); no isochronous streams, no SBP-2 devices; never run against a real device";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.string("dev", "", "the device's firewire-cdev file, e.g. /dev/fw1 (required)"),
                PropertySpec.string("inbound", "", "OFFSET+LENGTH: a range of the host controller's address space "
                        + "(at or above 0x100000000) whose requests from the device go to the guest (the FCP "
                        + "response register always does)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return create(context, config, FfmLibc.get(), true);
    }

    static Device create(DeviceContext context, DeviceConfig config, Libc libc, boolean readerThread) {
        String path = config.optional("dev").filter(s -> !s.isEmpty()).orElseThrow(() ->
                new IllegalArgumentException("device '" + config.id() + "' (" + NAME + ") needs dev=/dev/fwN"));
        long[] inbound = parseInbound(config.id(), config.optional("inbound").orElse(""));
        CdevDevice dev;
        try {
            dev = CdevDevice.open(libc, path);
        } catch (CdevException e) {
            throw new IllegalArgumentException("device '" + config.id() + "' (" + NAME + "): " + e.getMessage(), e);
        }
        try {
            return new FwHostNode(context, Ieee1394Bus.NAME, dev, inbound, readerThread);
        } catch (CdevException e) {
            dev.close();
            throw new IllegalArgumentException("device '" + config.id() + "' (" + NAME + "): " + e.getMessage(), e);
        }
    }

    /** {@code OFFSET+LENGTH} (each decimal or 0x hex), or null for an empty value. */
    static long[] parseInbound(String id, String text) {
        if (text.isEmpty()) {
            return null;
        }
        int plus = text.indexOf('+');
        try {
            if (plus > 0) {
                return new long[] {DeviceConfig.parseLong(text.substring(0, plus).trim()),
                        DeviceConfig.parseLong(text.substring(plus + 1).trim())};
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException("device '" + id + "' (" + NAME + "): inbound=" + text
                + " is not OFFSET+LENGTH (e.g. inbound=0xfffff0010000+0x1000)");
    }
}
