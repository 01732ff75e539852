package org.machina.net.socket;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.machina.api.net.Netdev;
import org.machina.api.net.NetdevType;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/**
 * {@code -netdev stream,id=ID[,server=on|off][,reconnect=SECONDS|,reconnect-ms=MS],addr.type=inet,addr.host=H,addr.port=P}
 * or {@code addr.type=unix,addr.path=PATH} (QEMU 7.2's spelling; {@code server} defaults to off).
 */
@Component(service = NetdevType.class, property = "machina.name=stream")
public final class StreamNetdevType implements NetdevType {
    @Override
    public String kind() {
        return "stream";
    }

    @Override
    public Netdev open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        return open(id, options, (java.util.concurrent.Executor) executor);
    }

    static StreamNetdev open(String id, Map<String, String> options, java.util.concurrent.Executor executor) throws IOException {
        Map<String, String> o = new LinkedHashMap<>(options);
        boolean server = Endpoint.bool("server", o.remove("server"), false);
        long reconnect = reconnectMillis(o);
        Endpoint addr = Endpoint.take("addr", o);
        Endpoint.noneLeft("stream", o, "server, reconnect, reconnect-ms, addr.type, addr.host, addr.port, addr.to, addr.numeric,"
                + " addr.keep-alive, addr.ipv4, addr.ipv6, addr.path");
        if (addr == null) {
            throw new IllegalArgumentException("-netdev stream needs addr.type=inet,addr.host=H,addr.port=P or addr.type=unix,addr.path=P");
        }
        if (server && reconnect > 0) {
            throw new IllegalArgumentException("'reconnect' is for a client (server=off)");
        }
        return new StreamNetdev(id, addr, server, reconnect, executor);
    }

    private static long reconnectMillis(Map<String, String> o) {
        String s = o.remove("reconnect");
        String ms = o.remove("reconnect-ms");
        if (s != null && ms != null) {
            throw new IllegalArgumentException("give 'reconnect' or 'reconnect-ms', not both");
        }
        String v = s != null ? s : ms;
        if (v == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0 && n <= Integer.MAX_VALUE) {
                return s != null ? n * 1000 : n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("'" + (s != null ? "reconnect" : "reconnect-ms") + "=" + v + "': expected a number >= 0");
    }
}
