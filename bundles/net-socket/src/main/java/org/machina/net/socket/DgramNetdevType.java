package org.machina.net.socket;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.machina.api.net.Netdev;
import org.machina.api.net.NetdevType;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/**
 * {@code -netdev dgram,id=ID,local.type=inet,local.host=H,local.port=P,remote.type=inet,remote.host=H,remote.port=Q}
 * (QEMU 7.2's spelling): a UDP tunnel, one frame per datagram. Multicast remotes and Unix datagram
 * sockets are refused (not implemented).
 */
@Component(service = NetdevType.class, property = "machina.name=dgram")
public final class DgramNetdevType implements NetdevType {
    @Override
    public String kind() {
        return "dgram";
    }

    @Override
    public Netdev open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        return open(id, options, (java.util.concurrent.Executor) executor);
    }

    static DgramNetdev open(String id, Map<String, String> options, java.util.concurrent.Executor executor) throws IOException {
        Map<String, String> o = new LinkedHashMap<>(options);
        Endpoint local = Endpoint.take("local", o);
        Endpoint remote = Endpoint.take("remote", o);
        Endpoint.noneLeft("dgram", o, "local.type, local.host, local.port, remote.type, remote.host, remote.port");
        if (local instanceof Endpoint.Unix || remote instanceof Endpoint.Unix) {
            throw new IllegalArgumentException("-netdev dgram with Unix datagram sockets is not implemented; use local.type=inet");
        }
        if (remote == null) {
            throw new IllegalArgumentException("-netdev dgram needs remote.type=inet,remote.host=H,remote.port=P");
        }
        Endpoint.Inet r = (Endpoint.Inet) remote;
        if (r.resolve(r.port()).getAddress().isMulticastAddress()) {
            throw new IllegalArgumentException("-netdev dgram to a multicast address is not implemented");
        }
        if (local == null) {
            throw new IllegalArgumentException("-netdev dgram to a unicast remote needs local.type=inet,local.host=H,local.port=P");
        }
        return new DgramNetdev(id, (Endpoint.Inet) local, r, executor);
    }
}
