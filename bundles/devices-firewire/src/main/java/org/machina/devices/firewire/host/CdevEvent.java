package org.machina.devices.firewire.host;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An event read(2) from a firewire-cdev file, decoded from the bytes one read returned (one event
 * per read; 64-bit layouts of {@code <linux/firewire-cdev.h>}, see {@link CdevAbi}).
 */
public sealed interface CdevEvent {
    /** {@code fw_cdev_event_common.closure}. */
    long closure();

    /** struct fw_cdev_event_bus_reset: the device's and the controller's node IDs after a host bus reset. */
    record BusReset(long closure, int nodeId, int localNodeId, int bmNodeId, int irmNodeId, int rootNodeId,
            int generation) implements CdevEvent {
    }

    /** struct fw_cdev_event_response: the outcome of a SEND_REQUEST whose closure it carries. */
    record Response(long closure, int rcode, byte[] data) implements CdevEvent {
    }

    /**
     * struct fw_cdev_event_request2 (or the older fw_cdev_event_request, without source, destination,
     * card and generation: -1 there): a request the device sent into an ALLOCATEd range. Lock
     * requests carry juju's tcodes {@code 0x10 | extended tcode}.
     */
    record Request(long closure, int tcode, long offset, int sourceNodeId, int destinationNodeId, int card,
            int generation, int handle, int length, byte[] data) implements CdevEvent {
    }

    /** Any other event type (isochronous interrupts, iso resources, PHY packets): not used here. */
    record Other(long closure, int type) implements CdevEvent {
    }

    /**
     * Decodes one event from the first {@code length} bytes of {@code b}.
     *
     * @throws IllegalArgumentException when the bytes are shorter than the event's header or its
     *         declared payload
     */
    static CdevEvent parse(byte[] b, int length) {
        if (length < 12) {
            throw new IllegalArgumentException("a firewire-cdev event of " + length + " bytes (at least 12)");
        }
        ByteBuffer bb = CdevAbi.le(b);
        long closure = bb.getLong(0);
        int type = bb.getInt(8);
        switch (type) {
            case CdevAbi.EVENT_BUS_RESET -> {
                need(length, 36, "bus reset");
                return new BusReset(closure, bb.getInt(12), bb.getInt(16), bb.getInt(20), bb.getInt(24), bb.getInt(28),
                        bb.getInt(32));
            }
            case CdevAbi.EVENT_RESPONSE -> {
                need(length, CdevAbi.EVENT_RESPONSE_DATA, "response");
                int n = bb.getInt(16);
                return new Response(closure, bb.getInt(12), payload(b, length, CdevAbi.EVENT_RESPONSE_DATA, n, "response"));
            }
            case CdevAbi.EVENT_REQUEST2 -> {
                need(length, CdevAbi.EVENT_REQUEST2_DATA, "request2");
                int n = bb.getInt(44);
                int tcode = bb.getInt(12);
                return new Request(closure, tcode, bb.getLong(16), bb.getInt(24), bb.getInt(28), bb.getInt(32),
                        bb.getInt(36), bb.getInt(40), n, requestPayload(b, length, CdevAbi.EVENT_REQUEST2_DATA, n, tcode));
            }
            case CdevAbi.EVENT_REQUEST -> {
                need(length, CdevAbi.EVENT_REQUEST_DATA, "request");
                int n = bb.getInt(28);
                int tcode = bb.getInt(12);
                return new Request(closure, tcode, bb.getLong(16), -1, -1, -1, -1, bb.getInt(24), n,
                        requestPayload(b, length, CdevAbi.EVENT_REQUEST_DATA, n, tcode));
            }
            default -> {
                return new Other(closure, type);
            }
        }
    }

    private static void need(int length, int size, String what) {
        if (length < size) {
            throw new IllegalArgumentException("a firewire-cdev " + what + " event of " + length + " bytes (at least "
                    + size + ")");
        }
    }

    /**
     * A request's payload. A read request's {@code length} is the length asked for; whatever bytes
     * follow its header are not data (none, or the kernel's copy of the packet buffer), so they are
     * taken as they are, up to that length.
     */
    private static byte[] requestPayload(byte[] b, int length, int at, int n, int tcode) {
        if (tcode == 4 || tcode == 5) {
            if (n < 0) {
                throw new IllegalArgumentException("a firewire-cdev read request event asks for " + (n & 0xFFFF_FFFFL)
                        + " bytes");
            }
            return Arrays.copyOfRange(b, at, at + Math.min(n, length - at));
        }
        return payload(b, length, at, n, "request");
    }

    /**
     * The payload of a response or request: the bytes the device sent, big-endian as on the bus.
     * The kernel stores quadlet payloads (read quadlet responses, quadlet write requests) in the
     * packet's byte order as well, so every payload is copied as is.
     */
    private static byte[] payload(byte[] b, int length, int at, int n, String what) {
        if (n < 0 || (long) at + n > length) {
            throw new IllegalArgumentException("a firewire-cdev " + what + " event declares " + (n & 0xFFFF_FFFFL)
                    + " payload bytes in " + length + " bytes");
        }
        return Arrays.copyOfRange(b, at, at + n);
    }
}
