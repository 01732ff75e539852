package org.machina.net.socket;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.machina.api.net.Netdev;
import org.machina.api.net.NetdevType;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/**
 * QEMU's older {@code -netdev socket}: {@code listen=[HOST]:PORT} (a stream server),
 * {@code connect=HOST:PORT} (a stream client), {@code udp=HOST:PORT,localaddr=HOST:PORT} (a UDP
 * tunnel), each exactly as {@code -netdev stream}/{@code dgram} with the same framing.
 * {@code mcast=} and {@code fd=} are refused. <b>Differs from QEMU:</b> {@code listen=:PORT} (no
 * host) listens on 127.0.0.1 only, not on every address.
 */
@Component(service = NetdevType.class, property = "machina.name=socket")
public final class SocketNetdevType implements NetdevType {
    @Override
    public String kind() {
        return "socket";
    }

    @Override
    public Netdev open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        return open(id, options, (java.util.concurrent.Executor) executor);
    }

    static Netdev open(String id, Map<String, String> options, java.util.concurrent.Executor executor) throws IOException {
        Map<String, String> o = new LinkedHashMap<>(options);
        for (String refused : new String[] {"mcast", "fd"}) {
            if (o.containsKey(refused)) {
                throw new IllegalArgumentException("-netdev socket," + refused + "= is not implemented; use listen=, connect= or udp=");
            }
        }
        String listen = o.remove("listen");
        String connect = o.remove("connect");
        String udp = o.remove("udp");
        String localaddr = o.remove("localaddr");
        Endpoint.noneLeft("socket", o, "listen, connect, udp, localaddr");
        int modes = (listen != null ? 1 : 0) + (connect != null ? 1 : 0) + (udp != null ? 1 : 0);
        if (modes != 1) {
            throw new IllegalArgumentException("-netdev socket needs exactly one of listen=, connect= and udp=");
        }
        if (udp != null) {
            if (localaddr == null) {
                throw new IllegalArgumentException("-netdev socket,udp= needs localaddr=HOST:PORT");
            }
            return new DgramNetdev(id, Endpoint.hostPort("localaddr", localaddr, null), Endpoint.hostPort("udp", udp, null), executor);
        }
        if (localaddr != null) {
            throw new IllegalArgumentException("-netdev socket: localaddr= goes with udp=");
        }
        if (listen != null) {
            return new StreamNetdev(id, Endpoint.hostPort("listen", listen, "127.0.0.1"), true, 0, executor);
        }
        return new StreamNetdev(id, Endpoint.hostPort("connect", connect, null), false, 0, executor);
    }
}
