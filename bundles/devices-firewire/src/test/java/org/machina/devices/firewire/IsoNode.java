package org.machina.devices.firewire;

import java.util.ArrayList;
import java.util.List;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.BusResetInfo;
import org.machina.api.bus.ieee1394.Ieee1394;
import org.machina.api.bus.ieee1394.Ieee1394Bus;
import org.machina.api.bus.ieee1394.Ieee1394Node;
import org.machina.api.bus.ieee1394.Ieee1394Port;
import org.machina.api.bus.ieee1394.IsochronousPacket;
import org.machina.api.bus.ieee1394.PhyConfig;
import org.machina.api.bus.ieee1394.Responder;

/**
 * A node with no asynchronous registers that takes isochronous packets of the channels it listens
 * to, records them, and (when {@link #echoTo} is a channel) sends each again on that channel: the
 * second node through which a controller's IT context reaches its own IR contexts.
 */
final class IsoNode implements Ieee1394Node {
    final List<IsochronousPacket> received = new ArrayList<>();
    int echoTo = -1;
    Ieee1394Port port;

    IsoNode attach(Ieee1394Bus bus) {
        port = bus.attach("iso-node", this);
        return this;
    }

    @Override
    public PhyConfig phy() {
        return new PhyConfig(true, false, Ieee1394.S400, 0, false);
    }

    @Override
    public void busReset(BusResetInfo info) {
    }

    @Override
    public int request(AsyncRequest request, Responder responder) {
        responder.respond(Ieee1394.RCODE_ADDRESS_ERROR, null);
        return Ieee1394.ACK_PENDING;
    }

    @Override
    public void isochronous(IsochronousPacket packet) {
        received.add(packet);
        if (echoTo >= 0) {
            port.sendIsochronous(new IsochronousPacket(echoTo, packet.tag(), packet.sy(), packet.speed(), packet.data()));
        }
    }
}
