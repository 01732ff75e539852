package org.machina.api.net;

import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A network backend: where a NIC's Ethernet frames go and where its received frames come from,
 * as QEMU's {@code -netdev KIND,id=ID}. Frames are whole Ethernet frames (destination MAC first,
 * no preamble, no FCS, no virtio-net header), at most {@link #MAX_FRAME} bytes.
 *
 * <h2>Back-pressure, both ways</h2>
 * <ul>
 * <li>NIC to backend: {@link #send} returns {@code false} when the backend's queue is full. The
 * NIC keeps the frame (leaves it in its TX ring) and stops sending until the backend calls
 * {@link Port#sendReady()}.</li>
 * <li>Backend to NIC: the backend delivers only while {@link Port#canReceive()} is true, and a
 * {@link Port#receive} that returns {@code false} leaves the frame with the backend. Either way the
 * backend holds its frames (bounded; what it does when its own queue is full is the backend's
 * documented policy) until the NIC calls {@link #receiveReady()}.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * {@link #send}, {@link #receiveReady}, {@link #attach} and {@link #close} are called on the
 * machine thread and never block. Every {@link Port} method is called on the executor the
 * backend was opened with (the machine thread for a NIC).
 *
 * <h2>Ownership</h2>
 * A netdev is opened by the runtime for a {@code -netdev} option and attached to at most one NIC at
 * a time. The NIC attaches in realize and the owner of the device's resources detaches it
 * ({@code attach(null)}) when the device is unrealized (unplug, hot swap), so a replaced NIC never
 * receives again; the runtime closes the netdev when the machine stops or the netdev is deleted.
 */
@ProviderType
public interface Netdev extends AutoCloseable {
    /** The largest frame either side passes: an Ethernet frame of a 65535-byte IP packet (TSO-less NICs send far less). */
    int MAX_FRAME = 65535 + 14;

    String id();

    /**
     * Offers one frame from the guest (bytes from {@code position} to {@code limit}; the backend
     * copies them before returning and does not keep the buffer).
     *
     * @return {@code true} if taken (or dropped as invalid, which is logged and counted);
     *     {@code false} if the backend's input queue is full: the NIC keeps the frame and waits
     *     for {@link Port#sendReady()}
     */
    boolean send(ByteBuffer frame);

    /** Connects the NIC side ({@code null} detaches: frames for the guest are then held or dropped by policy). */
    void attach(Port port);

    /** Tells the backend the port can take frames again (after {@code canReceive()} was false or {@code receive} refused one). */
    void receiveReady();

    /** Stops the backend: closes its host sockets and threads, drops queued frames. Idempotent. */
    @Override
    void close();

    /** The NIC side of a netdev. */
    interface Port {
        /** Whether one more frame can be taken now (a receive descriptor is free, the NIC is enabled). */
        boolean canReceive();

        /**
         * A frame for the guest. The buffer is only valid during the call.
         *
         * @return {@code false} if it could not be taken after all: the backend keeps it and
         *     retries after {@link Netdev#receiveReady()}
         */
        boolean receive(ByteBuffer frame);

        /** The backend's input queue has room again after {@link Netdev#send} returned {@code false}. */
        void sendReady();
    }
}
