package org.machina.devices.net;

import org.machina.api.device.DeviceContext;

/** A NIC's Ethernet address: the {@code mac=} property, or QEMU's default 52:54:00:12:34:(56 + n) for the n-th NIC. */
final class MacAddress {
    static final String DEFAULT_PREFIX = "52:54:00:12:34:";
    static final int DEFAULT_LAST = 0x56;

    private MacAddress() {
    }

    /** The address for {@code mac=} {@code value}; empty picks the next default of this machine. */
    static byte[] of(DeviceContext ctx, String value) {
        if (value == null || value.isEmpty()) {
            int n = ctx.instanceIndex("nic");
            byte[] mac = parse(DEFAULT_PREFIX + "00");
            mac[5] = (byte) (DEFAULT_LAST + n);
            return mac;
        }
        return parse(value);
    }

    /** {@code xx:xx:xx:xx:xx:xx} (or with '-'), unicast. */
    static byte[] parse(String s) {
        String[] parts = s.split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("mac '" + s + "' is not six hex bytes such as 52:54:00:12:34:56");
        }
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (!parts[i].matches("[0-9A-Fa-f]{1,2}")) {
                throw new IllegalArgumentException("mac '" + s + "' is not six hex bytes such as 52:54:00:12:34:56");
            }
            mac[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        if ((mac[0] & 1) != 0) {
            throw new IllegalArgumentException("mac '" + s + "' is a multicast address; a NIC needs a unicast one");
        }
        return mac;
    }

    static String format(byte[] mac) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < mac.length; i++) {
            b.append(i == 0 ? "" : ":").append(String.format("%02x", mac[i] & 0xFF));
        }
        return b.toString();
    }
}
