package org.machina.devices.net;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.machina.api.net.Netdev;

/** A netdev that records what the NIC sends and can refuse ({@link #full}). */
final class FakeNetdev implements Netdev {
    final List<byte[]> sent = new ArrayList<>();
    Port port;
    boolean full;
    int receiveReadyCalls;
    int refused;

    @Override
    public String id() {
        return "n0";
    }

    @Override
    public boolean send(ByteBuffer frame) {
        if (full) {
            refused++;
            return false;
        }
        byte[] b = new byte[frame.remaining()];
        frame.get(b);
        sent.add(b);
        return true;
    }

    @Override
    public void attach(Port p) {
        port = p;
    }

    @Override
    public void receiveReady() {
        receiveReadyCalls++;
    }

    @Override
    public void close() {
    }

    /** Offers a frame the way a backend does: only while the port can receive. */
    boolean deliver(byte[] frame) {
        return port.canReceive() && port.receive(ByteBuffer.wrap(frame));
    }
}
