package org.machina.devices.net;

import java.util.List;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.PropertySpec;
import org.machina.api.net.Netdev;

/** The properties every NIC type has: {@code netdev}, {@code mac}, {@code addr}. */
final class NicProperties {
    static final List<PropertySpec> LIST = List.of(
            PropertySpec.netdev("netdev", "the network backend (-netdev KIND,id=ID); without one, sent frames are dropped"),
            PropertySpec.string("mac", "", "Ethernet address (default 52:54:00:12:34:56, the next NIC :57, ...)"),
            PropertySpec.integer("addr", -1L, "PCI device number 0..31 (-1: the first free slot)"));

    private NicProperties() {
    }

    /** The netdev named by {@code netdev=}, or null when none is given. */
    static Netdev netdev(DeviceContext context, DeviceConfig config) {
        return config.optional("netdev").filter(s -> !s.isEmpty()).map(context::netdev).orElse(null);
    }
}
